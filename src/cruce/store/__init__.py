"""The node's store: records in envelopes behind one access point that logs every access."""

from __future__ import annotations

from pathlib import Path

from cruce.store._base import AccessSink, RecordQuery, Store, WriteResult
from cruce.store._network_reads import Mention, Scope
from cruce.store._schema import RECORD_COLUMNS
from cruce.store._sinks import MemorySink, TableSink


def open_store(url: str | Path, sink: AccessSink | None = None) -> Store:
    """Open (creating and migrating) a store: a DuckDB file path, or a postgresql:// URL.

    >>> store = open_store(":memory:")
    >>> store.count()
    0
    """
    text = str(url)
    if text.startswith(("postgresql://", "postgres://")):
        from cruce.store._postgres import PostgresStore

        return PostgresStore(text, sink)
    from cruce.store._duckdb import DuckDBStore

    return DuckDBStore(Path(text) if text != ":memory:" else Path(":memory:"), sink)


__all__ = [
    "RECORD_COLUMNS",
    "AccessSink",
    "MemorySink",
    "Mention",
    "RecordQuery",
    "Scope",
    "Store",
    "TableSink",
    "WriteResult",
    "open_store",
]
