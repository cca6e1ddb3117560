"""Where access events go. The interim sink keeps them in the store's own table, written in the
same transaction as the data they describe, so an operation and its event commit together."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cruce.audit import AccessEvent

if TYPE_CHECKING:
    from cruce.store._base import Store


class TableSink:
    """Appends events to `access_events` inside the caller's transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store
        rows = store._query("SELECT COALESCE(MAX(seq), 0) FROM access_events")
        self.seq = int(rows[0][0])

    def emit(self, event: AccessEvent) -> None:
        self.seq += 1
        self.store._execute(
            "INSERT INTO access_events VALUES (?, ?, ?, CURRENT_TIMESTAMP)",
            (self.seq, event.operation.value, event.encode().decode("utf-8")),
        )


class MemorySink:
    """Keeps events in a list: for tests and for stores whose events go elsewhere."""

    def __init__(self) -> None:
        self.events: list[AccessEvent] = []

    def emit(self, event: AccessEvent) -> None:
        self.events.append(event)
