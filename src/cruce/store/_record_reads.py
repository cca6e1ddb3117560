"""Reading records: by query or id, streamed for exports, for linkage, and counts.

Every read that returns record content logs its ids as one consultation (a linkage read: one
combination) before the records leave the store; counts read no record and log nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from cruce.audit import Actor, Justification, Operation
from cruce.errors import NotFound
from cruce.records import Envelope, Record, make_entity
from cruce.records._search import fold
from cruce.store._backend import Backend, marks
from cruce.store._schema import ENVELOPE_COLUMNS, RECORD_COLUMNS


@dataclass(frozen=True, slots=True)
class RecordQuery:
    """What to read: filters are ANDed; None means any."""

    schema: str | None = None
    agency: str | None = None
    dataset: str | None = None
    ids: Sequence[str] | None = None
    text: str | None = None
    limit: int | None = None
    purposes: Sequence[str] | None = None  # only records collected for one of these purposes


# What `Store.counts` may group by: envelope fields, never content.
_GROUPS = frozenset(
    {"agency", "schema", "purpose", "handling_code", "tlp", "subject_category", "dataset"})


class RecordReads(Backend):
    """The store's public methods that read records (a part of `Store`)."""

    def get(self, record_id: str, actor: Actor, justification: Justification) -> Record:
        """Read one record; the consultation is logged with its justification."""
        records = self.read(RecordQuery(ids=[record_id]), actor, justification)
        if not records:
            raise NotFound(f"no record with id {record_id!r}")
        return records[0]

    def read(self, query: RecordQuery, actor: Actor, justification: Justification) -> list[Record]:
        """Read the records a query selects; their ids are logged as one consultation."""
        with self.transaction():
            rows = self._select(query)
            records = [row_to_record(row) for row in rows]
            if records:
                ids = [r.id for r in records]
                self._emit(Operation.CONSULTATION, actor, justification, ids, None, {})
        return records

    def iter_read(
        self, query: RecordQuery, actor: Actor, justification: Justification, chunk: int = 5000
    ) -> Iterator[Record]:
        """Stream many records (exports); the consultation is logged before any is returned."""
        ids = [r[0] for r in self._select(query, columns="id")]
        if ids:
            with self.transaction():
                self._emit(
                    Operation.CONSULTATION, actor, justification, ids, None, {"export": True}
                )
        for start in range(0, len(ids), chunk):
            part = ids[start : start + chunk]
            for row in self._query(_select_records(len(part)), tuple(part)):
                yield row_to_record(row)

    def read_for_linkage(
        self, actor: Actor, justification: Justification, schema: str = "Person"
    ) -> pa.Table:
        """Every record of a schema as (id, source, properties), logged as a combination."""
        rows = self._query(
            "SELECT id, agency || '/' || dataset, properties FROM records WHERE schema = ? "
            "ORDER BY id",
            (schema,),
        )
        table = pa.table(
            {
                "id": pa.array([r[0] for r in rows], pa.string()),
                "source": pa.array([r[1] for r in rows], pa.string()),
                "properties": pa.array([r[2] for r in rows], pa.string()),
            }
        )
        if rows:
            with self.transaction():
                self._emit(
                    Operation.COMBINATION,
                    actor,
                    justification,
                    [r[0] for r in rows],
                    None,
                    {"purpose": "entity resolution", "schema": schema},
                )
        return table

    def counts(self, *group_by: str) -> list[tuple[Any, ...]]:
        """Aggregate counts only (no record leaves): used by stats and the demo summary."""
        bad = [g for g in group_by if g not in _GROUPS]
        if bad:
            raise ValueError(f"cannot group by {bad[0]!r}")
        cols = ", ".join(group_by)
        sql = f"SELECT {cols}, COUNT(*) FROM records GROUP BY {cols} ORDER BY {cols}"
        return self._query(sql)

    def count(self) -> int:
        return int(self._query("SELECT COUNT(*) FROM records")[0][0])

    def count_matching(self, query: RecordQuery) -> int:
        """How many records a query selects (its limit aside): a count, no record is read."""
        where, params = _where(query)
        return int(self._query(f"SELECT COUNT(*) FROM records{where}", params)[0][0])

    def disclosed_from_batch(self, batch: str) -> list[str]:
        """Ids of the records a batch wrote that had been disclosed to another agency (their
        recipients need the new version); ids only, no content is read."""
        rows = self._query(
            "SELECT DISTINCT d.record_id FROM disclosed d JOIN records r ON r.id = d.record_id "
            "WHERE r.batch = ? ORDER BY d.record_id", (batch,))
        return [str(r[0]) for r in rows]

    def _select(self, query: RecordQuery, columns: str = "*") -> list[tuple[Any, ...]]:
        where, params = _where(query)
        cols = ", ".join(RECORD_COLUMNS) if columns == "*" else columns
        sql = f"SELECT {cols} FROM records{where} ORDER BY id"
        if query.limit is not None:
            sql += f" LIMIT {int(query.limit)}"
        return self._query(sql, params)


