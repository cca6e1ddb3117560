"""Revoking a token while the node runs (issue 10 #5), on a real node process: `cruce users
… --node` as an admin, each change refused or taking effect at the next request."""

from __future__ import annotations

from tests.nodes._harness import RunningNode, cruce
from tests.security._api_node import api_node  # noqa: F401  (the fixture)


def test_users_managed_over_the_api_of_a_running_node_take_effect_at_once(
    api_node: RunningNode,  # noqa: F811
) -> None:
    node, env = api_node, api_node.env
    over = ["--node", api_node.base_url, "--token", api_node.tokens["admin"]]

    cruce("users", "add", "eve.temp", "--role", "analyst", *over, env=env)
    out = cruce("users", "approve", "eve.temp", "--why", "temporary help", "--node",
                api_node.base_url, "--token", api_node.tokens["supervisor"], env=env)
    eve = out.strip().splitlines()[-1].strip()
    with node.client() as client:
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {eve}"}
                          ).json()["user"] == "eve.temp"

        # Each user rotates their own token (an admin may not rotate another's).
        out = cruce("users", "rotate", "eve.temp", "--node", api_node.base_url, "--token",
                    eve, env=env)
        rotated = out.strip().splitlines()[-1].strip()
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {eve}"}
                          ).status_code == 401
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {rotated}"}
                          ).status_code == 200

        cruce("users", "disable", "eve.temp", *over, env=env)
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {rotated}"}
                          ).status_code == 401

    listed = cruce("users", "list", *over, env=env)
    assert "eve.temp" in listed and "disabled" in listed


def test_a_non_admin_token_cannot_manage_users_from_the_command_line(
    api_node: RunningNode,  # noqa: F811
) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "cruce", "users", "disable", "user.admin", "--node",
         api_node.base_url, "--token", api_node.tokens["supervisor"]],
        capture_output=True, text=True, env=api_node.env, timeout=60, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip() == ("Error: the supervisor role may not manage users "
                                   "(allowed: admin)")
    with api_node.client("admin") as client:
        assert client.get("/api/v1/me").status_code == 200
