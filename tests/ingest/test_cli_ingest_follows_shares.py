"""`cruce ingest` sends what the API's ingest sends (issue 10 g): a record already shared that a
re-ingest makes a victim's is withdrawn from its recipient, and one it alters is corrected
there, queued in the ingest's transaction; a node without the directory queues the withdrawal
all the same. hn_police works only through the command line on its stopped store; gt_police is a
real node process receiving over HTTP."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.nodes._harness import RunningNode, agency_export, cruce, form_compact, make_env

PURPOSE = "gangs_organized_crime"
WHY = {"X-Cruce-Purpose": PURPOSE, "X-Cruce-Case": "HN-2026-9"}
JUSTIFY = ["--purpose", PURPOSE, "--case", "HN-2026-9"]


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningNode, RunningNode]]:
    nodes = []
    for agency in ("hn_police", "gt_police"):
        folder = tmp_path_factory.mktemp(f"follow_{agency}")
        nodes.append(RunningNode(agency=agency, backend="duckdb",
                                 db=str(folder / f"{agency}.duckdb"),
                                 audit_dir=folder / f"{agency}.duckdb.audit",
                                 log_file=folder / "server.log", env=make_env(None)))
    hn, gt = nodes
    cruce("init", "--db", hn.db, "--agency", hn.agency, env=hn.env)
    gt.prepare(agency_export(tmp_path_factory.mktemp("follow_export"), gt.agency))
    form_compact(nodes, tmp_path_factory.mktemp("follow_compact"))
    gt.start()
    try:
        yield hn, gt
    finally:
        gt.stop()


def person(key: str, *, name: str = "Persona Prueba", category: str = "suspect") -> str:
    envelope = {"agency": "hn_police", "dataset": "pruebas", "purpose": PURPOSE,
                "handling_code": "H0", "tlp": "GREEN", "source_reliability": "B",
                "information_accuracy": "2", "retain_until": "2031-01-01",
                "subject_category": category, "is_shareable": True}
    return json.dumps({"id": key, "schema": "Person", "properties": {"name": [name]},
                       "envelope": envelope}) + "\n"


def ingest(node: RunningNode, folder: Path, text: str, env: dict[str, str]) -> None:
    path = folder / f"{uuid.uuid4().hex[:8]}.jsonl"
    path.write_text(text, encoding="utf-8")
    cruce("ingest", str(path), "--db", node.db, env=env)


def held(gt: RunningNode, key: str) -> dict[str, Any] | None:
    with gt.client("analyst", **WHY) as client:
        answer = client.get(f"/api/v1/records/{key}")
    assert answer.status_code in (200, 404), answer.text
    return answer.json() if answer.status_code == 200 else None


def eventually(check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.2)


def shared_with_gt(hn: RunningNode, gt: RunningNode, folder: Path, key: str) -> None:
    ingest(hn, folder, person(key), hn.env)
    cruce("share", key, "--to", gt.agency, *JUSTIFY, "--db", hn.db, env=hn.env)
    eventually(lambda: held(gt, key) is not None)


def outbox(hn: RunningNode, env: dict[str, str]) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads(cruce("outbox", "--json", "--db", hn.db,
                                                     env=env))
    return entries


def test_a_cli_reingest_as_a_victim_withdraws_the_record_from_its_recipient(
    pair: tuple[RunningNode, RunningNode], tmp_path: Path,
) -> None:
    hn, gt = pair
    key = f"follow-victim-{uuid.uuid4().hex[:8]}"
    shared_with_gt(hn, gt, tmp_path, key)
    before = len(outbox(hn, hn.env))
    ingest(hn, tmp_path, person(key, category="victim"), hn.env)
    queued = outbox(hn, hn.env)[before:]
    assert [(e["recipient"], e["kind"]) for e in queued] == [(gt.agency, "erasure")], queued
    cruce("outbox", "--deliver", "--db", hn.db, env=hn.env)
    eventually(lambda: held(gt, key) is None)


def test_a_cli_reingest_that_alters_a_shared_record_corrects_it_at_the_recipient(
    pair: tuple[RunningNode, RunningNode], tmp_path: Path,
) -> None:
    hn, gt = pair
    key = f"follow-rename-{uuid.uuid4().hex[:8]}"
    shared_with_gt(hn, gt, tmp_path, key)
    ingest(hn, tmp_path, person(key, name="Persona Corregida"), hn.env)
    cruce("outbox", "--deliver", "--db", hn.db, env=hn.env)

    def corrected() -> bool:
        found = held(gt, key)
        return found is not None and "Persona Corregida" in found["properties"]["name"]

    eventually(corrected)


def test_without_the_directory_the_withdrawal_is_queued_all_the_same(
    pair: tuple[RunningNode, RunningNode], tmp_path: Path,
) -> None:
    hn, gt = pair
    key = f"follow-nodir-{uuid.uuid4().hex[:8]}"
    shared_with_gt(hn, gt, tmp_path, key)
    alone = {k: v for k, v in hn.env.items()
             if k not in ("CRUCE_DIRECTORY", "CRUCE_AUTHORITY_KEY")}
    before = len(outbox(hn, alone))
    ingest(hn, tmp_path, person(key, category="victim"), alone)
    queued = outbox(hn, alone)[before:]
    assert [(e["recipient"], e["kind"]) for e in queued] == [(gt.agency, "erasure")], queued
    cruce("outbox", "--deliver", "--db", hn.db, env=hn.env)  # once it has the directory
    eventually(lambda: held(gt, key) is None)
