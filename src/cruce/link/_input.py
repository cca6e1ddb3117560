"""The FtM JSON-lines files `cruce link` reads: checked line by line before DuckDB reads them.

One bad record never sinks a job: a line that is not a valid FtM entity (not JSON, not an
object, no string id, properties that are not lists of strings, longer than MAX_LINE_BYTES)
is skipped, counted and named in a warning. A file that is not JSON lines at all is refused
with one line naming the file, the line, the field and why: its first line is not a JSON
object (a CSV, a JSON array, a spreadsheet), or no line of it is a valid entity.

    >>> BadLine("a.jsonl", 3, "properties.name", "must be a list of strings")
    BadLine(file='a.jsonl', line=3, field='properties.name', reason='must be a list of strings')
    >>> str(_)
    'a.jsonl:3: properties.name: must be a list of strings'
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from cruce.errors import BadRow
from cruce.ingest._lines import MAX_LINE_BYTES, bounded_lines

KEPT_BAD_LINES = 20  # named in warnings; the rest are only counted
LINE = "(line)"


@dataclass(frozen=True, slots=True)
class BadLine:
    """One skipped line: where, which field, why."""

    file: str
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.reason}"

    def as_error(self) -> BadRow:
        return BadRow(self.file, self.line, self.field, self.reason)


@dataclass(slots=True)
class FileCheck:
    """What checking one file found: how many lines were entities, the first bad lines."""

    path: Path
    entities: int = 0
    skipped: int = 0
    bad: list[BadLine] = field(default_factory=list)

    def add_bad(self, bad: BadLine) -> None:
        self.skipped += 1
        if len(self.bad) < KEPT_BAD_LINES:
            self.bad.append(bad)


def check_jsonl(path: Path) -> FileCheck:
    """Check every line of one file; raises BadRow when the file is not FtM JSON lines."""
    check = FileCheck(path)
    with path.open("rb") as fh:
        for number, raw in _raw_lines(fh):
            entity = _entity_of(raw)
            if isinstance(entity, dict):
                check.entities += 1
                continue
            where = BadLine(str(path), number, *entity)
            if not check.entities and not check.skipped and where.field == LINE:
                raise where.as_error()  # the first line is not JSON: not JSON lines at all
            check.add_bad(where)
    if check.skipped and not check.entities:
        raise check.bad[0].as_error()
    return check


def good_people(path: Path) -> Iterator[tuple[str, str]]:
    """(id, properties as JSON) of every valid Person line, for a file that has bad lines."""
    with path.open("rb") as fh:
        for _, raw in _raw_lines(fh):
            entity = _entity_of(raw)
            if isinstance(entity, dict) and entity.get("schema") == "Person":
                yield entity["id"], json.dumps(entity.get("properties") or {})


def _raw_lines(fh: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
    """Non-blank lines with their numbers; None for a line longer than MAX_LINE_BYTES (the
    ingest's bounded reader skips it without holding it in memory)."""
    return ((number, raw) for number, raw in bounded_lines(fh) if raw is None or raw.strip())


def _entity_of(raw: bytes | None) -> dict[str, Any] | tuple[str, str]:
    """The entity of one line, or (field, reason): what is wrong with it."""
    if raw is None:
        return (LINE, f"longer than {MAX_LINE_BYTES // (1 << 20)} MiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return (LINE, "not UTF-8 text")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return (LINE, f"not JSON: {exc.msg} (column {exc.colno})")
    except RecursionError:
        return (LINE, "not JSON: nested too deeply")
    if not isinstance(data, dict):
        return (LINE, f"not a JSON object (an FtM entity), but a {_kind(data)}")
    wrong = _wrong_field(data)
    if wrong is None and "\\u" in text and not _is_unicode(data):
        wrong = (LINE, "holds a lone surrogate escape (\\udXXX), which is no text")
    return data if wrong is None else wrong


def _wrong_field(data: dict[str, Any]) -> tuple[str, str] | None:
    for key in ("id", "schema"):
        value = data.get(key)
        if value is None:
            return key, "missing"
        if not isinstance(value, str) or not value.strip():
            return key, f"must be a non-empty string, not {_kind(value)}"
    properties = data.get("properties")
    if properties is None:
        return None
    if not isinstance(properties, dict):
        return "properties", f"must be an object, not {_kind(properties)}"
    for name, values in properties.items():
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            return f"properties.{name}", "must be a list of strings"
    return None


def _is_unicode(data: dict[str, Any]) -> bool:
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _kind(value: object) -> str:
    names = {dict: "object", list: "list", str: "string", bool: "boolean", int: "number",
             float: "number", type(None): "null"}
    return names.get(type(value), type(value).__name__)
