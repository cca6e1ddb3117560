"""Admins read no case data (issue 10 e), on a real node process over HTTP: an admin cannot
make itself a data user (a supervisor or analyst it adds waits, without a working token, for a
supervisor's approval), cannot take over another user's token, cannot reuse a name; each of
these changes is an audit event naming its actor and justification. The operator with the
node's files keeps the powers docs/threat-model.md says it has, each change logged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.nodes._harness import RunningNode, cruce
from tests.security._api_node import api_node  # noqa: F401  (the fixture)

from cruce import Node
from cruce.api import Users
from cruce.audit import Actor


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def admin_events(node: RunningNode, client: httpx.Client) -> list[dict[str, Any]]:
    """The node's administrative events, read by its oversight officer over the API."""
    answer = client.get("/api/v1/audit/events", headers={
        **bearer(node.tokens["oversight"]), "X-Cruce-Purpose": "intelligence",
        "X-Cruce-Case": "OVERSIGHT-1"})
    assert answer.status_code == 200, answer.text
    return [e for e in answer.json() if e["op"] == "administration"]


def test_an_admin_cannot_rotate_another_users_token(
    api_node: RunningNode,  # noqa: F811
) -> None:
    node = api_node
    with node.client("admin") as admin:
        for victim in ("user.supervisor", "user.analyst", "user.oversight"):
            taken = admin.post(f"/api/v1/users/{victim}/rotate")
            assert taken.status_code == 403, taken.text
            assert taken.json()["error"]["message"] == (
                f"the admin role may rotate only its own token: disable '{victim}' and add "
                "the person under a new name")
            assert "token" not in taken.json()
        with node.client("supervisor") as supervisor:
            assert supervisor.get("/api/v1/me").status_code == 200

        own = admin.post("/api/v1/users/user.admin/rotate",
                         headers={"X-Cruce-Why": "yearly rotation"})
        assert own.status_code == 200, own.text
        node.tokens["admin"] = own.json()["token"]
        assert admin.get("/api/v1/me", headers=bearer(node.tokens["admin"])
                         ).json()["user"] == "user.admin"
        events = admin_events(node, admin)
    assert events[-1]["details"] == {"user": "user.admin", "change": "rotate token"}
    assert events[-1]["actor"]["user"] == "user.admin"
    assert events[-1]["justification"]["text"] == "user management: rotate token: yearly rotation"


@pytest.mark.parametrize("role", ["supervisor", "analyst", "border_officer", "oversight"])
def test_a_data_user_added_by_an_admin_has_no_token_until_a_supervisor_approves(
    api_node: RunningNode, role: str,  # noqa: F811
) -> None:
    node = api_node
    name = f"mallory.{role.replace('_', '-')}"
    with node.client("admin") as admin:
        added = admin.post("/api/v1/users", json={"name": name, "role": role},
                           headers={"X-Cruce-Why": "new colleague"})
        assert added.status_code == 200, added.text
        assert added.json() == {"name": name, "role": role, "status": "pending",
                                "token": None}
        listed = {u["name"]: u for u in admin.get("/api/v1/users").json()}
        assert listed[name]["status"] == "pending" and listed[name]["added_by"] == "user.admin"

        # The admin cannot approve its own proposal, nor can any other non-supervisor.
        for who in ("admin", "analyst", "oversight"):
            refused = admin.post(f"/api/v1/users/{name}/approve",
                                 headers={**bearer(node.tokens[who]), "X-Cruce-Why": "ok"})
            assert refused.status_code == 403, refused.text
        # Nor can it take the pending user's token by rotating it.
        assert admin.post(f"/api/v1/users/{name}/rotate").status_code == 403

        with node.client("supervisor") as supervisor:
            unjustified = supervisor.post(f"/api/v1/users/{name}/approve")
            assert unjustified.status_code == 400, unjustified.text
            approved = supervisor.post(f"/api/v1/users/{name}/approve",
                                       headers={"X-Cruce-Why": "joins the unit, memo 12"})
            assert approved.status_code == 200, approved.text
            assert approved.headers["cache-control"] == "no-store"
            token = approved.json()["token"]
            again = supervisor.post(f"/api/v1/users/{name}/approve",
                                    headers={"X-Cruce-Why": "twice"})
            assert again.status_code == 409, again.text

        me = admin.get("/api/v1/me", headers=bearer(token))
        assert me.status_code == 200 and me.json() == {
            "user": name, "role": role, "agency": "hn_police"}
        # The new user replaces the token the supervisor handed over with one only they know.
        own = admin.post(f"/api/v1/users/{name}/rotate", headers=bearer(token))
        assert own.status_code == 200, own.text
        assert admin.get("/api/v1/me", headers=bearer(token)).status_code == 401
        events = admin_events(node, admin)
    mine = [e for e in events if e["details"]["user"] == name]
    assert [(e["actor"]["user"], e["actor"]["role"], e["details"]["change"]) for e in mine] == [
        ("user.admin", "admin", "add"), ("user.supervisor", "supervisor", "approve"),
        (name, role, "rotate token")]
    assert mine[0]["details"]["status"] == "pending approval"
    assert mine[0]["justification"]["text"] == "user management: add: new colleague"
    assert mine[1]["details"]["added_by"] == "user.admin"
    assert mine[1]["justification"]["text"] == "user management: approve: joins the unit, memo 12"


