"""FtM Person JSON lines for encoding, checked line by line: one bad line never sinks a job.

A line that is not a valid Person entity (not JSON, no string id, properties that are not lists
of strings, too long) is skipped and named in a warning; a file whose first line is not a JSON
object, or with no valid line at all, is refused with one line naming file, line, field, why.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cruce.errors import InvalidInput

MAX_LINE_BYTES = 1 << 20
MAX_PROPERTY_VALUES = 1000
Props = dict[str, list[str]]


@dataclass
class PeopleFile:
    """The Person entities of one file (id, properties) and the lines skipped."""

    path: Path
    people: list[tuple[str, Props]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "file:line: field: why"
    other_schemas: int = 0


def _problem(line: bytes) -> tuple[str, str] | dict[str, Any]:
    if len(line) > MAX_LINE_BYTES:
        return "(line)", f"longer than {MAX_LINE_BYTES} bytes"
    try:
        data = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        return "(line)", f"not JSON ({type(exc).__name__})"
    if not isinstance(data, dict):
        return "(line)", "not a JSON object (an FtM entity)"
    if not isinstance(data.get("id"), str) or not data["id"]:
        return "id", "missing or not a string"
    if not isinstance(data.get("schema"), str):
        return "schema", "missing or not a string"
    props = data.get("properties", {})
    if not isinstance(props, dict):
        return "properties", "not an object"
    for name, values in props.items():
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            return f"properties.{name}", "must be a list of strings"
        if len(values) > MAX_PROPERTY_VALUES:
            return f"properties.{name}", f"more than {MAX_PROPERTY_VALUES} values"
    return data


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                yield number, line


def read_people(path: Path) -> PeopleFile:
    """Every valid Person of a JSON-lines file; raises InvalidInput when it is not one."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    found = PeopleFile(path)
    for number, line in _lines(path):
        result = _problem(line)
        if isinstance(result, tuple):
            where = f"{path}:{number}: {result[0]}: {result[1]}"
            if not found.people and not found.skipped and result[0] == "(line)":
                raise InvalidInput(f"{where}; is it FtM JSON lines?")
            found.skipped.append(where)
        elif result["schema"] != "Person":
            found.other_schemas += 1
        else:
            found.people.append((result["id"], result.get("properties", {})))
    if not found.people:
        reason = found.skipped[0] if found.skipped else f"{path}: no Person entity in the file"
        raise InvalidInput(reason)
    return found
