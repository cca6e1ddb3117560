"""Helpers for the audit log tests: events and record-level surgery on entries.log."""

from __future__ import annotations

import struct
from pathlib import Path

from cruce.audit import AccessEvent, Actor, Justification, Operation

ACTOR = Actor("gt_pnc", "analyst7", "analyst")
WHY = Justification("gangs_organized_crime", "Art. 12", "GT-2025-0042", "cross-border check")
HEADER = 16


def make_event(i: int, op: Operation = Operation.CONSULTATION) -> AccessEvent:
    return AccessEvent(op, ACTOR, WHY, record_ids=(f"gt:rec:{i}",), details={"n": i})


def public_key(log_dir: Path) -> bytes:
    return (log_dir / "log-key.pub.pem").read_bytes()


def read_records(log_dir: Path) -> list[bytes]:
    """Whole records (length, checksum, event) of entries.log, in order."""
    data = (log_dir / "entries.log").read_bytes()
    records, pos = [], HEADER
    while pos < len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        records.append(data[pos : pos + 36 + length])
        pos += 36 + length
    return records


def write_records(log_dir: Path, records: list[bytes]) -> None:
    path = log_dir / "entries.log"
    path.write_bytes(path.read_bytes()[:HEADER] + b"".join(records))
