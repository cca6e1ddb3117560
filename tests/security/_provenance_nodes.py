"""Three real node processes on 127.0.0.1 (hn_police, gt_police, sv_police) joined into one
compact (tests/security/_three_nodes.py), for the provenance tests, and the calls they make.

    from tests.security._provenance_nodes import three_nodes  # noqa: F401  (the fixture)
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from tests.nodes._harness import RunningNode
from tests.security._three_nodes import running_compact

AGENCIES = ("hn_police", "gt_police", "sv_police")
PURPOSE = "gangs_organized_crime"
WHY = {"X-Cruce-Purpose": PURPOSE, "X-Cruce-Case": "HN-2026-0042",
       "X-Cruce-Why": "joint investigation of the Choloma clique"}


@pytest.fixture(scope="module")
def three_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, RunningNode]]:
    with running_compact(tmp_path_factory, AGENCIES, "prov") as nodes:
        yield nodes


def person(key: str, agency: str, *, tlp: str = "AMBER", code: str = "H2",
           category: str = "suspect", purpose: str = PURPOSE, name: str = "Persona Prueba",
           retain: str = "2031-01-01", shareable: bool = True) -> dict[str, Any]:
    envelope = {"agency": agency, "dataset": "pruebas", "purpose": purpose,
                "handling_code": code, "tlp": tlp, "source_reliability": "B",
                "information_accuracy": "2", "retain_until": retain,
                "subject_category": category, "is_shareable": shareable}
    if code == "H3":
        envelope["handling_restriction"] = "not to be shown to the family"
    return {"id": key, "schema": "Person", "properties": {"name": [name]}, "envelope": envelope}


def fresh(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def upload(node: RunningNode, role: str, *lines: dict[str, Any],
           **headers: str) -> httpx.Response:
    text = "".join(json.dumps(line) + "\n" for line in lines)
    with node.client(role, **WHY) as client:
        return client.post("/api/v1/records", content=text.encode("utf-8"),
                           headers={"Content-Type": "application/x-ndjson", **headers})


def call(node: RunningNode, role: str, method: str, path: str, body: Any = None,
         **headers: str) -> httpx.Response:
    with node.client(role, **{**WHY, **headers}) as client:
        return client.request(method, path, json=body)


def share(node: RunningNode, role: str, records: list[str], to: list[str],
          **extra: Any) -> httpx.Response:
    return call(node, role, "POST", "/api/v1/shares",
                {"records": records, "recipients": to, **extra})


def record(node: RunningNode, record_id: str) -> dict[str, Any] | None:
    response = call(node, "analyst", "GET", f"/api/v1/records/{record_id}")
    assert response.status_code in (200, 404), response.text
    return response.json() if response.status_code == 200 else None


def events(node: RunningNode, record_id: str) -> list[dict[str, Any]]:
    """Every audit event of `node` that names the record."""
    with node.client("oversight", **WHY) as client:
        listed = client.get("/api/v1/audit/events", params={"limit": 10000})
    assert listed.status_code == 200, listed.text
    return [e for e in listed.json() if record_id in e["record_ids"]]


def eventually(check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.2)
