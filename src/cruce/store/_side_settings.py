"""Node settings written on a connection of the store's own, beside the one its operations use.

The audit log signs a head from its committer thread while the node's thread may be inside a
long store transaction (an ingest); the signed size must be pinned in the store at once and
for good (`cruce.audit._pins`), not inside that transaction (a rollback would take the pin
with it) nor on its connection (two threads on one connection share its transaction). Each
write here is its own commit, on a second connection to the same database: a DuckDB cursor of
the store's connection (same database, its own transactions), or a second PostgreSQL
connection with the store's own connection parameters. It opens at the first use.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from cruce.errors import CruceError

if TYPE_CHECKING:
    from cruce.store._base import Store


class SettingsBeside:
    """`get_setting`/`set_setting` of `store`, each call its own committed transaction, safe
    to call from any thread (one at a time). Close it before the store."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._conn: Any = None  # duckdb.DuckDBPyConnection or psycopg.Connection, once open
        self._lock = threading.Lock()
        self._closed = False
        self._mark = "%s" if store.dialect == "postgres" else "?"

    def get_setting(self, key: str) -> str | None:
        with self._lock:
            rows = self._connection().execute(
                f"SELECT value FROM node_settings WHERE key = {self._mark}", [key]).fetchall()
            if self._store.dialect == "postgres":
                self._conn.commit()  # end the read's transaction: the next read sees new commits
        return str(rows[0][0]) if rows else None

    def set_setting(self, key: str, value: str) -> None:
        with self._lock:
            conn = self._connection()
            mark = self._mark
            if self._store.dialect == "postgres":
                with conn.transaction():
                    conn.execute(f"DELETE FROM node_settings WHERE key = {mark}", [key])
                    conn.execute(f"INSERT INTO node_settings VALUES ({mark}, {mark})", [key, value])
                return
            conn.execute("BEGIN TRANSACTION")
            try:
                conn.execute("DELETE FROM node_settings WHERE key = ?", [key])
                conn.execute("INSERT INTO node_settings VALUES (?, ?)", [key, value])
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _connection(self) -> Any:
        if self._closed:
            raise CruceError("the store's side connection is closed")
        if self._conn is None:
            self._conn = _connect_beside(self._store)
        return self._conn


def _connect_beside(store: Store) -> Any:
    if store.dialect == "postgres":
        import psycopg
        from psycopg.conninfo import make_conninfo

        from cruce.store._postgres import PostgresStore

        if not isinstance(store, PostgresStore):
            raise CruceError(f"a {type(store).__name__} is not a PostgreSQL store")
        info = store.conn.info  # the parameters it connected with; the password is not in dsn
        dsn = make_conninfo(info.dsn, password=info.password) if info.password else info.dsn
        try:
            return psycopg.connect(dsn, autocommit=False)
        except psycopg.Error as exc:
            raise CruceError(f"cannot open a second connection to {store.url}: "
                             f"{str(exc).splitlines()[0]}") from None
    from cruce.store._duckdb import DuckDBStore

    if not isinstance(store, DuckDBStore):
        raise CruceError(f"no second connection for a {type(store).__name__}")
    return store.conn.cursor()
