"""The embedded default store: one DuckDB file per node."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from cruce.errors import CruceError
from cruce.store._base import AccessSink, Store
from cruce.store._schema import CONTENT_COLUMNS, RECORD_COLUMNS
from cruce.store._sinks import TableSink


class DuckDBStore(Store):
    """Records in a DuckDB file. Only one process may hold a file open for writing."""

    def __init__(self, path: Path, sink: AccessSink | None = None) -> None:
        self.url = str(path)
        try:
            self.conn = duckdb.connect(str(path))
        except duckdb.IOException as exc:
            raise CruceError(f"cannot open store {path}: {_first_line(exc)}") from None
        self._depth = 0
        self.migrate()
        self.sink = sink if sink is not None else TableSink(self)

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.conn.execute(sql, list(params))

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, list(params)).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        # Nested calls join the outer transaction: one operation is one commit.
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.conn.execute("BEGIN TRANSACTION")
        self._depth = 1
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")
        finally:
            self._depth = 0

    def _changed_ids(self, table: pa.Table) -> tuple[list[str], list[str]]:
        self.conn.register("incoming", table)
        try:
            new = self.conn.execute(
                "SELECT i.id FROM incoming i ANTI JOIN records r ON r.id = i.id"
            ).fetchall()
            differs = " OR ".join(f"r.{c} IS DISTINCT FROM i.{c}" for c in CONTENT_COLUMNS)
            changed = self.conn.execute(
                f"SELECT i.id FROM incoming i JOIN records r ON r.id = i.id WHERE {differs}"
            ).fetchall()
        finally:
            self.conn.unregister("incoming")
        return [r[0] for r in new], [r[0] for r in changed]

    def _bulk_upsert(self, table: pa.Table) -> tuple[int, int, int]:
        self.conn.register("incoming", table)
        try:
            return self._upsert_registered(table.num_rows)
        finally:
            self.conn.unregister("incoming")

    def _upsert_registered(self, total: int) -> tuple[int, int, int]:
        differs = " OR ".join(f"r.{c} IS DISTINCT FROM i.{c}" for c in CONTENT_COLUMNS)
        updates = ", ".join(
            f"{c} = i.{c}" for c in RECORD_COLUMNS if c not in ("id", "created_at")
        )
        updated = self.conn.execute(
            f"UPDATE records r SET {updates} FROM incoming i WHERE r.id = i.id AND ({differs})"
        ).fetchone()
        cols = ", ".join(RECORD_COLUMNS)
        inserted = self.conn.execute(
            f"INSERT INTO records ({cols}) SELECT {cols} FROM incoming i "
            "WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.id = i.id)"
        ).fetchone()
        n_updated = int(updated[0]) if updated else 0
        n_inserted = int(inserted[0]) if inserted else 0
        return n_inserted, n_updated, total - n_inserted - n_updated

    def close(self) -> None:
        self.conn.close()


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]
