"""Ingest of FollowTheMoney entities as JSON lines, each line optionally with its envelope.

Every line is read through the bounded reader (`_lines`), its entity through `make_entity`
(the id rule, a concrete schema, text values) and its values through the same check the CSV
path uses (`_values.clean_properties`). A line that fails is a `LineProblem` naming the line,
the field and why: the first one stops the file, or with `keep_going` each goes to the rejects
and the rest is stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from cruce.errors import BadRow, CruceError, InvalidEntityField, InvalidEnvelope, InvalidInput
from cruce.ingest._lines import Line, read_lines
from cruce.ingest._values import clean_properties
from cruce.records import Envelope, Record, protect_victim
from cruce.records._envelope import check_partial
from cruce.records._record import build_entity, checked_schema
from cruce.records._search import search_text
from cruce.records._text import shown
from cruce.store import RECORD_COLUMNS
from cruce.store._schema import ENVELOPE_COLUMNS

# Kept by the node, never taken from a line: where the record came from and when.
_NODE_KEPT = ("provenance", "created_at", "updated_at")


@dataclass(frozen=True, slots=True)
class LineProblem:
    """One refused line: its number, the field at fault, why, and the line as it was."""

    line: int
    field: str
    reason: str
    text: str


@dataclass
class StagedLines:
    table: pa.Table
    rows: int
    problems: list[LineProblem]


def check_defaults(defaults: dict[str, Any], label: str = "--envelope") -> None:
    """Envelope defaults (`--envelope`, `--agency`, `--dataset`), checked field by field before
    any line: their errors are the caller's, named against the option, not a data line."""
    kept = [name for name in _NODE_KEPT if name in defaults]
    if kept:
        raise InvalidInput(f"{label}: {kept[0]}: kept by the node for each record, not given")
    try:
        check_partial(defaults)
    except InvalidEnvelope as exc:
        raise InvalidInput(f"{label}: {exc.field}: {exc.reason}") from None


def stage_jsonl(path: Path, defaults: dict[str, Any], *, keep_going: bool = False,
                name: str | None = None) -> StagedLines:
    """Read every line into record rows. The first bad line stops it with a BadRow (file,
    line and field named); with `keep_going` bad lines are collected and the rest kept.
    `name` is what the file is recorded and reported as (default: its path; an API upload's
    is `upload:<batch id>`, so no server path reaches a record's provenance or a message)."""
    file = name or str(path)
    rows: dict[str, dict[str, Any]] = {}
    problems: list[LineProblem] = []
    count = 0
    now = datetime.now(UTC)
    for line in read_lines(path):
        count += 1
        row = _row_or_problem(line, defaults, file, now)
        if isinstance(row, LineProblem):
            if not keep_going:
                raise BadRow(file, row.line, row.field, row.reason)
            problems.append(row)
            continue
        rows[row["id"]] = row
    if not rows:  # every line refused (with rejects) or blank: typed, for the write
        return StagedLines(_ROW_SCHEMA.empty_table(), count, problems)
    columns = {c: [r[c] for r in rows.values()] for c in RECORD_COLUMNS}
    return StagedLines(pa.table(columns), count, problems)


# The types pyarrow infers from a row of `_record_row`, for a table of no rows.
_TYPES = {"is_shareable": pa.bool_(), "retain_until": pa.date32(), "source_line": pa.int64(),
          "created_at": pa.timestamp("us", tz="UTC"), "updated_at": pa.timestamp("us", tz="UTC")}
_ROW_SCHEMA = pa.schema([(c, _TYPES.get(c, pa.string())) for c in RECORD_COLUMNS])


def _row_or_problem(
    line: Line, defaults: dict[str, Any], file: str, now: datetime
) -> dict[str, Any] | LineProblem:
    if line.problem is not None:
        return LineProblem(line.number, *line.problem, line.text)
    try:
        return _record_row(line.data, defaults, file, line.number, now)
    except InvalidEntityField as exc:
        return LineProblem(line.number, exc.field, exc.reason, line.text)
    except InvalidEnvelope as exc:
        return LineProblem(line.number, f"envelope.{exc.field}", _envelope_reason(exc),
                           line.text)
    except CruceError as exc:
        return LineProblem(line.number, "entity", exc.message, line.text)


