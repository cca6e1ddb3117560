"""Flow counts over the API: posted by partners' roles, checked whole, summarised."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cruce import Node
from cruce.api import Users, create_app


@pytest.fixture()
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
        ) -> Iterator[tuple[TestClient, dict[str, str], Path]]:
    stats_db = tmp_path / "stats.duckdb"
    monkeypatch.setenv("CRUCE_STATS_DB", str(stats_db))  # where the node keeps its statistics
    with Node.open(tmp_path / "hn.duckdb", agency="hn_police") as node:
        users = Users(node.store)
        tokens = {role: users.add(f"user.{role}", role) for role in ("analyst", "oversight")}
        with TestClient(create_app(node, every=None), raise_server_exceptions=False) as client:
            yield client, tokens, stats_db


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


COUNT = {"date": "2026-11-30", "point": "Corinto", "corridor": "Honduras–Guatemala",
         "direction": "inbound", "nationality_group": "Honduras", "adults": 40, "minors": 12,
         "families": 5}


def test_an_analyst_posts_counts_and_anyone_signed_in_reads_the_summary(api):
    client, tokens, _ = api
    posted = client.post("/api/v1/flows", json={"counts": [COUNT]}, headers=auth(tokens["analyst"]))
    assert posted.status_code == 200, posted.text
    assert posted.json() == {"counts": 1, "replaced": 0}
    again = client.post("/api/v1/flows", json={"counts": [{**COUNT, "adults": 41}]},
                        headers=auth(tokens["analyst"]))
    assert again.json() == {"counts": 1, "replaced": 1}
    summary = client.get("/api/v1/flows/summary", headers=auth(tokens["oversight"]))
    assert summary.status_code == 200, summary.text
    assert summary.json()["by_corridor"][0]["last_7"] == 53


def test_a_bad_count_is_named_and_nothing_is_stored(api):
    client, tokens, stats_db = api
    bad = client.post("/api/v1/flows", json={"counts": [COUNT, {**COUNT, "date": "2026-11-31"}]},
                      headers=auth(tokens["analyst"]))
    assert bad.status_code == 400, bad.text
    assert bad.json()["error"]["message"] == ("counts[1]: field 'date': '2026-11-31' is not a "
                                              "date YYYY-MM-DD\nnothing was stored")
    personal = client.post("/api/v1/flows", json={"counts": [{**COUNT, "nombre": "Ana"}]},
                           headers=auth(tokens["analyst"]))
    assert personal.status_code == 400
    assert "looks like personal data" in personal.json()["error"]["message"]
    assert not stats_db.exists()


def test_oversight_may_read_but_not_enter_counts_and_a_token_is_needed(api):
    client, tokens, _ = api
    refused = client.post("/api/v1/flows", json={"counts": [COUNT]},
                          headers=auth(tokens["oversight"]))
    assert refused.status_code == 403
    assert client.get("/api/v1/flows/summary").status_code == 401
