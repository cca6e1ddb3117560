"""Reading events back out of entries.log: export since a time, and who saw a record.

Both scan the memory-mapped entries file; neither needs an extra index. `who_saw` searches the
raw bytes for the JSON form of the record id (memchr speed) and parses only the records that
contain it, so its cost is one pass over the file plus the matching events.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cruce.audit._events import AccessEvent, Operation
from cruce.audit._files import (
    HEADER_SIZE,
    RECORD,
    FlatFile,
    ScanEnd,
    iter_records,
    map_file,
    unpack_offset,
)
from cruce.audit._recover import Derived
from cruce.errors import AuditChainBroken

_AT_KEY = b'"at":"'
_AT_LEN = len("2024-01-01T00:00:00.000000Z")
_SEEN = {Operation.CONSULTATION.value, Operation.DISCLOSURE.value}


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One logged event: its position in the log and its canonical bytes as stored."""

    index: int
    raw: bytes

    @property
    def event(self) -> dict[str, Any]:
        """The decoded event (`AccessEvent.to_dict` form).

        AuditChainBroken if the entry is no event (written by a version that logged any
        frame its socket received): readers name it rather than fail on it.
        """
        try:
            decoded = AccessEvent.decode(self.raw)
        except ValueError:  # JSONDecodeError and UnicodeDecodeError alike
            decoded = None
        if not isinstance(decoded, dict) or not isinstance(decoded.get("actor"), dict):
            raise AuditChainBroken(
                f"audit log entry {self.index} is not an access event: it was appended "
                "outside the log's writer; keep the log as evidence and restore it from a "
                "replica"
            )
        return decoded

    @property
    def at(self) -> datetime:
        return datetime.strptime(self.event["at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _at_text(when: datetime) -> bytes:
    if when.tzinfo is None:
        raise ValueError("pass an aware datetime (e.g. with tzinfo=UTC)")
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ").encode("ascii")


def _event_time(payload: bytes) -> bytes:
    # Keys are sorted and "actor" (string values only) comes before "at", so the first
    # unescaped '"at":"' is the top-level timestamp; its fixed-width text sorts by time.
    pos = payload.find(_AT_KEY)
    if pos < 0:
        return str(json.loads(payload).get("at", "")).encode("ascii")
    start = pos + len(_AT_KEY)
    return payload[start : start + _AT_LEN]


def iter_entries(fd: int, end: int, since: datetime | None) -> Iterator[LogEntry]:
    """Entries in log order, optionally only those whose event time is at or after `since`."""
    floor = None if since is None else _at_text(since)
    data = map_file(fd, end)
    stop = ScanEnd(HEADER_SIZE)
    for index, (_, _, payload) in enumerate(iter_records(data, HEADER_SIZE, end, stop)):
        if floor is None or _event_time(payload) >= floor:
            yield LogEntry(index, payload)
    if stop.problem:
        raise AuditChainBroken(f"entries.log unreadable at offset {stop.offset}: {stop.problem}")


def read_entry(fd: int, offsets: FlatFile, index: int, size: int) -> LogEntry:
    if not 0 <= index < size:
        raise IndexError(f"audit log has no entry {index} (size {size})")
    offset = unpack_offset(offsets.read(index))
    length = RECORD.unpack(os.pread(fd, RECORD.size, offset))[0]
    return LogEntry(index, os.pread(fd, length, offset + RECORD.size))


def who_saw(fd: int, derived: Derived, size: int, end: int, record_id: str) -> list[LogEntry]:
    """Consultation and disclosure events that list `record_id`, in log order."""
    needle = json.dumps(record_id, ensure_ascii=False).encode("utf-8")
    data = map_file(fd, end)
    found: list[LogEntry] = []
    pos = data.find(needle, HEADER_SIZE) if size else -1
    while pos >= 0:
        index = derived.record_at(size, pos)
        entry = read_entry(fd, derived.offsets, index, size)
        event = entry.event
        if event.get("op") in _SEEN and record_id in event.get("record_ids", ()):
            found.append(entry)
        next_record = derived.offset(index + 1) if index + 1 < size else end
        pos = data.find(needle, next_record)
    return found
