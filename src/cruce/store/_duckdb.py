"""The embedded default store: one DuckDB file per node."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from cruce._files import make_private, restrict_umask
from cruce.audit import MAX_LISTED_IDS
from cruce.errors import CruceError
from cruce.store._base import AccessSink, IdSet, Store
from cruce.store._schema import CONTENT_COLUMNS, FRAGMENT_COLUMNS, RECORD_COLUMNS
from cruce.store._sinks import TableSink


class DuckDBStore(Store):
    """Records in a DuckDB file. Only one process may hold a file open for writing."""

    def __init__(self, path: Path, sink: AccessSink | None = None) -> None:
        self.url = str(path)
        # The file and its WAL hold case data and token digests: private to this account. DuckDB
        # creates the WAL anew at writes, with the process umask, so the umask is tightened.
        restrict_umask()
        try:
            self.conn = duckdb.connect(str(path))
        except duckdb.IOException as exc:
            raise CruceError(f"cannot open store {path}: {_first_line(exc)}") from None
        if self.url != ":memory:":
            for made in (path, Path(f"{path}.wal")):
                make_private(made)
        self._depth = 0
        self.migrate()
        self.sink = sink if sink is not None else TableSink(self)

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.conn.execute(sql, list(params))

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, list(params)).fetchall()

    @contextmanager
    def _begin(self) -> Iterator[None]:
        self.conn.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def _bulk_upsert(self, table: pa.Table) -> tuple[IdSet, IdSet]:
        self.conn.register("incoming", table)
        try:
            differs = " OR ".join(f"r.{c} IS DISTINCT FROM i.{c}" for c in CONTENT_COLUMNS)
            self.conn.execute(
                "CREATE OR REPLACE TEMP TABLE upsert_status AS SELECT i.id, CASE "
                f"WHEN r.id IS NULL THEN 'new' WHEN {differs} THEN 'changed' ELSE 'same' END "
                "AS status FROM incoming i LEFT JOIN records r ON r.id = i.id"
            )
            new, changed = self._id_set("new"), self._id_set("changed")
            if changed.count:
                updates = ", ".join(
                    f"{c} = i.{c}" for c in RECORD_COLUMNS if c not in ("id", "created_at")
                )
                self.conn.execute(
                    f"UPDATE records r SET {updates} FROM incoming i JOIN upsert_status s "
                    "USING (id) WHERE r.id = i.id AND s.status = 'changed'"
                )
            if new.count:
                cols = ", ".join(f"i.{c}" for c in RECORD_COLUMNS)
                self.conn.execute(
                    f"INSERT INTO records SELECT {cols} FROM incoming i "
                    "JOIN upsert_status s USING (id) WHERE s.status = 'new'"
                )
            self.conn.execute("DROP TABLE upsert_status")
            return new, changed
        finally:
            self.conn.unregister("incoming")

    def _append_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        if not rows:
            return
        incoming = pa.table({c: [row[i] for row in rows] for i, c in enumerate(columns)})
        self.conn.register("appending", incoming)
        try:
            cols = ", ".join(columns)
            self.conn.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM appending")
        finally:
            self.conn.unregister("appending")

    def _put_fragments(self, table: pa.Table, source: str) -> None:
        self.conn.register("incoming", table.select(list(FRAGMENT_COLUMNS)))
        try:
            self.conn.execute(
                "DELETE FROM fragments f USING incoming i WHERE f.id = i.id AND f.source = ?",
                [source],
            )
            cols = ", ".join(FRAGMENT_COLUMNS)
            self.conn.execute(
                f"INSERT INTO fragments (source, {cols}) SELECT ?, {cols} FROM incoming", [source]
            )
        finally:
            self.conn.unregister("incoming")

    def _fragments_elsewhere(self, table: pa.Table, source: str) -> list[dict[str, Any]]:
        self.conn.register("incoming", table.select(["id"]))
        try:
            cols = ", ".join(f"f.{c}" for c in FRAGMENT_COLUMNS)
            rows = self.conn.execute(
                f"SELECT {cols} FROM fragments f SEMI JOIN incoming i ON f.id = i.id "
                "WHERE f.source <> ?",
                [source],
            ).fetchall()
        finally:
            self.conn.unregister("incoming")
        return [dict(zip(FRAGMENT_COLUMNS, row, strict=True)) for row in rows]

    def _id_set(self, status: str) -> IdSet:
        row = self.conn.execute(
            "SELECT count(*) FROM upsert_status WHERE status = ?", [status]
        ).fetchall()[0]
        count = int(row[0]) if row else 0
        if count <= MAX_LISTED_IDS:
            ids = self.conn.execute(
                "SELECT id FROM upsert_status WHERE status = ? ORDER BY id", [status]
            ).fetchall()
            return IdSet(count, tuple(r[0] for r in ids))
        # The same digest as audit.digest_ids, computed where the ids are.
        digest = self.conn.execute(
            "SELECT sha256(string_agg(id || chr(10), '' ORDER BY id)) FROM upsert_status "
            "WHERE status = ?",
            [status],
        ).fetchall()[0]
        return IdSet(count, (), str(digest[0]) if digest else None)

    def close(self) -> None:
        self.conn.close()


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]