def test_a_pending_user_disabled_before_approval_never_becomes_active(
    api_node: RunningNode,  # noqa: F811
) -> None:
    node = api_node
    with node.client("admin") as admin:
        assert admin.post("/api/v1/users", json={"name": "pat.never", "role": "analyst"}
                          ).status_code == 200
        assert admin.post("/api/v1/users/pat.never/disable").status_code == 200
        with node.client("supervisor") as supervisor:
            late = supervisor.post("/api/v1/users/pat.never/approve",
                                   headers={"X-Cruce-Why": "late"})
        assert late.status_code == 409, late.text
        assert late.json()["error"]["message"] == (
            "user 'pat.never' is not waiting for approval (disabled)")


def test_a_user_name_is_never_reused(api_node: RunningNode) -> None:  # noqa: F811
    node = api_node
    with node.client("admin") as admin:
        assert admin.post("/api/v1/users", json={"name": "old.admin", "role": "admin"}
                          ).status_code == 200
        assert admin.post("/api/v1/users/old.admin/disable").status_code == 200
        for role in ("admin", "supervisor"):
            again = admin.post("/api/v1/users", json={"name": "old.admin", "role": role})
            assert again.status_code == 409, again.text
            assert again.json()["error"]["message"] == (
                "user 'old.admin' exists already (disabled: a name is never reused; add the "
                "person under a new name)")
        listed = {u["name"]: u["status"] for u in admin.get("/api/v1/users").json()}
    assert listed["old.admin"] == "disabled"


def test_a_supervisor_approves_from_the_command_line_and_users_list_speaks_json(
    api_node: RunningNode,  # noqa: F811
) -> None:
    node, env = api_node, api_node.env
    as_admin = ["--node", node.base_url, "--token", node.tokens["admin"]]
    out = cruce("users", "add", "sam.cli", "--role", "analyst", "--why", "transfer",
                *as_admin, env=env)
    assert "waiting for a supervisor's approval" in out and "cruce_" not in out
    listed = json.loads(cruce("users", "list", "--json", *as_admin, env=env))
    assert {"name": "sam.cli", "role": "analyst", "status": "pending",
            "added_by": "user.admin"} in listed
    out = cruce("users", "approve", "sam.cli", "--why", "transfer approved", "--node",
                node.base_url, "--token", node.tokens["supervisor"], env=env)
    token = out.strip().splitlines()[-1].strip()
    with node.client() as client:
        assert client.get("/api/v1/me", headers=bearer(token)).json()["user"] == "sam.cli"


def test_the_operator_with_the_files_approves_and_rotates_with_db(tmp_path: Path) -> None:
    # What the threat model grants the node's operator: changes through the store's files,
    # at once, each logged under the operator's name.
    db = str(tmp_path / "n.duckdb")
    cruce("init", "--db", db, "--agency", "hn_police")
    with Node.open(db) as opened:
        Users(opened.store, Actor("hn_police", "user.admin", "admin")).propose(
            "ona.pending", "supervisor")
    env = {**_env(), "CRUCE_USER": "ops.maria"}
    out = cruce("users", "approve", "ona.pending", "--why", "bootstrap", "--db", db, env=env)
    first = out.strip().splitlines()[-1].strip()
    rotated = cruce("users", "rotate", "ona.pending", "--db", db, env=env)
    assert rotated.strip().splitlines()[-1].strip() != first
    rows = json.loads(cruce("users", "list", "--json", "--db", db, env=env))
    assert rows == [{"name": "ona.pending", "role": "supervisor", "status": "active",
                     "added_by": None}]
    with Node.open(db) as opened:
        assert opened.audit is not None
        events = [e.event for e in opened.audit.iter_events()
                  if e.event["op"] == "administration"]
    assert [(e["actor"]["user"], e["actor"]["role"], e["details"]["change"])
            for e in events] == [("user.admin", "admin", "add"),
                                 ("ops.maria", "operator", "approve"),
                                 ("ops.maria", "operator", "rotate token")]


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


def test_approval_and_names_on_every_store_backend(store_url: str) -> None:
    # The rules live in the store's users and `Users`, not only in the HTTP routes: the same
    # on DuckDB and PostgreSQL.
    from cruce.errors import Conflict, NotAuthenticated, PermissionDenied
    from cruce.store import open_store

    store = open_store(store_url)
    try:
        admin = Users(store, Actor("hn_police", "ad.min", "admin"))
        with pytest.raises(PermissionDenied):
            admin.add("vic.direct", "analyst")
        admin.propose("vic.pending", "analyst", "new colleague")
        [row] = store.list_users()
        assert (row.status, row.added_by, row.is_disabled) == ("pending", "ad.min", True)
        with pytest.raises(PermissionDenied):  # an admin approves nothing
            admin.approve("vic.pending", "mine")
        with pytest.raises(PermissionDenied):  # nor rotates another's token
            admin.rotate("vic.pending")
        same = Users(store, Actor("hn_police", "ad.min", "supervisor"))
        with pytest.raises(PermissionDenied, match="another person must approve them"):
            same.approve("vic.pending", "mine")
        token = Users(store, Actor("hn_police", "sue.pervisor", "supervisor")).approve(
            "vic.pending", "joins the unit")
        assert admin.authenticate(token).name == "vic.pending"
        admin.disable("vic.pending")
        with pytest.raises(NotAuthenticated):
            admin.authenticate(token)
        with pytest.raises(Conflict, match="a name is never reused"):
            admin.add("vic.pending", "admin")
        assert [u.status for u in store.list_users()] == ["disabled"]
    finally:
        store.close()
