"""POST /api/v1/checks: border officers only, a manifest in one call, each call one
consultation with the officer and the post; bad travellers answered with their error."""

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import cruce.api._app as app_module
from cruce import Node
from cruce.api import Users, create_app
from cruce.api._checks import install_checks
from cruce.checks import import_alerts

WHY = {"X-Cruce-Purpose": "border_security", "X-Cruce-Case": "HN-BORDER-2026-20"}
ALERTS = [
    {"id": "A1", "kind": "document", "country": "HND", "doc_type": "passport",
     "number": "E1234567", "reason": "stolen", "action": "Retain it."},
    {"id": "A2", "kind": "person", "given_names": "José Luis", "surnames": "Hernández López",
     "birth_date": "1990-05-17", "reason": "wanted", "action": "Detain."},
]


def checks_app(node: Node, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    """The node's app with the checks routes (wired by api/_app.py, or here until it is)."""
    app = create_app(node, every=None)
    if any(getattr(r, "path", "") == "/api/v1/checks" for r in app.routes):
        return app
    original = app_module.install_export

    def with_checks(app: FastAPI, wiring: object) -> None:
        original(app, wiring)  # type: ignore[arg-type]
        install_checks(app, wiring)  # type: ignore[arg-type]

    monkeypatch.setattr(app_module, "install_export", with_checks)
    return create_app(node, every=None)


@pytest.fixture()
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[httpx.Client, dict[str, str], Node]]:
    node = Node.open(tmp_path / "n.duckdb", agency="hn_police")
    path = tmp_path / "alerts.jsonl"
    path.write_text("".join(json.dumps(a) + "\n" for a in ALERTS), encoding="utf-8")
    import_alerts(node, path)
    users = Users(node.store)
    tokens = {role: users.add(f"user.{role}", role)
              for role in ("analyst", "border_officer", "supervisor", "oversight", "admin")}
    with TestClient(checks_app(node, monkeypatch), raise_server_exceptions=False) as client:
        yield client, tokens, node
    node.close()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **WHY}


def test_only_a_border_officer_may_check(api) -> None:
    client, tokens, _ = api
    body = {"post": "HN-Corinto", "travellers": [{"document_type": "P", "document_country":
                                                  "HND", "document_number": "E1234567"}]}
    for role in ("analyst", "supervisor", "oversight", "admin"):
        got = client.post("/api/v1/checks", json=body, headers=auth(tokens[role]))
        assert got.status_code == 403, got.text
        assert got.json()["error"]["message"] == \
            f"the {role} role may not do this (allowed: border_officer)"
    assert client.post("/api/v1/checks", json=body).status_code == 401
    got = client.post("/api/v1/checks", json=body, headers=auth(tokens["border_officer"]))
    assert got.status_code == 200, got.text
    (result,) = got.json()["results"]
    assert result["outcome"] == "hit" and result["hits"][0]["alert_id"] == "A1"


def test_a_check_needs_a_justification_and_a_post(api) -> None:
    client, tokens, _ = api
    body = {"post": "HN-Corinto", "travellers": [{"surnames": "X"}]}
    headers = {"Authorization": f"Bearer {tokens['border_officer']}"}
    assert client.post("/api/v1/checks", json=body, headers=headers).status_code == 400
    got = client.post("/api/v1/checks", json={"travellers": [{"surnames": "X"}]},
                      headers=auth(tokens["border_officer"]))
    assert got.status_code in (400, 422), got.text


def test_a_check_is_made_for_border_security_from_a_named_post(api) -> None:
    """A check justified as gang or intelligence work is not a border check; the post goes
    into the audit log, so a control character or line break in it is refused."""
    client, tokens, node = api
    body = {"post": "HN-Corinto", "travellers": [{"surnames": "X"}]}
    headers = {"Authorization": f"Bearer {tokens['border_officer']}",
               "X-Cruce-Purpose": "gangs_organized_crime", "X-Cruce-Case": "HN-2026-1"}
    before = len(list(node.audit.iter_events()))
    got = client.post("/api/v1/checks", json=body, headers=headers)
    assert got.status_code == 400, got.text
    assert "border_security or trafficking_smuggling" in got.json()["error"]["message"]
    for post in ("HN-Corinto\nofficer: someone.else", "\u0000"):
        got = client.post("/api/v1/checks", json={**body, "post": post},
                          headers=auth(tokens["border_officer"]))
        assert got.status_code in (400, 422), got.text
    assert len(list(node.audit.iter_events())) == before  # nothing refused logged as a check
    headers["X-Cruce-Purpose"] = "trafficking_smuggling"
    assert client.post("/api/v1/checks", json=body, headers=headers).status_code == 200


def test_a_manifest_in_one_call_is_one_consultation(api) -> None:
    client, tokens, node = api
    travellers = [{"traveller_id": f"T{i}", "given_names": "ANA", "surnames": f"RUIZ{i}"}
                  for i in range(600)]
    travellers[3] = {"traveller_id": "T3", "given_names": "JOSE LUIS",
                     "surnames": "HERNANDEZ LOPEZ", "birth_date": "1990-05-17"}
    travellers[4] = {"traveller_id": "T4", "document_number": "E1234567"}
    got = client.post("/api/v1/checks", json={"post": "HN-Toncontin", "travellers": travellers},
                      headers=auth(tokens["border_officer"]))
    assert got.status_code == 200, got.text
    answer = got.json()
    assert answer["checked"] == 599
    by_id = {r["traveller_id"]: r for r in answer["results"]}
    assert by_id["T3"]["hits"][0]["alert_id"] == "A2" and by_id["T3"]["hits"][0]["explanation"]
    assert by_id["T4"] == {"traveller_id": "T4", "error": "document_type: missing"}
    assert by_id["T5"] == {"traveller_id": "T5", "outcome": "no-hit", "hits": []}
    events = [e.event for e in node.audit.iter_events() if e.event["op"] == "consultation"]
    (event,) = events
    assert event["actor"] == {"agency": "hn_police", "user": "user.border_officer",
                              "role": "border_officer"}
    assert event["details"]["post"] == "HN-Toncontin" and event["details"]["travellers"] == 599
    assert event["record_ids"] == ["alert:A2"]


def test_an_mrz_with_a_bad_digit_is_answered_with_its_error(api) -> None:
    client, tokens, _ = api
    zone = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n"
            "L898902C36UTO7408122F1204159ZE184226B<<<<<11")
    got = client.post("/api/v1/checks", json={"post": "P1", "travellers": [{"mrz": zone}]},
                      headers=auth(tokens["border_officer"]))
    assert got.status_code == 200, got.text
    assert got.json()["results"][0]["error"].startswith("MRZ composite: check digit '1'")


def test_the_index_reports_its_memory(api) -> None:
    client, tokens, _ = api
    got = client.get("/api/v1/checks/index", headers=auth(tokens["border_officer"]))
    assert got.status_code == 200
    assert got.json()["documents"] == 1 and got.json()["persons"] == 1
