"""The node's alerts (`cruce.checks`): documents, persons and vehicles its own agency issued
or other agencies shared, and the border checks made against them.

Only the issuer changes or withdraws an alert: every write names the issuing agency and is
refused for an alert another agency issued. A changed alert gets a new sequence number, so an
index that loads what is newer than the last number it saw picks up additions and changes
alike; withdrawals and expiry are checked on every hit against the row itself (`alerts_at`),
so a stale index never answers with a withdrawn or expired alert.

The tables are created on first use (CREATE TABLE IF NOT EXISTS), apart from the numbered
migrations: a node that never holds alerts carries none. DuckDB keeps no index on them (the
sequence numbers grow with the rows, so its zone maps find a row by number without one, and a
10M-alert import pays no index upkeep); PostgreSQL indexes the number and the alert id.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from cruce.audit import AccessEvent, Actor, Justification, Operation
from cruce.errors import NotFound, PermissionDenied
from cruce.store._backend import Backend, marks

GENERATION_KEY = "alerts_generation"
KEY_COLUMNS = ("doc_key", "plate_key", "vin_key")
_CHUNK = 1000
_BULK = 5 * _CHUNK
_TABLE = """CREATE TABLE IF NOT EXISTS alerts (
    seq BIGINT NOT NULL,
    alert_id VARCHAR(64) NOT NULL,
    issuer VARCHAR(64) NOT NULL,
    kind VARCHAR(16) NOT NULL,
    doc_key VARCHAR,
    plate_key VARCHAR,
    vin_key VARCHAR,
    body VARCHAR NOT NULL,
    expires DATE NOT NULL,
    withdrawn_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL
)"""
_PG_INDEXES = ("CREATE UNIQUE INDEX IF NOT EXISTS alerts_seq ON alerts (seq)",
               "CREATE UNIQUE INDEX IF NOT EXISTS alerts_id ON alerts (alert_id)")
_COLUMNS = ("seq", "alert_id", "issuer", "kind", *KEY_COLUMNS, "body", "expires",
            "withdrawn_at", "updated_at")


class AlertRow(NamedTuple):
    """An alert to write: its id, kind, lookup keys (normalised, or ''), body and expiry."""

    alert_id: str
    kind: str
    doc_key: str
    plate_key: str
    vin_key: str
    body: dict[str, Any]
    expires: date


class StoredAlert(NamedTuple):
    """An alert as stored, with its issuer and whether it is withdrawn."""

    seq: int
    alert_id: str
    issuer: str
    kind: str
    body: dict[str, Any]
    expires: date
    is_withdrawn: bool

    def is_live(self, today: date) -> bool:
        return not self.is_withdrawn and self.expires >= today


class AlertTables(Backend):
    """The store's public methods for alerts and border checks (a part of `Store`)."""

    def _ensure_alerts(self) -> None:
        if getattr(self, "_alerts_ready", False):
            return
        with self.transaction():
            self._lock_alerts()  # two first uses at once: one creates, the other then sees it
            self._execute(_TABLE)
            if self.dialect == "postgres":
                for statement in _PG_INDEXES:
                    self._execute(statement)
        self._alerts_ready = True

    def alert_issuers(self, alert_ids: Sequence[str]) -> dict[str, str]:
        """alert id -> issuing agency, for those of `alert_ids` the store holds."""
        self._ensure_alerts()
        found: dict[str, str] = {}
        alert_ids = self._held(alert_ids)
        for start in range(0, len(alert_ids), _CHUNK):
            chunk = tuple(alert_ids[start:start + _CHUNK])
            rows = self._query(f"SELECT alert_id, issuer FROM alerts WHERE alert_id IN "
                               f"({marks(len(chunk))})", chunk)
            found.update({str(a): str(i) for a, i in rows})
        return found

    def put_alerts(self, rows: Sequence[AlertRow], issuer: str, actor: Actor,
                   why: Justification) -> dict[str, int]:
        """Add or change `issuer`'s alerts in one transaction (an alert equal to the stored one
        is left alone); PermissionDenied, and nothing written, if another agency issued one of
        them. Returns the counts added, changed and unchanged."""
        self._ensure_alerts()
        with self.transaction():
            self._lock_alerts()
            stored = self._current([r.alert_id for r in rows])
            foreign = sorted(a for a, s in stored.items() if s.issuer != issuer)
            if foreign:
                raise PermissionDenied(_not_theirs(foreign[0], stored[foreign[0]].issuer))
            changed = [r for r in rows if r.alert_id in stored and _differs(r, stored[r.alert_id])]
            added = [r for r in rows if r.alert_id not in stored]
            # Numbered before the delete: a changed alert that was the newest must not get back
            # a number an index has already read past (it tops up on seq > the last it read).
            first = self._next_seq()
            self._delete_alerts([r.alert_id for r in changed])
            self._insert_alerts([*added, *changed], issuer, first)
            self._bump_alerts()
            if added:
                self._emit(Operation.COLLECTION, actor, why, _handles(added), None,
                           {"alerts": len(added), "issuer": issuer})
            if changed:
                self._emit(Operation.ALTERATION, actor, why, _handles(changed), None,
                           {"alerts": len(changed), "issuer": issuer})
        return {"added": len(added), "changed": len(changed),
                "unchanged": len(rows) - len(added) - len(changed)}

    def withdraw_alert(self, alert_id: str, issuer: str, actor: Actor, why: Justification) -> None:
        """Withdraw one of `issuer`'s alerts: it never hits again (the row stays, withdrawn)."""
        self._ensure_alerts()
        with self.transaction():
            self._lock_alerts()
            stored = self._current([alert_id]).get(alert_id)
            if stored is None or stored.is_withdrawn:
                raise NotFound(f"no alert {alert_id!r} to withdraw")
            if stored.issuer != issuer:
                raise PermissionDenied(_not_theirs(alert_id, stored.issuer))
            self._execute("UPDATE alerts SET withdrawn_at = ?, updated_at = ? WHERE alert_id = ?",
                          (_now(), _now(), alert_id))
            self._bump_alerts()
            self._emit(Operation.ALTERATION, actor, why, [f"alert:{alert_id}"], None,
                       {"alerts": 1, "issuer": issuer, "change": "withdraw"})

    def alert_keys(self, column: str, after: int, limit: int,
                   today: date) -> list[tuple[int, str]]:
        """(seq, key) of live alerts with a `column` key (doc_key, plate_key, vin_key), by
        sequence number after `after`: what an index loads, page by page. Reads no content
        beyond the key: an index build is not a consultation."""
        if column not in KEY_COLUMNS:
            raise ValueError(column)
        self._ensure_alerts()
        rows = self._query(
            f"SELECT seq, {column} FROM alerts WHERE seq > ? AND {column} <> '' AND "
            f"withdrawn_at IS NULL AND expires >= ? ORDER BY seq LIMIT ?", (after, today, limit))
        return [(int(s), str(k)) for s, k in rows]

    def person_alert_bodies(self, after: int, limit: int,
                            today: date) -> list[tuple[int, dict[str, Any]]]:
        """(seq, body) of live person alerts after `after`, for a screening index."""
        self._ensure_alerts()
        rows = self._query(
            "SELECT seq, body FROM alerts WHERE seq > ? AND kind = 'person' AND "
            "withdrawn_at IS NULL AND expires >= ? ORDER BY seq LIMIT ?", (after, today, limit))
        return [(int(s), json.loads(str(b))) for s, b in rows]

    def alerts_at(self, seqs: Sequence[int]) -> list[StoredAlert]:
        """The alerts with these sequence numbers (an index's hits, checked against the row)."""
        self._ensure_alerts()
        if not seqs:
            return []
        cols = ", ".join(c for c in _COLUMNS if c not in (*KEY_COLUMNS, "updated_at"))
        rows = self._query(f"SELECT {cols} FROM alerts WHERE seq IN ({marks(len(seqs))})",
                           tuple(seqs))
        return [_stored(row) for row in rows]

    def list_alerts(self) -> list[StoredAlert]:
        """Every alert, withdrawn ones too, by id."""
        self._ensure_alerts()
        cols = ", ".join(c for c in _COLUMNS if c not in (*KEY_COLUMNS, "updated_at"))
        return [_stored(row) for row in
                self._query(f"SELECT {cols} FROM alerts ORDER BY alert_id")]

    def alerts_generation(self) -> int:
        """Bumped by every change to the alerts: an index rebuilt or topped up when it moves."""
        return int(self.get_setting(GENERATION_KEY) or 0)

    def log_checks(self, actor: Actor, why: Justification, hit_ids: Sequence[str],
                   details: dict[str, Any]) -> None:
        """A border check (or a manifest of them) as one consultation: the alerts that hit
        (no traveller's data: an event never holds case data), the post and the counts.
        Durable when this returns. No data is written with it, so no store transaction is
        held: concurrent checks share the audit log's group commits."""
        self.sink.emit(_check_event(actor, why, hit_ids, details))

    async def log_checks_async(self, actor: Actor, why: Justification, hit_ids: Sequence[str],
                               details: dict[str, Any]) -> None:
        """`log_checks` for asyncio tasks (awaits the audit log's batch, no thread held)."""
        event = _check_event(actor, why, hit_ids, details)
        emit_async = getattr(self.sink, "emit_async", None)
        if emit_async is not None:
            await emit_async(event)
        else:
            await asyncio.to_thread(self.sink.emit, event)

    # -- helpers ------------------------------------------------------------------------------
    def _held(self, alert_ids: Sequence[str]) -> Sequence[str]:
        """Those of `alert_ids` the store holds, found by one scan of the ids when they are
        many (a bulk import: thousands of IN lists would cost more than the import)."""
        if len(alert_ids) <= _BULK:
            return alert_ids
        held = {str(r[0]) for r in self._query("SELECT alert_id FROM alerts")}
        return [a for a in alert_ids if a in held]

    def _current(self, alert_ids: Sequence[str]) -> dict[str, StoredAlert]:
        cols = ", ".join(c for c in _COLUMNS if c not in (*KEY_COLUMNS, "updated_at"))
        found: dict[str, StoredAlert] = {}
        alert_ids = self._held(alert_ids)
        for start in range(0, len(alert_ids), _CHUNK):
            chunk = tuple(alert_ids[start:start + _CHUNK])
            rows = self._query(f"SELECT {cols} FROM alerts WHERE alert_id IN "
                               f"({marks(len(chunk))})", chunk)
            found.update({str(row[1]): _stored(row) for row in rows})
        return found

    def _delete_alerts(self, alert_ids: Sequence[str]) -> None:
        for start in range(0, len(alert_ids), _CHUNK):
            chunk = tuple(alert_ids[start:start + _CHUNK])
            self._execute(f"DELETE FROM alerts WHERE alert_id IN ({marks(len(chunk))})", chunk)

    def _lock_alerts(self) -> None:
        # Alert writes are numbered MAX(seq) + 1: on PostgreSQL two imports at once would take
        # the same numbers (READ COMMITTED), so they take turns, until their transaction ends.
        # DuckDB has one writer at a time already.
        if self.dialect == "postgres":
            self._query("SELECT pg_advisory_xact_lock(hashtext(?))", ("cruce.store.alerts",))

    def _next_seq(self) -> int:
        return int(self._query("SELECT COALESCE(MAX(seq), 0) FROM alerts")[0][0]) + 1

    def _insert_alerts(self, rows: Sequence[AlertRow], issuer: str, first: int) -> None:
        now = _now()
        self._append_rows("alerts", _COLUMNS, [
            (first + i, r.alert_id, issuer, r.kind, r.doc_key, r.plate_key, r.vin_key,
             json.dumps(r.body, ensure_ascii=False, sort_keys=True), r.expires, None, now)
            for i, r in enumerate(rows)])

    def _bump_alerts(self) -> None:
        self.set_setting(GENERATION_KEY, str(self.alerts_generation() + 1))


def _check_event(actor: Actor, why: Justification, hit_ids: Sequence[str],
                 details: dict[str, Any]) -> AccessEvent:
    ids = tuple(f"alert:{a}" for a in sorted(set(hit_ids)))
    return AccessEvent(Operation.CONSULTATION, actor, why, ids, batch=None, details=details)


def _now() -> datetime:
    return datetime.now(UTC)


def _handles(rows: Sequence[AlertRow]) -> list[str]:
    return [f"alert:{r.alert_id}" for r in rows]


def _not_theirs(alert_id: str, issuer: str) -> str:
    return (f"alert {alert_id!r} is {issuer}'s: only its issuer changes or withdraws it")


def _differs(row: AlertRow, stored: StoredAlert) -> bool:
    return stored.is_withdrawn or row.expires != stored.expires or row.body != stored.body


def _stored(row: tuple[Any, ...]) -> StoredAlert:
    seq, alert_id, issuer, kind, body, expires, withdrawn = row
    day = expires if isinstance(expires, date) else date.fromisoformat(str(expires))
    return StoredAlert(int(seq), str(alert_id), str(issuer), str(kind), json.loads(str(body)),
                       day, withdrawn is not None)
