"""What every store is built on: the hooks a backend implements, its transactions, its schema
and settings, and the one place an access event leaves for the store's `AccessSink`.

A backend (DuckDB, PostgreSQL) implements the hooks (`_execute`, `_query`, `_bulk_upsert`,
fragments, `_begin`); the public methods of `Store` (`cruce.store._base`), and only they, call
them, and emit one `AccessEvent` per operation in the same transaction as the data.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import pyarrow as pa

from cruce.audit import AccessEvent, Actor, Justification, Operation
from cruce.store._schema import DIALECTS, MIGRATIONS, refuse_newer_schema


class AccessSink(Protocol):
    """Receives every access event; `emit` returns only when the event is durable."""

    def emit(self, event: AccessEvent) -> None: ...


@dataclass(frozen=True, slots=True)
class IdSet:
    """A set of record ids: listed when few, else named by count and digest (see audit)."""

    count: int
    ids: tuple[str, ...] = ()
    digest: str | None = None


class Backend(ABC):
    """The hooks and transactions under the store's public methods."""

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

    # Per thread: each thread's own transaction depth (and, in a backend, its own cursor), so
    # that threads sharing one store never join each other's transactions.
    _local: threading.local

    @property
    def _depth(self) -> int:
        return int(getattr(self._local, "depth", 0))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One operation is one commit: nested calls (in the same thread) join the outer one."""
        if self._depth:
            self._local.depth += 1
            try:
                yield
            finally:
                self._local.depth -= 1
            return
        self._local.depth = 1
        try:
            with self._begin():
                yield
        finally:
            self._local.depth = 0

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
        refuse_newer_schema(self.url, current)
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

    # -- access events ----------------------------------------------------------------------
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


def marks(n: int) -> str:
    """`n` SQL placeholders."""
    return ", ".join("?" for _ in range(n))
