"""A store's own part of a node backup: a consistent copy of its database, and the events that
say a backup was taken or restored.

A DuckDB store is copied with `COPY FROM DATABASE` into a new file: one read transaction, so
the copy is the store as of one instant even while this process's other threads write (the
head pins of `cruce.audit._pins` write on a connection of their own). A PostgreSQL store is
backed up by PostgreSQL's own tools (docs/operations.md): its copy is refused here, saying so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cruce.audit import AccessEvent, Actor, Justification, Operation
from cruce.errors import InvalidInput
from cruce.store._base import Store
from cruce.store._schema import MIGRATIONS

_ATTACHED = "cruce_backup"


def schema_version(store: Store) -> int:
    return int(store._query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")[0][0])


def refuse_uncopyable(store: Store) -> None:
    """InvalidInput unless `copy_store` can copy this store (a DuckDB file)."""
    from cruce.store._duckdb import DuckDBStore

    if not isinstance(store, DuckDBStore) or store.url == ":memory:":
        raise InvalidInput(
            f"cruce node backup copies DuckDB nodes; back up the store {store.url} with "
            "pg_dump and its audit folder with it (docs/operations.md, Backup and restore)")


def copy_store(store: Store, dest: Path) -> int:
    """Copy the whole store into the new DuckDB file `dest`; returns its schema version."""
    from cruce.store._duckdb import DuckDBStore

    refuse_uncopyable(store)
    assert isinstance(store, DuckDBStore)
    if dest.exists():
        raise InvalidInput(f"{dest} exists already: a backup never overwrites")
    with store._write_lock:  # no write of this store's threads lands in between
        cursor = store._cursor()
        source = cursor.execute("SELECT current_database()").fetchall()[0][0]
        cursor.execute(f"ATTACH '{_quoted(dest)}' AS {_ATTACHED}")
        try:
            cursor.execute(f'COPY FROM DATABASE "{source}" TO {_ATTACHED}')
        finally:
            cursor.execute(f"DETACH {_ATTACHED}")
    return schema_version(store)


def log_node_event(store: Store, actor: Actor, change: str, details: dict[str, Any]) -> None:
    """An administrative event: a backup taken or a restore made (no record is read)."""
    reason = Justification("administration", text=f"node operations: {change}")
    with store.transaction():
        store.sink.emit(AccessEvent(Operation.ADMINISTRATION, actor, reason,
                                    details={"change": change, **details}))


def known_schema() -> int:
    return len(MIGRATIONS)


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