def _envelope_reason(exc: InvalidEnvelope) -> str:
    if exc.reason == "missing":
        return "missing: give it in the line's envelope or with --envelope"
    return exc.reason


def table_of_records(records: list[Record], source: str) -> pa.Table:
    """Record rows from records already validated (a share opened and checked): victims
    stay protected, and the provider's envelope is kept as it came."""
    now = datetime.now(UTC)
    rows = []
    columns: dict[tuple[Any, ...], dict[str, Any]] = {}  # per distinct handling, built once
    for line, record in enumerate(records, start=1):
        env = record.envelope
        if env.is_victim and (env.tlp.value != "RED" or env.is_shareable):
            env = Envelope.build(**protect_victim(env.to_dict() | {"provenance": None}))
        key = tuple(getattr(env, c) for c in ENVELOPE_COLUMNS)
        data = columns.get(key)
        if data is None:
            data = columns[key] = env.to_dict()
        rows.append({
            "id": record.id, "schema": record.schema, "caption": record.caption,
            "properties": properties_json(record.entity.properties),
            "search_text": search_text(record.entity),
            **{k: data[k] for k in ENVELOPE_COLUMNS if k != "retain_until"},
            "retain_until": env.retain_until, "source_file": source, "source_line": line,
            "batch": "", "created_at": now, "updated_at": now,
        })
    return pa.table({c: [r[c] for r in rows] for c in RECORD_COLUMNS})


def properties_json(properties: dict[str, list[str]]) -> str:
    """The stored form of properties, the same as the SQL path writes: sorted, compact."""
    canonical = {k: sorted(set(v)) for k, v in sorted(properties.items()) if v}
    return json.dumps(canonical, separators=(",", ":"), ensure_ascii=False)


def peek_agency(path: Path) -> str | None:
    """The agency named by the first line's envelope, if it names one as text."""
    for line in read_lines(path):
        envelope = line.data.get("envelope") if isinstance(line.data, dict) else None
        agency = envelope.get("agency") if isinstance(envelope, dict) else None
        return agency if isinstance(agency, str) and agency else None
    return None


def _record_row(
    data: Any, defaults: dict[str, Any], file: str, line: int, now: datetime
) -> dict[str, Any]:
    schema = checked_schema(data)
    if "properties" in data and data["properties"] is None:
        # Not an empty entity: a null is a broken export, and an empty Person would be stored.
        raise InvalidEntityField("entity", "properties",
                                 "is null: give an object of property values")
    properties = clean_properties(schema, data.get("properties") or {}, "entity")
    entity = build_entity(data["id"], schema, properties)
    given = data.get("envelope")
    if given is not None and not isinstance(given, dict):
        raise InvalidEntityField("entity", "envelope", "must be an object of envelope fields")
    values = {**defaults, **{k: v for k, v in (given or {}).items() if k not in _NODE_KEPT}}
    if defaults.get("agency") and values.get("agency") != defaults["agency"]:
        raise InvalidEnvelope(
            "agency", f"{shown(values.get('agency'))} is not this node's agency "
                      f"{defaults['agency']!r}"
        )
    if entity.schema.is_a("Person"):
        values.setdefault("subject_category", "unknown")
    values = protect_victim(values)
    envelope = Envelope.build(**values, provenance={"file": file, "line": line})
    if envelope.retain_until < date.today():
        raise InvalidEnvelope("retain_until", f"{envelope.retain_until} is already past")
    env = envelope.to_dict()
    return {
        "id": entity.id,
        "schema": entity.schema.name,
        "caption": entity.caption,
        "properties": properties_json(entity.properties),
        "search_text": search_text(entity),
        **{k: env[k] for k in ENVELOPE_COLUMNS if k != "retain_until"},
        "retain_until": envelope.retain_until,
        "source_file": file,
        "source_line": line,
        "batch": "",
        "created_at": now,
        "updated_at": now,
    }
