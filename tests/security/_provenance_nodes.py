"""Three real node processes on 127.0.0.1 (hn_police, gt_police, sv_police) joined into one
compact (tests/security/_three_nodes.py), for the provenance tests, and the calls they make.

    from tests.security._provenance_nodes import three_nodes  # noqa: F401  (the fixture)
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.nodes._harness import RunningNode, cruce
from tests.security._three_nodes import running_compact

AGENCIES = ("hn_police", "gt_police", "sv_police")
PURPOSE = "gangs_organized_crime"
WHY = {"X-Cruce-Purpose": PURPOSE, "X-Cruce-Case": "HN-2026-0042",
       "X-Cruce-Why": "joint investigation of the Choloma clique"}


@pytest.fixture(scope="module")
def three_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, RunningNode]]:
    # One node prepared at a time, and a long start: a loaded machine starts three
    # interpreters slowly (the compact itself is tests/security/_three_nodes.py's).
    with running_compact(tmp_path_factory, AGENCIES, "prov", prepare=prepare_each,
                         start=lambda nodes: start_all(list(nodes), timeout=180)) as nodes:
        yield nodes


def prepare_each(nodes: Sequence[RunningNode], exports: Sequence[Path]) -> None:
    for node, export in zip(nodes, exports, strict=True):
        prepare(node, export)


ROLES = ("analyst", "supervisor", "oversight")


def prepare(node: RunningNode, export: Path) -> None:
    """As RunningNode.prepare, one command at a time with room for a loaded machine."""
    cruce("init", "--db", node.db, "--agency", node.agency, env=node.env, timeout=300)
    cruce("ingest", str(export), "--db", node.db, env=node.env, timeout=300)
    for role in ROLES:
        out = cruce("users", "add", f"user.{role}", "--role", role, "--db", node.db,
                    env=node.env, timeout=300)
        node.tokens[role] = out.strip().splitlines()[-1].strip()


def start_all(nodes: list[RunningNode], timeout: float) -> None:
    threads = [threading.Thread(target=node.start, args=(timeout,)) for node in nodes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for node in nodes:  # a node that failed to start raised in its thread: say which
        assert node.process is not None and node.process.poll() is None, node.agency


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
