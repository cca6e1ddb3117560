"""Users over the API (issue 10 #5, e): the admin role adds, disables and lists users and
rotates its own token; a data user it adds waits for a supervisor's approval; each change takes
effect at the very next request and is logged as an administrative event."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from cruce import Node
from cruce.api import Users, create_app

ROLES = ["analyst", "border_officer", "supervisor", "oversight", "admin"]


@pytest.fixture()
def api(tmp_path: Path) -> Iterator[tuple[httpx.Client, dict[str, str], Node]]:
    node = Node.open(tmp_path / "n.duckdb", agency="hn_police")
    users = Users(node.store)
    tokens = {role: users.add(f"user.{role.replace('_', '-')}", role) for role in ROLES}
    with TestClient(create_app(node, every=None), raise_server_exceptions=False) as client:
        yield client, tokens, node
    node.close()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def admin_events(node: Node) -> list[dict[str, object]]:
    assert node.audit is not None
    return [e.event for e in node.audit.iter_events() if e.event["op"] == "administration"]


def test_an_admin_adds_an_analyst_whose_token_works_once_a_supervisor_approves(api) -> None:
    client, tokens, node = api
    answer = client.post("/api/v1/users", json={"name": "ana.lopez", "role": "analyst"},
                         headers=auth(tokens["admin"]))
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    assert answer.json()["token"] is None and answer.json()["status"] == "pending"
    event = admin_events(node)[-1]
    assert event["actor"] == {"agency": "hn_police", "user": "user.admin", "role": "admin"}
    assert event["details"] == {"user": "ana.lopez", "change": "add", "role": "analyst",
                                "status": "pending approval"}
    approved = client.post("/api/v1/users/ana.lopez/approve",
                           headers={**auth(tokens["supervisor"]), "X-Cruce-Why": "new hire"})
    assert approved.status_code == 200, approved.text
    token = approved.json()["token"]
    me = client.get("/api/v1/me", headers=auth(token))
    assert me.status_code == 200 and me.json()["user"] == "ana.lopez", me.text
    assert token not in str(admin_events(node))


def test_an_admin_adds_an_admin_whose_token_works_at_once(api) -> None:
    client, tokens, _ = api
    answer = client.post("/api/v1/users", json={"name": "ada.admin", "role": "admin"},
                         headers=auth(tokens["admin"]))
    assert answer.status_code == 200, answer.text
    me = client.get("/api/v1/me", headers=auth(answer.json()["token"]))
    assert me.status_code == 200 and me.json()["user"] == "ada.admin", me.text


def test_a_disabled_token_is_refused_at_the_next_request(api) -> None:
    client, tokens, node = api
    assert client.get("/api/v1/me", headers=auth(tokens["analyst"])).status_code == 200
    done = client.post("/api/v1/users/user.analyst/disable", headers=auth(tokens["admin"]))
    assert done.status_code == 200, done.text
    refused = client.get("/api/v1/me", headers=auth(tokens["analyst"]))
    assert refused.status_code == 401, refused.text
    assert admin_events(node)[-1]["details"] == {"user": "user.analyst", "change": "disable"}


def test_a_rotated_token_replaces_the_old_one_at_once(api) -> None:
    client, tokens, node = api
    done = client.post("/api/v1/users/user.supervisor/rotate",
                       headers=auth(tokens["supervisor"]))
    assert done.status_code == 200, done.text
    new = done.json()["token"]
    assert client.get("/api/v1/me", headers=auth(tokens["supervisor"])).status_code == 401
    me = client.get("/api/v1/me", headers=auth(new))
    assert me.status_code == 200 and me.json()["user"] == "user.supervisor"
    assert admin_events(node)[-1]["details"] == {"user": "user.supervisor",
                                                 "change": "rotate token"}


def test_an_admin_lists_users_without_their_token_digests(api) -> None:
    client, tokens, node = api
    listed = client.get("/api/v1/users", headers=auth(tokens["admin"]))
    assert listed.status_code == 200, listed.text
    assert {u["name"]: (u["role"], u["status"]) for u in listed.json()} == {
        f"user.{r.replace('_', '-')}": (r, "active") for r in ROLES}
    digests = {row.token_digest for row in node.store.list_users()}
    assert not any(d in listed.text for d in digests)


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_only_admins_manage_users(api, role: str) -> None:
    client, tokens, node = api
    before = len(admin_events(node))
    calls = [("GET", "/api/v1/users", None),
             ("POST", "/api/v1/users", {"name": "eve.intruder", "role": "admin"}),
             ("POST", "/api/v1/users/user.admin/disable", None),
             ("POST", "/api/v1/users/user.admin/rotate", None)]
    for method, path, body in calls:
        answer = client.request(method, path, json=body, headers=auth(tokens[role]))
        assert answer.status_code == 403, (path, answer.text)
        assert answer.json()["error"]["type"] == "PermissionDenied"
    assert len(admin_events(node)) == before
    assert client.get("/api/v1/me", headers=auth(tokens["admin"])).status_code == 200


def test_user_management_errors_have_the_error_shape(api) -> None:
    client, tokens, _ = api
    admin = auth(tokens["admin"])
    taken = client.post("/api/v1/users", json={"name": "user.analyst", "role": "analyst"},
                        headers=admin)
    assert taken.status_code == 409 and taken.json()["error"]["type"] == "Conflict"
    missing = client.post("/api/v1/users/nobody/disable", headers=admin)
    assert missing.status_code == 404 and missing.json()["error"]["message"] == "no user 'nobody'"
    bad = client.post("/api/v1/users", json={"name": "Bad Name", "role": "analyst"},
                      headers=admin)
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "InvalidInput"
    role = client.post("/api/v1/users", json={"name": "x.y", "role": "king"}, headers=admin)
    assert role.status_code == 422


def test_a_change_made_by_another_process_is_seen_at_the_next_request(api) -> None:
    # What `cruce users disable --db` does beside a server on a PostgreSQL store: the change
    # does not go through the server's token table.
    client, tokens, node = api
    assert client.get("/api/v1/me", headers=auth(tokens["oversight"])).status_code == 200
    Users(node.store).disable("user.oversight")
    assert client.get("/api/v1/me", headers=auth(tokens["oversight"])).status_code == 401


def test_a_user_added_by_another_process_may_send_a_body_at_once(api) -> None:
    # The body check before the route (cruce.api._limits) must not refuse a token that the
    # server's table has not read yet.
    client, _, node = api
    token = Users(node.store).add("new.analyst", "analyst")
    answer = client.post("/api/v1/users", json={"name": "x.y", "role": "analyst"},
                         headers=auth(token))
    assert answer.status_code == 403, answer.text  # authenticated, then refused by role
