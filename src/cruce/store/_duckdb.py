"""The embedded default store: one DuckDB file per node.

Many threads may share one store: each thread reads on its own cursor (DuckDB runs them in
parallel, outside the GIL), and writes take one lock, held for a whole transaction, whose cursor
is the thread's own, so the thread sees its uncommitted writes. DuckDB lets only one PROCESS open
a file for writing: serve a DuckDB node from one process with threads.
"""

from __future__ import annotations

import threading
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
        self._local = threading.local()
        # One writer at a time: a transaction (or a lone write) holds it to its end.
        self._write_lock = threading.RLock()
        # Commits through this store, and the users' generation read after the count'th: no
        # other process writes the file, so the generation moves only with one of these.
        self._commits = 0
        self._generation_seen: tuple[int, int] | None = None
        try:
            self.migrate()
        except CruceError:  # e.g. a newer schema: the refused file is left closed, untouched
            self.conn.close()
            raise
        self.sink = sink if sink is not None else TableSink(self)

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's own cursor (made at its first use; temp tables and registered views
        are per cursor, so a transaction's stay its own)."""
        cursor: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self.conn.cursor()
            self._local.cursor = cursor
        return cursor

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        # Outside a transaction a write is its own commit: it too waits for the writer's turn.
        with self._write_lock:
            self._cursor().execute(sql, list(params))
            if not self._depth:
                self._commits += 1

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._cursor().execute(sql, list(params)).fetchall()

    @contextmanager
    def _begin(self) -> Iterator[None]:
        with self._write_lock:
            cursor = self._cursor()
            cursor.execute("BEGIN TRANSACTION")
            try:
                yield
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")
            self._commits += 1  # after the commit: a reader that saw the old count reads again

    def users_generation(self) -> int:
        """The users' generation, read from the file only after a commit through this store
        (the server's token table asks before every request: most ask nothing of DuckDB)."""
        commits, seen = self._commits, self._generation_seen
        if seen is not None and seen[0] == commits:
            return seen[1]
        generation = super().users_generation()
        self._generation_seen = (commits, generation)
        return generation

    def _bulk_upsert(self, table: pa.Table) -> tuple[IdSet, IdSet]:
        self._cursor().register("incoming", table)
        try:
            differs = " OR ".join(f"r.{c} IS DISTINCT FROM i.{c}" for c in CONTENT_COLUMNS)
            self._cursor().execute(
                "CREATE OR REPLACE TEMP TABLE upsert_status AS SELECT i.id, CASE "
                f"WHEN r.id IS NULL THEN 'new' WHEN {differs} THEN 'changed' ELSE 'same' END "
                "AS status FROM incoming i LEFT JOIN records r ON r.id = i.id"
            )
            new, changed = self._id_set("new"), self._id_set("changed")
            if changed.count:
                updates = ", ".join(
                    f"{c} = i.{c}" for c in RECORD_COLUMNS if c not in ("id", "created_at")
                )
                self._cursor().execute(
                    f"UPDATE records r SET {updates} FROM incoming i JOIN upsert_status s "
                    "USING (id) WHERE r.id = i.id AND s.status = 'changed'"
                )
            if new.count:
                cols = ", ".join(f"i.{c}" for c in RECORD_COLUMNS)
                self._cursor().execute(
                    f"INSERT INTO records SELECT {cols} FROM incoming i "
                    "JOIN upsert_status s USING (id) WHERE s.status = 'new'"
                )
            self._cursor().execute("DROP TABLE upsert_status")
            return new, changed
        finally:
            self._cursor().unregister("incoming")

    def _append_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        if not rows:
            return
        incoming = pa.table({c: [row[i] for row in rows] for i, c in enumerate(columns)})
        self._cursor().register("appending", incoming)
        try:
            cols = ", ".join(columns)
            self._cursor().execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM appending")
        finally:
            self._cursor().unregister("appending")

    def _put_fragments(self, table: pa.Table, source: str) -> None:
        self._cursor().register("incoming", table.select(list(FRAGMENT_COLUMNS)))
        try:
            self._cursor().execute(
                "DELETE FROM fragments f USING incoming i WHERE f.id = i.id AND f.source = ?",
                [source],
            )
            cols = ", ".join(FRAGMENT_COLUMNS)
            self._cursor().execute(
                f"INSERT INTO fragments (source, {cols}) SELECT ?, {cols} FROM incoming", [source]
            )
        finally:
            self._cursor().unregister("incoming")

    def _fragments_elsewhere(self, table: pa.Table, source: str) -> list[dict[str, Any]]:
        self._cursor().register("incoming", table.select(["id"]))
        try:
            cols = ", ".join(f"f.{c}" for c in FRAGMENT_COLUMNS)
            rows = self._cursor().execute(
                f"SELECT {cols} FROM fragments f SEMI JOIN incoming i ON f.id = i.id "
                "WHERE f.source <> ?",
                [source],
            ).fetchall()
        finally:
            self._cursor().unregister("incoming")
        return [dict(zip(FRAGMENT_COLUMNS, row, strict=True)) for row in rows]

    def _id_set(self, status: str) -> IdSet:
        row = self._cursor().execute(
            "SELECT count(*) FROM upsert_status WHERE status = ?", [status]
        ).fetchall()[0]
        count = int(row[0]) if row else 0
        if count <= MAX_LISTED_IDS:
            ids = self._cursor().execute(
                "SELECT id FROM upsert_status WHERE status = ? ORDER BY id", [status]
            ).fetchall()
            return IdSet(count, tuple(r[0] for r in ids))
        # The same digest as audit.digest_ids, computed where the ids are.
        digest = self._cursor().execute(
            "SELECT sha256(string_agg(id || chr(10), '' ORDER BY id)) FROM upsert_status "
            "WHERE status = ?",
            [status],
        ).fetchall()[0]
        return IdSet(count, (), str(digest[0]) if digest else None)

    def close(self) -> None:
        self.conn.close()


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]
