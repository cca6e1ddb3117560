"""The server store: a node's records in PostgreSQL (a schema per node, set by the URL's options).

The base class writes portable SQL with `?` placeholders; this backend binds it through psycopg 3.
`IN (?, ?, ...)` lists become `= ANY(%s)` with one array parameter, so reads and erasures of any
number of ids stay within the protocol's 65,535 parameters and share one prepared statement.
Bulk writes load Arrow tables with one CSV COPY into a temporary table, then classify, update and
insert in SQL, where the ids are.

Threads share the store through a pool of connections (psycopg_pool): a transaction holds one
connection from its first statement to its commit, a read outside any transaction borrows one
for that statement only. Transactions run at REPEATABLE READ, so a transaction's reads see one
snapshot (no torn read) and readers never wait; writers take the store's write lock at their
first write, held to their commit, so this process's writers go one at a time as on DuckDB (a
transaction that read, then writes rows another committed meanwhile, is refused with "try
again" rather than writing over what it did not see). Waits
are bounded: no free connection within `POOL_WAIT` seconds is a 503 ("the store is busy"), not
a hung request. A connection the server dropped (restart, idle kill) is found broken when next
used: the pool replaces it, and a lone read is tried once more on a fresh connection.
"""

from __future__ import annotations

import io
import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from functools import lru_cache
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from psycopg import IsolationLevel
from psycopg import sql as pgsql
from psycopg.copy import QueuedLibpqWriter
from psycopg_pool import ConnectionPool, PoolTimeout

from cruce._files import redact_url
from cruce.audit import MAX_LISTED_IDS
from cruce.errors import CruceError, InvalidInput
from cruce.store._base import AccessSink, IdSet, Store
from cruce.store._schema import CONTENT_COLUMNS, FRAGMENT_COLUMNS, RECORD_COLUMNS
from cruce.store._sinks import TableSink

# Arrow types the COPY writes, by records column (every other column is text).
_ARROW_TYPES: dict[str, pa.DataType] = {
    "is_shareable": pa.bool_(),
    "retain_until": pa.date32(),
    "source_line": pa.int32(),
    "created_at": pa.timestamp("us", tz="UTC"),
    "updated_at": pa.timestamp("us", tz="UTC"),
}
_COPY_CHUNK = 16_384  # rows per CSV chunk handed to COPY
_CONNECT_TIMEOUT = 10  # seconds, unless the URL names its own connect_timeout
_MIGRATE_LOCK = "cruce.store.migrate"
# Connections per store (per serving process): the API's worker threads (40) share them; the
# server's max_connections (100 by default) bounds pool size x processes.
POOL_SIZE = int(os.environ.get("CRUCE_PG_POOL", "12"))
POOL_WAIT = 10.0  # seconds a statement waits for a free connection before "the store is busy"

_INCOMING = "cruce_incoming"
_STATUS = "cruce_upsert_status"


class StoreBusy(CruceError):
    """Every connection of the pool stayed in use for `POOL_WAIT` seconds: try again later."""

    status = 503


class WriteConflict(StoreBusy):
    """A transaction read, then wrote rows another transaction had changed since: nothing of
    it was kept; the request may be sent again."""


class ConnectionLost(StoreBusy):
    """The server dropped the connection a statement ran on (restart, idle kill); the pool
    replaces it."""


