"""The statistics store: a DuckDB file of aggregate counts only, apart from any node's store.

A node's store holds case data; this file holds figures fit to publish (encounter counts by
month and column, movement counts at monitoring points) and nothing that names or links back
to a person. Keeping it a separate file makes that boundary physical: a statistics store can be
handed to a statistician, and a node's store is never opened as one (`StatStore.open` refuses a
DuckDB file that holds tables but is not marked as a statistics store).

Each statistics family owns its tables and creates them through `ensure_tables` (encounters:
`encounter_*`, flow monitoring: `flow_*`). Writes of one imported file go in one `transaction`,
so a bad file leaves nothing half-written.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "stats.duckdb"
    >>> with StatStore.open(path, create=True) as store:
    ...     store.ensure_tables("CREATE TABLE IF NOT EXISTS flow_demo (n INTEGER)")
    ...     with store.transaction():
    ...         store.execute("INSERT INTO flow_demo VALUES (?)", [3])
    ...     store.query("SELECT n FROM flow_demo")
    [(3,)]
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import pyarrow

from cruce._files import restrict_umask
from cruce.errors import InvalidInput, NotFound

# The marker that tells a statistics store from a node's store (or any other DuckDB file).
MARKER_TABLE = "stat_store"
KIND = "cruce statistics store: aggregate counts only"


class StatStore:
    """One statistics store file, open for reading and writing."""

    def __init__(self, path: Path, connection: duckdb.DuckDBPyConnection) -> None:
        self.path = path
        self._con = connection
        self._depth = 0

    @classmethod
    def open(cls, path: str | Path, *, create: bool = False) -> StatStore:
        """Open the statistics store at `path`; with `create`, make it when it does not exist.

        A missing file without `create` is refused (a mistyped --db must not answer "no data"
        from a new, empty store); so is a DuckDB file that holds other tables (a node's store).
        """
        path = Path(path)
        if not path.exists() and not create:
            raise NotFound(f"no statistics store at {path}: check --db, or create it with "
                           f"cruce encounters import FILE.csv --db {path}")
        restrict_umask()  # DuckDB writes the file and its WAL itself
        try:
            con = duckdb.connect(str(path))
        except duckdb.Error as exc:
            raise InvalidInput(f"{path}: not a statistics store (DuckDB cannot open it: "
                               f"{str(exc).splitlines()[0]})") from None
        opened = cls(path, con)
        try:
            opened._check_or_mark()
        except BaseException:
            con.close()
            raise
        return opened

    def _check_or_mark(self) -> None:
        tables = {name for (name,) in self.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")}
        if MARKER_TABLE in tables:
            return
        if tables:
            raise InvalidInput(f"{self.path} is not a statistics store (it holds tables such as "
                               f"{sorted(tables)[0]!r}: a node's store?); give a statistics "
                               "store's file, or a new path to create one")
        self.execute(f"CREATE TABLE {MARKER_TABLE} (kind TEXT NOT NULL)")
        self.execute(f"INSERT INTO {MARKER_TABLE} VALUES (?)", [KIND])

    def ensure_tables(self, *ddl: str) -> None:
        """Run a family's `CREATE TABLE IF NOT EXISTS …` statements (idempotent)."""
        for statement in ddl:
            self.execute(statement)

    @contextmanager
    def transaction(self) -> Iterator[StatStore]:
        """All writes inside commit together or not at all; nested blocks join the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        self._con.execute("BEGIN TRANSACTION")
        self._depth = 1
        try:
            yield self
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        else:
            self._con.execute("COMMIT")
        finally:
            self._depth = 0

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> None:
        self._con.execute(sql, list(parameters))

    def insert_rows(self, table: str, columns: Sequence[str],
                    rows: Sequence[Sequence[Any]]) -> int:
        """Append rows to `table` in one statement (through Arrow: a row-by-row insert of a
        national file's 100,000 rows would take minutes). `table` and `columns` are the
        caller's own names, never the input's."""
        if not rows:
            return 0
        batch = pyarrow.table({name: [row[i] for row in rows] for i, name in enumerate(columns)})
        self._con.register("_cruce_rows", batch)
        try:
            names = ", ".join(columns)
            self._con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM _cruce_rows")
        finally:
            self._con.unregister("_cruce_rows")
        return len(rows)

    def query(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._con.execute(sql, list(parameters)).fetchall()

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> StatStore:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
