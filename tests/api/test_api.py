"""The node API in-process (Starlette's test client, httpx underneath): authentication, roles,
justification, one error shape."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from cruce import Node
from cruce.api import Users, create_app

WHY = {"X-Cruce-Purpose": "gangs_organized_crime", "X-Cruce-Case": "HN-2026-0042",
       "X-Cruce-Why": "lead from the Choloma arrest"}
ROLES = ["analyst", "border_officer", "supervisor", "oversight", "admin"]


@pytest.fixture()
def api(tmp_path: Path, agency_dir: Path) -> Iterator[tuple[httpx.Client, dict[str, str], Node]]:
    node = Node.open(tmp_path / "n.duckdb", agency="hn_police")
    node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
    users = Users(node.store)
    tokens = {role: users.add(f"user.{role}", role) for role in ROLES}
    with TestClient(create_app(node), raise_server_exceptions=False) as client:
        yield client, tokens, node
    node.close()


def auth(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def assert_error(response: httpx.Response, status: int, kind: str, message: str | None = None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"status", "type", "message"}
    assert body["error"]["status"] == status and body["error"]["type"] == kind
    if message is not None:
        assert body["error"]["message"] == message


def record_id(node: Node, word: str) -> str:
    return str(node.store._query("SELECT id FROM records WHERE search_text LIKE ?", (f"%{word}%",))[0][0])


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"},
                                     {"Authorization": "Bearer cruce_forged-token"}, {"Authorization": "Basic x"}])
def test_every_call_needs_a_valid_token(api, headers: dict[str, str]) -> None:
    client, _, node = api
    for path in ("/api/v1/me", "/api/v1/stats", f"/api/v1/records/{record_id(node, 'tzul')}",
                 "/api/v1/search?q=tzul", "/api/v1/audit/head"):
        assert_error(client.get(path, headers={**headers, **WHY}), 401, "NotAuthenticated",
                     "a valid API token is required (Authorization: Bearer …)")


def test_a_disabled_users_token_stops_working(api) -> None:
    client, tokens, node = api
    assert client.get("/api/v1/me", headers=auth(tokens["analyst"])).status_code == 200
    Users(node.store).disable("user.analyst")
    assert_error(client.get("/api/v1/me", headers=auth(tokens["analyst"])), 401, "NotAuthenticated")


def test_tokens_are_stored_only_as_digests(api) -> None:
    _, tokens, node = api
    stored = {row[0] for row in node.store._query("SELECT token_hash FROM users")}
    assert not stored & set(tokens.values())


# The authorisation matrix: every role x every operation, with data only where allowed.
MATRIX = {
    "record": {"analyst": 200, "supervisor": 200, "border_officer": 403, "oversight": 403, "admin": 403},
    "search": {"analyst": 200, "supervisor": 200, "border_officer": 403, "oversight": 403, "admin": 403},
    "stats": {role: 200 for role in ROLES},
    "audit_head": {"oversight": 200} | {r: 403 for r in ROLES if r != "oversight"},
    "audit_events": {"oversight": 200} | {r: 403 for r in ROLES if r != "oversight"},
    "who_saw": {"oversight": 200} | {r: 403 for r in ROLES if r != "oversight"},
}


@pytest.mark.parametrize("operation", sorted(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_authorisation_matrix(api, operation: str, role: str) -> None:
    client, tokens, node = api
    rid = record_id(node, "tzul")
    path = {"record": f"/api/v1/records/{rid}", "search": "/api/v1/search?q=tzul",
            "stats": "/api/v1/stats?by=tlp", "audit_head": "/api/v1/audit/head",
            "audit_events": "/api/v1/audit/events", "who_saw": f"/api/v1/audit/who-saw/{rid}"}[operation]
    response = client.get(path, headers=auth(tokens[role], **WHY))
    expected = MATRIX[operation][role]
    assert response.status_code == expected, response.text
    if expected == 403:
        assert_error(response, 403, "PermissionDenied")
        assert "Tzul" not in response.text, "no data on denial"


def test_consultation_without_justification_is_refused_and_not_logged(api) -> None:
    client, tokens, node = api
    before = node.audit.size
    response = client.get(f"/api/v1/records/{record_id(node, 'tzul')}", headers=auth(tokens["analyst"]))
    assert_error(response, 400, "InvalidInput", "a consultation needs a justification: give --purpose "
                 "and --case (or CRUCE_PURPOSE and CRUCE_CASE)")
    assert node.audit.size == before


def test_a_consultation_is_logged_with_the_user_and_case(api) -> None:
    client, tokens, node = api
    rid = record_id(node, "tzul")
    assert client.get(f"/api/v1/records/{rid}", headers=auth(tokens["supervisor"], **WHY)).status_code == 200
    event = [e.event for e in node.audit.iter_events()][-1]
    assert event["op"] == "consultation" and event["record_ids"] == [rid]
    assert event["actor"] == {"agency": "hn_police", "user": "user.supervisor", "role": "supervisor"}
    assert event["justification"]["case_reference"] == "HN-2026-0042"


def test_oversight_reads_of_the_log_are_logged_too(api) -> None:
    client, tokens, node = api
    before = node.audit.size
    response = client.get("/api/v1/audit/events", headers=auth(tokens["oversight"], **WHY))
    assert response.status_code == 200
    assert node.audit.size == before + 1
    assert [e.event for e in node.audit.iter_events()][-1]["details"] == {"audit_log": "events"}


def test_unknown_record_and_bad_parameters_have_the_error_shape(api) -> None:
    client, tokens, _ = api
    assert_error(client.get("/api/v1/records/nope", headers=auth(tokens["analyst"], **WHY)),
                 404, "NotFound", "no record with id 'nope'")
    assert_error(client.get("/api/v1/search?q=", headers=auth(tokens["analyst"], **WHY)),
                 422, "InvalidRequest")
    assert_error(client.get("/api/v1/stats?by=properties", headers=auth(tokens["analyst"])),
                 400, "InvalidInput", "cannot group by 'properties'")


def test_openapi_documents_the_justification_headers(api) -> None:
    client, _, _ = api
    spec = client.get("/openapi.json").json()
    params = {p["name"] for p in spec["paths"]["/api/v1/records/{record_id}"]["get"]["parameters"]}
    assert {"X-Cruce-Purpose", "X-Cruce-Case", "X-Cruce-Why"} <= params


def test_a_serving_node_erases_what_is_past_retention_by_itself(tmp_path: Path, agency_dir: Path) -> None:
    import time
    from datetime import date, timedelta

    from cruce.api._messaging import Housekeeping

    node = Node.open(tmp_path / "n.duckdb", agency="hn_police")  # not a compact member
    node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
    token = Users(node.store).add("ana.analyst", "analyst")
    expired, kept = record_id(node, "tzul"), record_id(node, "mejia")
    node.store._execute("UPDATE records SET retain_until = ? WHERE id = ?",
                        (date.today() - timedelta(days=1), expired))
    why = {"X-Cruce-Purpose": "gangs_organized_crime", "X-Cruce-Case": "HN-1"}
    app = create_app(node, every=Housekeeping(deliver=None, expire=0.1, check_peers=None))
    with TestClient(app, raise_server_exceptions=False) as client:
        deadline = time.monotonic() + 20
        while client.get(f"/api/v1/records/{expired}", headers=auth(token, **why)).status_code != 404:
            assert time.monotonic() < deadline, "the expired record is still there"
            time.sleep(0.1)
        assert client.get(f"/api/v1/records/{kept}", headers=auth(token, **why)).status_code == 200
    node.close()