class PostgresStore(Store):
    """Records in a PostgreSQL database, through a pool of connections.

    The URL is a libpq URI; put the node in its own schema with
    `?options=-csearch_path%3Dnode_schema` (the schema must exist).
    """

    dialect = "postgres"

    def __init__(self, url: str, sink: AccessSink | None = None) -> None:
        self.url = redact_url(url)
        # Per thread: the connection of its open transaction (or of migrate), and the Arrow
        # table now in that transaction's _INCOMING.
        self._local = threading.local()
        self._write_lock = threading.Lock()  # one writing transaction (or lone write) at a time
        self._closed = False
        params: dict[str, Any] = {"autocommit": True}  # transactions are explicit (_begin)
        if "connect_timeout" not in url:
            params["connect_timeout"] = _CONNECT_TIMEOUT
        try:
            # The first connection, made here, names a bad URL or server in its error; it
            # stays for migrations and for what asks about the connection (`conn.info`).
            self.conn: psycopg.Connection[tuple[Any, ...]] = psycopg.connect(url, **params)
        except psycopg.Error as exc:
            raise CruceError(f"cannot open store {self.url}: {_first_line(exc)}") from None
        self.pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]] = ConnectionPool(
            url, kwargs=params, min_size=1, max_size=max(POOL_SIZE, 1), open=False,
            timeout=POOL_WAIT, name="cruce-store", configure=_repeatable_read)
        try:
            self._local.conn = self.conn
            try:
                self.migrate()
            finally:
                self._local.conn = None
            self.pool.open(wait=False)
            self.sink = sink if sink is not None else TableSink(self)
        except psycopg.Error as exc:
            self.close()
            raise CruceError(f"cannot open store {self.url}: {_first_line(exc)}") from None

    # -- hooks ------------------------------------------------------------------------------
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        query, args = _bind(sql, params)
        conn = self._txn_conn()
        if conn is not None:
            self._writing()
            conn.execute(query, args)
            return
        # autocommit: the statement is its own transaction, a writer's turn like any other
        with self._write_lock, self._borrowed() as conn:
            conn.execute(query, args)

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        query, args = _bind(sql, params)
        conn = self._txn_conn()
        if conn is not None:
            return conn.execute(query, args).fetchall()
        try:
            with self._borrowed() as conn:
                return conn.execute(query, args).fetchall()
        except ConnectionLost:
            pass
        # The server dropped that connection (restarted, or ended idle sessions): the pool
        # discards it; the others idle beside it are likely gone too, so the pool tests them
        # all (replacing the dead) and the read, safe to repeat, is tried once more.
        self.pool.check()
        with self._borrowed() as again:
            return again.execute(query, args).fetchall()

    @contextmanager
    def _begin(self) -> Iterator[None]:
        pinned = self._txn_conn()  # migrate runs on the first connection, its lock held there
        try:
            with self._borrowed() if pinned is None else nullcontext(pinned) as conn, \
                    conn.transaction():
                self._local.conn, self._local.loaded = conn, None
                try:
                    yield
                finally:
                    self._local.conn, self._local.loaded = pinned, None
        except psycopg.errors.SerializationFailure:
            raise WriteConflict("the store changed while this was being written (nothing of "
                                "it was kept); try again") from None
        finally:
            if getattr(self._local, "writes", False):  # after the commit or rollback
                self._local.writes = False
                self._write_lock.release()

    def _writing(self) -> None:
        """This thread's transaction writes: from now to its end it holds the write lock.
        (Not on the first connection: migrations there are serialised by their advisory lock.)"""
        if not getattr(self._local, "writes", False) and self._txn_conn() is not self.conn:
            self._write_lock.acquire()
            self._local.writes = True

    def _txn_conn(self) -> psycopg.Connection[tuple[Any, ...]] | None:
        """The connection of this thread's open transaction, if any."""
        conn: psycopg.Connection[tuple[Any, ...]] | None = getattr(self._local, "conn", None)
        return conn

    @contextmanager
    def _borrowed(self) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
        if self._closed:
            raise CruceError(f"the store {self.url} is closed")
        try:
            with self.pool.connection() as conn:
                try:
                    yield conn
                except psycopg.OperationalError as exc:
                    if not conn.broken:
                        raise
                    raise ConnectionLost(f"the store's connection was lost ({_first_line(exc)})"
                                         "; try again") from None
        except PoolTimeout:
            raise StoreBusy(f"the store is busy: no free connection within {POOL_WAIT:.0f} s; "
                            "try again") from None

    def migrate(self) -> int:
        # Two processes opening a fresh database at once would race on CREATE TABLE.
        self._query("SELECT pg_advisory_lock(hashtext(?))", (_MIGRATE_LOCK,))
        try:
            return super().migrate()
        finally:
            self._query("SELECT pg_advisory_unlock(hashtext(?))", (_MIGRATE_LOCK,))

    def _put_fragments(self, table: pa.Table, source: str) -> None:
        # Replacing the source's part, only where it differs: an unchanged re-ingest writes
        # nothing. The result is the delete-then-insert of the DuckDB store, since a write holds
        # each id once (see _refuse_duplicate_ids) and so does each source's part.
        with self.transaction():
            cur = self._load(table)
            cols = ", ".join(FRAGMENT_COLUMNS)
            content = [c for c in FRAGMENT_COLUMNS if c != "id"]
            stored = ", ".join(f"f.{c}" for c in content)
            given = ", ".join(f"i.{c}" for c in content)
            cur.execute(
                f"DELETE FROM fragments f USING {_INCOMING} i WHERE f.id = i.id "
                f"AND f.source = %s AND ({stored}) IS DISTINCT FROM ({given})",
                (source,),
            )
            cur.execute(
                f"INSERT INTO fragments (source, {cols}) SELECT %s, {cols} FROM {_INCOMING} i "
                "WHERE NOT EXISTS (SELECT FROM fragments f WHERE f.id = i.id AND f.source = %s)",
                (source, source),
            )

    def _append_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        copy_sql = pgsql.SQL("COPY {} ({}) FROM STDIN").format(
            pgsql.Identifier(table), pgsql.SQL(", ").join(map(pgsql.Identifier, columns))
        )
        with self.transaction(), self._cursor() as cur, cur.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(row)

    def _fragments_elsewhere(self, table: pa.Table, source: str) -> list[dict[str, Any]]:
        with self.transaction():
            cur = self._load(table)
            cols = ", ".join(f"f.{c}" for c in FRAGMENT_COLUMNS)
            rows = cur.execute(
                f"SELECT {cols} FROM fragments f WHERE f.source <> %s AND f.id IN "
                f"(SELECT id FROM {_INCOMING})",
                (source,),
            ).fetchall()
        return [dict(zip(FRAGMENT_COLUMNS, row, strict=True)) for row in rows]

    def _bulk_upsert(self, table: pa.Table) -> tuple[IdSet, IdSet]:
        with self.transaction():
            cur = self._load(table)
            differs = " OR ".join(f"r.{c} IS DISTINCT FROM i.{c}" for c in CONTENT_COLUMNS)
            cur.execute(f"DROP TABLE IF EXISTS {_STATUS}")
            cur.execute(
                f"CREATE TEMP TABLE {_STATUS} ON COMMIT DROP AS SELECT i.id, CASE "
                f"WHEN r.id IS NULL THEN 'new' WHEN {differs} THEN 'changed' ELSE 'same' END "
                f"AS status FROM {_INCOMING} i LEFT JOIN records r ON r.id = i.id"
            )
            cur.execute(f"ANALYZE {_STATUS}")
            counts = {
                str(status): int(n)
                for status, n in cur.execute(f"SELECT status, count(*) FROM {_STATUS} GROUP BY 1")
            }
            new = self._id_set(cur, "new", counts.get("new", 0))
            changed = self._id_set(cur, "changed", counts.get("changed", 0))
            if changed.count:
                updates = ", ".join(
                    f"{c} = i.{c}" for c in RECORD_COLUMNS if c not in ("id", "created_at")
                )
                cur.execute(
                    f"UPDATE records r SET {updates} FROM {_INCOMING} i JOIN {_STATUS} s "
                    "USING (id) WHERE r.id = i.id AND s.status = 'changed'"
                )
            if new.count:
                cols = ", ".join(f"i.{c}" for c in RECORD_COLUMNS)
                cur.execute(
                    f"INSERT INTO records SELECT {cols} FROM {_INCOMING} i "
                    f"JOIN {_STATUS} s USING (id) WHERE s.status = 'new'"
                )
            cur.execute(f"DROP TABLE {_INCOMING}, {_STATUS}")
            self._local.loaded = None
        return new, changed

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.pool.close()
            self.conn.close()

    # -- internals --------------------------------------------------------------------------
    def _load(self, table: pa.Table) -> psycopg.Cursor[tuple[Any, ...]]:
        """A cursor, with `table` in the temporary table _INCOMING (loaded once per write).

        The fragment hooks and the upsert of one write_table get the same Arrow table unless
        fragments from other sources were merged into it; only then is it loaded again.
        """
        cur = self._cursor()
        if self._local.loaded is table:
            return cur
        rows = _normalize(table)
        _refuse_duplicate_ids(rows)
        cur.execute(f"DROP TABLE IF EXISTS {_INCOMING}")
        cur.execute(f"CREATE TEMP TABLE {_INCOMING} (LIKE records) ON COMMIT DROP")
        self._copy_in(cur, rows)
        # Temporary tables get no statistics unless asked; without them the planner guesses a
        # few hundred rows and probes the records index once per incoming row.
        cur.execute(f"ANALYZE {_INCOMING} (id)")
        self._local.loaded = table
        return cur

    def _cursor(self) -> psycopg.Cursor[tuple[Any, ...]]:
        """A cursor in this thread's transaction (the bulk hooks run only inside one)."""
        conn = self._txn_conn()
        if conn is None:
            raise CruceError("a bulk write outside a transaction")  # a bug in the caller
        self._writing()  # the bulk hooks write (or read what they are about to write)
        return conn.cursor()

    def _copy_in(self, cur: psycopg.Cursor[tuple[Any, ...]], table: pa.Table) -> None:
        """Load the table with one CSV COPY, written by Arrow in chunks (no per-row Python)."""
        copy_sql = pgsql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
            pgsql.Identifier(_INCOMING), pgsql.SQL(", ").join(map(pgsql.Identifier, RECORD_COLUMNS))
        )
        # Arrow quotes every string, so "" is an empty string and an unquoted empty field NULL.
        options = pacsv.WriteOptions(include_header=False, batch_size=_COPY_CHUNK)
        try:
            # The queued writer sends from a thread while Arrow writes the next chunk.
            with cur.copy(copy_sql, writer=QueuedLibpqWriter(cur)) as copy:
                for batch in table.to_batches(max_chunksize=_COPY_CHUNK):
                    buffer = io.BytesIO()
                    pacsv.write_csv(batch, buffer, options)
                    copy.write(buffer.getbuffer())
        except (psycopg.errors.DataError, psycopg.errors.IntegrityError) as exc:
            raise InvalidInput(f"cannot store records: {_copy_problem(exc)}") from None

    def _id_set(self, cur: psycopg.Cursor[tuple[Any, ...]], status: str, count: int) -> IdSet:
        if count <= MAX_LISTED_IDS:
            rows = cur.execute(
                f'SELECT id FROM {_STATUS} WHERE status = %s ORDER BY id COLLATE "C"', (status,)
            ).fetchall()
            return IdSet(count, tuple(r[0] for r in rows))
        # The same digest as audit.digest_ids (ids sorted bytewise, each followed by a newline),
        # computed where the ids are.
        row = cur.execute(
            "SELECT encode(sha256(convert_to(string_agg(id || E'\\n', '' "
            f"ORDER BY id COLLATE \"C\"), 'UTF8')), 'hex') FROM {_STATUS} WHERE status = %s",
            (status,),
        ).fetchone()
        return IdSet(count, (), str(row[0]) if row else None)


