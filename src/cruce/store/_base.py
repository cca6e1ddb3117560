"""The store contract: one access point for every read and write of records.

A backend implements a handful of hooks (`_execute`, `_query`, `_bulk_upsert`, transactions);
everything that touches records goes through `Store`'s public methods, which emit one
`AccessEvent` per operation to the store's `AccessSink` in the same transaction as the data.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import pyarrow as pa

from cruce.audit import AccessEvent, Actor, Justification, Operation
from cruce.errors import Conflict, NotFound
from cruce.records import Envelope, Record, make_entity
from cruce.records._search import fold
from cruce.store._fragments import merge_fragments
from cruce.store._linkage_tables import LinkageTables
from cruce.store._policy import Verdict, WriteOutcome, Writer
from cruce.store._schema import DIALECTS, ENVELOPE_COLUMNS, MIGRATIONS, RECORD_COLUMNS
from cruce.store._share_tables import ShareTables
from cruce.store._user_tables import UserTables
from cruce.store._writes import SHARE_SOURCE, held_records, ratchet_rows, refuse_rows


class AccessSink(Protocol):
    """Receives every access event; `emit` returns only when the event is durable."""

    def emit(self, event: AccessEvent) -> None: ...


@dataclass(frozen=True, slots=True)
class IdSet:
    """A set of record ids: listed when few, else named by count and digest (see audit)."""

    count: int
    ids: tuple[str, ...] = ()
    digest: str | None = None


@dataclass(frozen=True, slots=True)
class WriteResult:
    batch: str
    inserted: int
    updated: int
    unchanged: int
    outcome: WriteOutcome = WriteOutcome()  # what the write policy refused, kept or lowered

    @property
    def written(self) -> int:
        return self.inserted + self.updated


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


class Store(UserTables, LinkageTables, ShareTables, ABC):
    """A node's records. Open with `cruce.store.open_store(url)`."""

    url: str
    sink: AccessSink
    dialect: str = "duckdb"

    # -- hooks a backend implements -------------------------------------------------------
    @abstractmethod
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    @abstractmethod
    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    def _bulk_upsert(self, table: pa.Table) -> tuple[IdSet, IdSet]:
        """Upsert rows of `table` (RECORD_COLUMNS) into records: the new and the changed ids.

        Rows whose content equals what is stored are left alone (re-ingest is idempotent).
        """

    @abstractmethod
    def _append_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Insert many rows into one of the store's own tables in one statement (a linkage
        run stores a row per record: one INSERT each would cost more than the linkage)."""

    @abstractmethod
    def _put_fragments(self, table: pa.Table, source: str) -> None:
        """Store what `source` contributes to each record of `table`, replacing its earlier part."""

    @abstractmethod
    def _fragments_elsewhere(self, table: pa.Table, source: str) -> list[dict[str, Any]]:
        """Fragments of the records in `table` that other sources contributed."""

    @abstractmethod
    def _begin(self) -> AbstractContextManager[None]:
        """The backend's own transaction: commit on exit, roll back on an exception."""

    _depth: int = 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One operation is one commit: nested calls join the outer transaction."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._depth = 1
        try:
            with self._begin():
                yield
        finally:
            self._depth = 0

    @abstractmethod
    def close(self) -> None: ...

    # -- schema -----------------------------------------------------------------------------
    def migrate(self) -> int:
        """Run the migrations this store has not seen yet; returns the schema version."""
        self._execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)"
        )
        rows = self._query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        current = int(rows[0][0])
        for version, sql in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            with self.transaction():
                for statement in filter(str.strip, sql.format(**DIALECTS[self.dialect]).split(";")):
                    self._execute(statement)
                self._execute(
                    "INSERT INTO schema_migrations VALUES (?, CURRENT_TIMESTAMP)", (version,)
                )
        return len(MIGRATIONS)

    # -- node settings ----------------------------------------------------------------------
    def get_setting(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM node_settings WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_setting(self, key: str, value: str) -> None:
        with self.transaction():
            self._execute("DELETE FROM node_settings WHERE key = ?", (key,))
            self._execute("INSERT INTO node_settings VALUES (?, ?)", (key, value))

    # -- writes -----------------------------------------------------------------------------
    def write_table(
        self,
        table: pa.Table,
        actor: Actor,
        justification: Justification,
        batch: str,
        details: dict[str, Any] | None = None,
        source: str | None = None,
        writer: Writer | None = None,
    ) -> WriteResult:
        """Write prepared records in one transaction; collection and alteration are logged.

        `source` names where the rows come from (dataset and file). A record is the merge of
        what every source said of it: writing a source again replaces only its own part.
        `writer` says who writes (default: the sender a `share-from:` source names, else this
        node's own ingest); the write policy
        (`cruce.store._policy`) refuses the rows it may not change, keeps the stricter
        protection unless lowering is allowed, and the result's `outcome` says what it did.
        Conflict if it refuses every row (nothing is written).
        """
        table = table.select(list(RECORD_COLUMNS))
        source = source or f"{batch}"
        writer = writer or self._default_writer(table, source)
        with self.transaction():
            held = held_records(self, table.column("id").to_pylist())
            table, refused = refuse_rows(table, held, writer)
            if refused and not table.num_rows:
                more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
                raise Conflict(f"nothing written: {refused[0][1]}{more}")
            self._put_fragments(table, source)
            others = self._fragments_elsewhere(table, source)
            if others:
                table = merge_fragments(table, others)
            table, verdicts, withdrawn = ratchet_rows(table, held, writer)
            new, changed = self._bulk_upsert(table)
            unchanged = table.num_rows - new.count - changed.count
            outcome = WriteOutcome(
                tuple(refused), sum(1 for v in verdicts.values() if v.kept),
                {i: v.lowered for i, v in verdicts.items() if v.lowered}, tuple(withdrawn))
            info = dict(details or {})
            if refused or outcome.kept:
                info |= {"refused": len(refused), "kept_stricter": outcome.kept}
            for op, ids in ((Operation.COLLECTION, new), (Operation.ALTERATION, changed)):
                if ids.count:
                    event = AccessEvent(
                        op,
                        actor,
                        justification,
                        ids.ids,
                        batch=batch,
                        details=info,
                        record_count=ids.count,
                        record_digest=ids.digest,
                    )
                    self.sink.emit(event)
            self._log_lowering(verdicts, writer, actor, justification, batch)
            self._record_batch(batch, table, new.count, changed.count, unchanged, info)
        return WriteResult(batch, new.count, changed.count, unchanged, outcome)

    def _default_writer(self, table: pa.Table, source: str) -> Writer:
        """A package's source names its sender (`share-from:AGENCY`); any other source is
        this node's own ingest."""
        agency = self.get_setting("agency")
        if agency is None and table.num_rows:
            agency = str(table.column("agency")[0].as_py())
        sender = source[len(SHARE_SOURCE):] if source.startswith(SHARE_SOURCE) else None
        return Writer(agency or "", sender)

    def _log_lowering(
        self, verdicts: dict[str, Verdict], writer: Writer, actor: Actor,
        justification: Justification, batch: str,
    ) -> None:
        """A supervisor's lowering of protection: one alteration event saying what, and why."""
        lowered = {i: v.lowered for i, v in verdicts.items() if v.lowered}
        if not lowered or writer.lowering is None:
            return
        fields = sorted({f for names in lowered.values() for f in names})
        details = {"lowered": fields, "lowered_by": writer.lowering.supervisor,
                   "lowered_why": writer.lowering.justification}
        self.sink.emit(AccessEvent(Operation.ALTERATION, actor, justification,
                                   tuple(sorted(lowered)), batch=batch, details=details))

    def erase(self, ids: Sequence[str], actor: Actor, justification: Justification) -> int:
        """Erase records; the erasure event names them but never copies their content."""
        with self.transaction():
            found = [r[0] for r in self._query(_select_ids(len(ids)), tuple(ids))]
            if not found:
                one = f"no record with id {ids[0]!r}"
                raise NotFound(one if len(ids) == 1 else "no such records")
            self._execute(f"DELETE FROM records WHERE id IN ({_marks(len(found))})", tuple(found))
            self._execute(f"DELETE FROM fragments WHERE id IN ({_marks(len(found))})", tuple(found))
            self._emit(Operation.ERASURE, actor, justification, found, None, {})
        return len(found)

    def expired_ids(self, today: date) -> list[str]:
        """Records past their retain-until date (Directive 2016/680 Art. 5)."""
        return [str(r[0]) for r in self._query(
            "SELECT id FROM records WHERE retain_until < ?", (today,))]

    def erase_expired(self, today: date, actor: Actor, justification: Justification) -> int:
        """Erase every record past its retain-until date."""
        ids = self.expired_ids(today)
        return self.erase(ids, actor, justification) if ids else 0

    # -- reads ------------------------------------------------------------------------------
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
            records = [_row_to_record(row) for row in rows]
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
                yield _row_to_record(row)

    def log_disclosure(
        self,
        ids: Sequence[str],
        actor: Actor,
        justification: Justification,
        recipients: Sequence[str],
        details: dict[str, Any],
    ) -> None:
        """A disclosure (a transfer to another agency): the records, the recipients, and why."""
        with self.transaction():
            event = AccessEvent(
                Operation.DISCLOSURE, actor, justification, tuple(ids),
                recipients=tuple(recipients), details=details,
            )
            self.sink.emit(event)

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
        allowed = {
            "agency",
            "schema",
            "purpose",
            "handling_code",
            "tlp",
            "subject_category",
            "dataset",
        }
        bad = [g for g in group_by if g not in allowed]
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

    # -- internals --------------------------------------------------------------------------
    def _select(self, query: RecordQuery, columns: str = "*") -> list[tuple[Any, ...]]:
        where, params = _where(query)
        cols = ", ".join(RECORD_COLUMNS) if columns == "*" else columns
        sql = f"SELECT {cols} FROM records{where} ORDER BY id"
        if query.limit is not None:
            sql += f" LIMIT {int(query.limit)}"
        return self._query(sql, params)

    def _emit(
        self,
        op: Operation,
        actor: Actor,
        justification: Justification,
        ids: Sequence[str],
        batch: str | None,
        details: dict[str, Any],
    ) -> None:
        event = AccessEvent(op, actor, justification, tuple(ids), batch=batch, details=details)
        self.sink.emit(event)

    def _record_batch(
        self,
        batch: str,
        table: pa.Table,
        inserted: int,
        updated: int,
        unchanged: int,
        details: dict[str, Any],
    ) -> None:
        agency = table.column("agency")[0].as_py() if table.num_rows else ""
        dataset = table.column("dataset")[0].as_py() if table.num_rows else ""
        self._execute(
            "INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP)",
            (
                batch,
                agency,
                dataset,
                details.get("file"),
                inserted,
                updated,
                unchanged,
                int(details.get("rejected", 0)),
            ),
        )


def _marks(n: int) -> str:
    return ", ".join("?" for _ in range(n))


def _select_ids(n: int) -> str:
    return f"SELECT id FROM records WHERE id IN ({_marks(n)})"


def _select_records(n: int) -> str:
    return f"SELECT {', '.join(RECORD_COLUMNS)} FROM records WHERE id IN ({_marks(n)}) ORDER BY id"


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
        clauses.append(f"id IN ({_marks(len(query.ids))})" if query.ids else "1 = 0")
        params.extend(query.ids)
    if query.purposes is not None:
        clauses.append(f"purpose IN ({_marks(len(query.purposes))})" if query.purposes
                       else "1 = 0")
        params.extend(query.purposes)
    for token in fold(query.text or "").split():
        clauses.append("search_text LIKE ?")
        params.append(f"%{token}%")
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)


_POLICY_COLUMNS = ENVELOPE_COLUMNS


def row_to_payload(
    row: tuple[Any, ...], envelopes: dict[tuple[Any, ...], tuple[Envelope, dict[str, Any]]]
) -> tuple[dict[str, Any], Envelope]:
    """A stored row as `Record.to_dict()` would give it, without building an FtM proxy (the
    row was validated when it was written), plus its envelope without provenance and times
    (what the sharing rules read; envelopes are shared between rows with the same policy)."""
    data = dict(zip(RECORD_COLUMNS, row, strict=True))
    policy = tuple(data[c] for c in _POLICY_COLUMNS)
    known = envelopes.get(policy)
    if known is None:
        envelope = Envelope.build(**dict(zip(_POLICY_COLUMNS, policy, strict=True)))
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


def _row_to_record(row: tuple[Any, ...]) -> Record:
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