def _select_records(n: int) -> str:
    return f"SELECT {', '.join(RECORD_COLUMNS)} FROM records WHERE id IN ({marks(n)}) ORDER BY id"


def _where(query: RecordQuery) -> tuple[str, tuple[Any, ...]]:
    clauses: list[str] = []
    params: list[Any] = []
    for column in ("schema", "agency", "dataset"):
        value = getattr(query, column)
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if query.ids is not None and len(query.ids) > 64:
        # One array parameter: thousands of placeholders cost more to plan than to run.
        clauses.append("id IN (SELECT unnest(CAST(? AS VARCHAR[])))")
        params.append(list(query.ids))
    elif query.ids is not None:
        clauses.append(f"id IN ({marks(len(query.ids))})" if query.ids else "1 = 0")
        params.extend(query.ids)
    if query.purposes is not None:
        clauses.append(f"purpose IN ({marks(len(query.purposes))})" if query.purposes
                       else "1 = 0")
        params.extend(query.purposes)
    for token in fold(query.text or "").split():
        clauses.append("search_text LIKE ?")
        params.append(f"%{token}%")
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)


def row_to_payload(
    row: tuple[Any, ...], envelopes: dict[tuple[Any, ...], tuple[Envelope, dict[str, Any]]]
) -> tuple[dict[str, Any], Envelope]:
    """A stored row as `Record.to_dict()` would give it, without building an FtM proxy (the
    row was validated when it was written), plus its envelope without provenance and times
    (what the sharing rules read; envelopes are shared between rows with the same policy)."""
    data = dict(zip(RECORD_COLUMNS, row, strict=True))
    policy = tuple(data[c] for c in ENVELOPE_COLUMNS)
    known = envelopes.get(policy)
    if known is None:
        envelope = Envelope.build(**dict(zip(ENVELOPE_COLUMNS, policy, strict=True)))
        known = envelopes[policy] = (envelope, envelope.to_dict())
    envelope, base = known
    fields = dict(base)
    fields["provenance"] = {"file": data["source_file"], "line": data["source_line"]}
    for name in ("created_at", "updated_at"):
        fields[name] = data[name].isoformat() if data[name] is not None else None
    # Properties stay stored JSON text here: `parse_properties` parses a batch in one call.
    payload = {"id": data["id"], "schema": data["schema"], "properties": data["properties"],
               "envelope": fields}
    return payload, envelope


def parse_properties(payloads: list[dict[str, Any]]) -> None:
    """Parse every payload's stored properties JSON at once (one decoder call, not one per
    record: a bulk share reads tens of thousands)."""
    parsed = json.loads("[" + ",".join(p["properties"] for p in payloads) + "]")
    for payload, properties in zip(payloads, parsed, strict=True):
        payload["properties"] = properties


def row_to_record(row: tuple[Any, ...]) -> Record:
    """A stored row (RECORD_COLUMNS) as a record."""
    data = dict(zip(RECORD_COLUMNS, row, strict=True))
    entity = make_entity(
        {"id": data["id"], "schema": data["schema"], "properties": json.loads(data["properties"])},
        is_stored=True,
    )
    envelope = Envelope.build(
        **{c: data[c] for c in ENVELOPE_COLUMNS},
        provenance={"file": data["source_file"], "line": data["source_line"]},
        created_at=data["created_at"],
        updated_at=data["updated_at"],
    )
    return Record(entity, envelope)