_PLACEHOLDERS = re.compile(r"(?P<list>\b(?P<not>NOT\s+)?IN\s*\(\s*\?(?:\s*,\s*\?)*\s*\))|\?", re.I)


@lru_cache(maxsize=512)
def _translate(sql: str) -> tuple[str, tuple[tuple[int, int | None], ...]]:
    """`?` SQL to psycopg SQL, and for each psycopg parameter the slice of the given ones.

    A parameter is (index, None) for one value, or (start, count) for an IN list bound as one
    array. `%` is escaped everywhere; `?` inside string literals is left alone.
    """
    out: list[str] = []
    plan: list[tuple[int, int | None]] = []
    taken = 0
    for n, part in enumerate(sql.split("'")):
        if n:
            out.append("'")
        if n % 2:  # inside a string literal
            out.append(part.replace("%", "%%"))
            continue
        last = 0
        for match in _PLACEHOLDERS.finditer(part):
            out.append(part[last : match.start()].replace("%", "%%"))
            last = match.end()
            if match.group("list"):
                count = match.group("list").count("?")
                out.append("<> ALL(%s)" if match.group("not") else "= ANY(%s)")
                plan.append((taken, count))
                taken += count
            else:
                out.append("%s")
                plan.append((taken, None))
                taken += 1
        out.append(part[last:].replace("%", "%%"))
    return "".join(out), tuple(plan)


