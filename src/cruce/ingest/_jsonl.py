"""Ingest of FollowTheMoney entities as JSON lines, each line optionally with its envelope."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from cruce.errors import BadRow, CruceError
from cruce.records import Envelope, Record, make_entity, protect_victim
from cruce.records._search import search_text
from cruce.store import RECORD_COLUMNS
from cruce.store._schema import ENVELOPE_COLUMNS


def stage_jsonl(path: Path, defaults: dict[str, Any]) -> tuple[pa.Table, int]:
    """Read every line into record rows; the first bad line stops it (file and line named)."""
    rows: dict[str, dict[str, Any]] = {}
    count = 0
    now = datetime.now(UTC)
    for line_no, data in _lines(path):
        count += 1
        try:
            row = _record_row(data, defaults, str(path), line_no, now)
        except CruceError as exc:
            raise BadRow(str(path), line_no, _field_of(exc), exc.message) from None
        if defaults.get("agency") and row["agency"] != defaults["agency"]:
            raise BadRow(
                str(path),
                line_no,
                "envelope.agency",
                f"{row['agency']!r} is not this node's agency {defaults['agency']!r}",
            )
        rows[row["id"]] = row
    columns = {c: [r[c] for r in rows.values()] for c in RECORD_COLUMNS}
    return pa.table(columns), count


def records_table(items: list[dict[str, Any]], source: str) -> pa.Table:
    """Record rows from FtM entities that carry their envelopes (JSON from another system)."""
    now = datetime.now(UTC)
    rows = [_record_row(item, {}, source, i, now) for i, item in enumerate(items, start=1)]
    return pa.table({c: [r[c] for r in rows] for c in RECORD_COLUMNS})


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
    """The agency named by the first line's envelope, if any."""
    for _, data in _lines(path):
        agency = (data.get("envelope") or {}).get("agency")
        return str(agency) if agency else None
    return None


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield line_no, json.loads(line)
            except json.JSONDecodeError as exc:
                raise BadRow(str(path), line_no, "(line)", f"not JSON: {exc.msg}") from None


def _record_row(
    data: dict[str, Any], defaults: dict[str, Any], file: str, line: int, now: datetime
) -> dict[str, Any]:
    entity = make_entity(data, where="entity")
    values = {**defaults, **(data.get("envelope") or {})}
    values.pop("provenance", None)
    values.pop("created_at", None)
    values.pop("updated_at", None)
    if entity.schema.is_a("Person"):
        values.setdefault("subject_category", "unknown")
    values = protect_victim(values)
    envelope = Envelope.build(**values, provenance={"file": file, "line": line})
    if envelope.retain_until < date.today():
        raise BadRow(
            file, line, "envelope.retain_until", f"{envelope.retain_until} is already past"
        )
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


def _field_of(exc: CruceError) -> str:
    return getattr(exc, "field", "entity")
