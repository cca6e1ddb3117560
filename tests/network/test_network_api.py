"""`GET /api/v1/network/{entity_id}?depth=N` on hn_police's node, for a real token: the
consulting roles only, with purpose and case; the same network the facade gives; one JSON
error shape for what it refuses."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import networkx as nx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.network.conftest import PHONE, World

from cruce import Node
from cruce.api import Users, create_app

WHY = {"X-Cruce-Purpose": "gangs_organized_crime", "X-Cruce-Case": "HN-2026-0042"}


def network_app(node: Node) -> FastAPI:
    """The node's app, as `cruce node serve` serves it (no background rounds)."""
    return create_app(node, every=None)


@pytest.fixture()
def api(world: World) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    users = Users(world.hn.store)
    tokens = {role: users.add(f"user.{role}", role) for role in ("analyst", "admin")}
    with TestClient(network_app(world.hn), raise_server_exceptions=False) as client:
        yield client, tokens


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **WHY}


def test_an_analyst_gets_the_network_two_links_out(api) -> None:
    client, tokens = api
    answer = client.get("/api/v1/network/hn-p1?depth=2", headers=auth(tokens["analyst"]))
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    assert {n["id"] for n in doc["nodes"]} == {"hn-p1", "hn-org", "hn-p2", "gt-p1", "gt-p2",
                                               f"phone:{PHONE}"}
    assert doc["withheld"] == 1 and doc["depth"] == 2


def test_the_network_downloads_as_gexf_and_csv(api, tmp_path) -> None:
    client, tokens = api
    gexf = client.get("/api/v1/network/hn-p1?format=gexf", headers=auth(tokens["analyst"]))
    assert gexf.status_code == 200 and gexf.headers["content-type"] == "application/gexf+xml"
    (tmp_path / "n.gexf").write_bytes(gexf.content)
    assert "gt-p1" in {n.split(":", 1)[-1] for n in nx.read_gexf(tmp_path / "n.gexf").nodes}
    csv = client.get("/api/v1/network/hn-p1?format=csv", headers=auth(tokens["analyst"]))
    assert csv.status_code == 200 and csv.text.startswith("source,source_caption,")


def test_a_path_between_two_entities(api) -> None:
    client, tokens = api
    answer = client.get("/api/v1/network/hn-p2/path/gt-p2", headers=auth(tokens["analyst"]))
    assert answer.status_code == 200, answer.text
    assert answer.json()["path"][0] == "hn-p2" and answer.json()["path"][-1] == "gt-p2"
    none = client.get("/api/v1/network/hn-p2/path/gt-p2?depth=1", headers=auth(tokens["analyst"]))
    assert none.status_code == 404 and none.json()["error"]["type"] == "NotFound"


@pytest.mark.parametrize(("path", "headers", "status"), [
    ("/api/v1/network/hn-p1", {}, 401),
    ("/api/v1/network/hn-p1", "admin", 403),
    ("/api/v1/network/hn-p1?depth=7", "analyst", 422),
    ("/api/v1/network/hn-p1?relation=friends", "analyst", 400),
    ("/api/v1/network/hn-x", "analyst", 403),
    ("/api/v1/network/nobody", "analyst", 404),
])
def test_what_the_api_refuses_has_one_error_shape(api, path: str, headers, status: int) -> None:
    client, tokens = api
    sent = auth(tokens[headers]) if isinstance(headers, str) else headers
    answer = client.get(path, headers=sent)
    assert answer.status_code == status, answer.text
    assert set(answer.json()) == {"error"}, answer.text


def test_no_justification_no_network(api) -> None:
    client, tokens = api
    answer = client.get("/api/v1/network/hn-p1",
                        headers={"Authorization": f"Bearer {tokens['analyst']}"})
    assert answer.status_code == 400
    assert "needs a justification" in answer.json()["error"]["message"]


def test_a_request_past_the_work_budget_is_a_400_naming_the_limit(api, monkeypatch) -> None:
    """Finding S8-2: the budget on a level's links (frontier x page size), here lowered so
    that the small world exceeds it, refuses the request in the API's one error shape."""
    monkeypatch.setattr("cruce.network._expand.MAX_WORK", 10)
    client, tokens = api
    answer = client.get("/api/v1/network/hn-p1?depth=2&page_size=20",
                        headers=auth(tokens["analyst"]))
    assert answer.status_code == 400, answer.text
    assert "over the limit of 10 per request" in answer.json()["error"]["message"]