def _repeatable_read(conn: psycopg.Connection[tuple[Any, ...]]) -> None:
    conn.isolation_level = IsolationLevel.REPEATABLE_READ  # BEGIN ISOLATION LEVEL …


def _bind(sql: str, params: Sequence[Any]) -> tuple[str, list[Any]]:
    query, plan = _translate(sql)
    args = [params[i] if n is None else list(params[i : i + n]) for i, n in plan]
    return query, args


def _normalize(table: pa.Table) -> pa.Table:
    """Cast to the Arrow types whose CSV form PostgreSQL reads as the records' column types."""
    columns: list[pa.ChunkedArray] = []
    for name in RECORD_COLUMNS:
        column = table.column(name)
        target = _ARROW_TYPES.get(name, pa.string())
        if column.type != target:
            if pa.types.is_dictionary(column.type):
                column = column.cast(column.type.value_type)
            try:
                # Timestamps may carry nanoseconds PostgreSQL would drop anyway.
                column = pc.cast(column, target, safe=not pa.types.is_timestamp(target))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise InvalidInput(
                    f"records column {name!r}: cannot store {column.type} as {target} ({exc})"
                ) from None
        columns.append(column)
    return pa.Table.from_arrays(columns, names=list(RECORD_COLUMNS))


def _refuse_duplicate_ids(table: pa.Table) -> None:
    ids = table.column("id")
    if pc.count_distinct(ids, mode="all").as_py() == table.num_rows:
        return
    counts = pc.value_counts(ids).flatten()
    repeated = pc.filter(counts[0], pc.greater(counts[1], 1))
    raise InvalidInput(f"the records to write hold id {repeated[0].as_py()!r} more than once")


def _copy_problem(exc: psycopg.Error) -> str:
    """The database's reason and the record (1-based row of the table) and column it names."""
    reason = exc.diag.message_primary or _first_line(exc)
    where = re.search(r"line (\d+)(?:, column (\w+))?", exc.diag.context or "")
    if where:
        column = f", column {where.group(2)}" if where.group(2) else ""
        return f"record {where.group(1)}{column}: {reason}"
    return reason


def _first_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
