"""What a record row must be for every store to hold it: one check, run before any backend
sees the rows, so DuckDB and PostgreSQL take and refuse exactly the same records.

DuckDB ignores VARCHAR(n) lengths and keeps NUL characters; PostgreSQL refuses both, at the
end of a bulk COPY, for the whole write. A node on DuckDB would then hold what its PostgreSQL
peers cannot receive. The lengths are read from the records table's own definition (migration
1), so the check cannot drift from the schema.

    >>> MAX_LENGTHS["id"], MAX_LENGTHS["dataset"], MAX_LENGTHS["caption"]
    (64, 128, 1000000)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cruce.errors import InvalidInput
from cruce.records._text import shown
from cruce.store._schema import MIGRATIONS, RECORD_COLUMNS

# Columns the schema leaves unbounded (names, properties, provenance) are bounded here: far
# above any real entity (the largest FtM entity in OpenSanctions is about 200 kB) and far below
# PostgreSQL's 1 GB, so one row can never exhaust a node's memory or a peer's.
MAX_TEXT = 1_000_000


def _declared_lengths() -> dict[str, int]:
    table = re.search(r"CREATE TABLE records \((.*?)\);", MIGRATIONS[0], re.S)
    assert table is not None, "migration 1 defines the records table"
    declared = dict(re.findall(r"(\w+) VARCHAR\((\d+)\)", table.group(1)))
    return {c: int(declared.get(c, MAX_TEXT)) for c in RECORD_COLUMNS}


MAX_LENGTHS: dict[str, int] = _declared_lengths()
# Rows that fail one check (a boolean mask) and the reason, given the bad value.
_Problem = tuple[pa.ChunkedArray, Callable[[str], str]]
# An id is also a key in URLs, file names and audit entries: no control characters or spaces.
_ID_FORBIDDEN = r"[\x00-\x20\x7f-\x9f]"


def refuse_unstorable(table: pa.Table) -> None:
    """InvalidInput naming the first row (1-based), its id, the column and why, if any text
    value is too long, holds NUL, or an id is empty or holds a control character or space."""
    for name in table.column_names:
        column = table.column(name)
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            continue
        for bad, why in _problems(name, column):
            at = pc.index(bad, True).as_py()
            if at >= 0:
                value = column[at].as_py()
                raise InvalidInput(
                    f"cannot store records: record {at + 1} ({_id_of(table, at)}), column "
                    f"{name}: {why(value)}"
                )


def _problems(name: str, column: pa.ChunkedArray) -> list[_Problem]:
    """The masks of bad rows, computed only where a fast look at the raw bytes finds a
    suspect (a write of millions of rows must not pay a scan per string for each check)."""
    most = MAX_LENGTHS.get(name, MAX_TEXT)
    found: list[_Problem] = []
    # A string is never longer in characters than in bytes, and byte lengths are free.
    if (pc.max(pc.binary_length(column)).as_py() or 0) > most:
        found.append((pc.fill_null(pc.greater(pc.utf8_length(column), most), False),
                      lambda v: f"is {len(v)} characters long; at most {most}"))
    if any(not _bytes(chunk).all() for chunk in column.chunks):
        found.append((pc.fill_null(pc.match_substring(column, "\x00"), False),
                      lambda v: "holds a NUL character"))
    if name == "id":
        found.append((pc.fill_null(pc.equal(column, ""), True),
                      lambda v: "is empty"))
        if any(not _is_plain_ascii(_bytes(chunk)) for chunk in column.chunks):
            found.append((pc.fill_null(pc.match_substring_regex(column, _ID_FORBIDDEN), False),
                          lambda v: f"{shown(v)} holds a control character or a space"))
    return found


def _bytes(chunk: pa.Array) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """The UTF-8 bytes of a string array's values (only those of its slice)."""
    offsets_type = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    offsets = np.frombuffer(chunk.buffers()[1], dtype=offsets_type)
    data = chunk.buffers()[2]
    if data is None:
        return np.zeros(0, dtype=np.uint8)
    start, end = offsets[chunk.offset], offsets[chunk.offset + len(chunk)]
    return np.frombuffer(data, dtype=np.uint8)[start:end]


def _is_plain_ascii(values: np.ndarray[Any, np.dtype[np.uint8]]) -> bool:
    """Printable ASCII only (no space): such an id needs no closer look."""
    return not values.size or bool(values.min() > 0x20 and values.max() < 0x7F)


def _id_of(table: pa.Table, at: int) -> str:
    if "id" not in table.column_names:
        return "no id"
    value = table.column("id")[at].as_py()
    return f"id {shown(value)}" if value is not None else "no id"
