"""The store's public methods for sharing's own tables: the outbox, what went to whom, what came
in (shares, erasure notices, messages), request threads and providers' consents.

`cruce.share` reads and writes them only through these methods (a mixin of `Store`), never
through the backend hooks. Only `rows_for_disclosure` reads record content, and it logs the
read as a consultation. Answers to a consent request are conditional updates: of two answers
racing, one changes the request and the other finds it answered (Conflict).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from cruce.audit import AccessEvent, Actor, Justification, Operation
from cruce.errors import Conflict
from cruce.store._writes import SHARE_SOURCE

if TYPE_CHECKING:
    from cruce.store._base import AccessSink, RecordQuery



@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A package sent or waiting: `refused_at` set means the recipient turned it down."""

    share_id: str
    recipient: str
    records: int
    attempts: int
    last_error: str | None
    delivered_at: datetime | None
    next_attempt_at: datetime | None
    refused_at: datetime | None
    kind: str
    receipt: str | None  # the recipient's signed receipt, once delivered

    @property
    def state(self) -> str:
        if self.delivered_at is not None:
            return "delivered"
        return "refused" if self.refused_at is not None else "waiting"

    @property
    def since(self) -> datetime | None:
        """When it was delivered or refused; for one waiting, its next attempt (None: now)."""
        return {"delivered": self.delivered_at, "refused": self.refused_at,
                "waiting": self.next_attempt_at}[self.state]

    def to_dict(self) -> dict[str, Any]:
        """As the API lists it (no package content: ids, counts, times, answers)."""
        def iso(at: datetime | None) -> str | None:
            return at.isoformat() if at else None

        return {"id": self.share_id, "kind": self.kind, "recipient": self.recipient,
                "records": self.records, "attempts": self.attempts, "state": self.state,
                "since": iso(self.since), "last_error": self.last_error,
                "receipt": self.receipt}


class Waiting(NamedTuple):
    """An outbox item still to deliver, with its bytes."""

    share_id: str
    recipient: str
    package: bytes
    kind: str
    next_attempt_at: datetime | None
    created_at: datetime


class Held(NamedTuple):
    """A record held here: its provider, and the agencies whose packages brought it."""

    agency: str
    senders: frozenset[str]


class Attestation(NamedTuple):
    """A provider's signed statement of one version of a record (`cruce.share._attest`):
    kept with a record held from another agency, carried unchanged when it is passed on."""

    record_id: str
    provider: str
    version: str  # the provider's version time, ISO 8601 text exactly as signed
    digest: str  # SHA-256 (hex) of the record's canonical content and envelope
    signature: str  # base64 Ed25519 by the provider's directory key


class _Backend(Protocol):
    sink: AccessSink

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def _select(self, query: RecordQuery, columns: str = "*") -> list[tuple[Any, ...]]: ...

    def transaction(self) -> AbstractContextManager[None]: ...


_OUTBOX_COLUMNS = ("share_id, recipient, records, attempts, last_error, delivered_at, "
                   "next_attempt_at, refused_at, kind, receipt")


def _ids_param(ids: Sequence[str]) -> tuple[str, list[str]]:
    """One array parameter for a list of ids (thousands of placeholders cost more to plan)."""
    return "(SELECT unnest(CAST(? AS VARCHAR[])))", list(ids)


class ShareTables:
    """The store's public methods for sharing (a mixin of `Store`)."""

    # -- the outbox -------------------------------------------------------------------------
    def queue_outgoing(self: _Backend, item_id: str, recipient: str, package: bytes,
                       records: int, kind: str) -> None:
        """Queue bytes for a recipient, behind everything queued before (in order)."""
        self._execute(
            "INSERT INTO outbox (share_id, recipient, package, records, created_at, attempts, "
            "kind, queued) VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP, 0, ?, nextval('outbox_order'))",
            (item_id, recipient, base64.b64encode(package).decode("ascii"), records, kind))

    def outbox_entries(self: _Backend) -> list[OutboxEntry]:
        rows = self._query(f"SELECT {_OUTBOX_COLUMNS} FROM outbox ORDER BY created_at, queued")
        return [OutboxEntry(str(r[0]), str(r[1]), int(r[2]), int(r[3]), r[4], r[5], r[6], r[7],
                            str(r[8]), r[9]) for r in rows]

    def outbox_waiting(self: _Backend) -> list[Waiting]:
        """Items neither delivered nor refused, in the order they were queued."""
        rows = self._query(
            "SELECT share_id, recipient, package, kind, next_attempt_at, created_at FROM outbox "
            "WHERE delivered_at IS NULL AND refused_at IS NULL ORDER BY created_at, queued")
        return [Waiting(str(r[0]), str(r[1]), base64.b64decode(str(r[2])), str(r[3]), r[4],
                        r[5]) for r in rows]

    def recipients_waiting(self: _Backend) -> set[str]:
        rows = self._query("SELECT DISTINCT recipient FROM outbox "
                           "WHERE delivered_at IS NULL AND refused_at IS NULL")
        return {str(r[0]) for r in rows}

    def outgoing_attempts(self: _Backend, item_id: str, recipient: str) -> int:
        rows = self._query("SELECT attempts FROM outbox WHERE share_id = ? AND recipient = ?",
                           (item_id, recipient))
        return int(rows[0][0]) if rows else 0

    def mark_outgoing(
        self: _Backend, item_id: str, recipient: str, *, error: str | None,
        delivered_at: datetime | None = None, receipt: str | None = None,
        refused_at: datetime | None = None, next_attempt_at: datetime | None = None,
    ) -> None:
        """One more attempt: delivered (with its receipt), refused, or to retry later."""
        if delivered_at is not None:
            sets, values = "delivered_at = ?, receipt = ?", [delivered_at, receipt]
        elif refused_at is not None:
            sets, values = "refused_at = ?", [refused_at]
        else:
            sets, values = "next_attempt_at = ?", [next_attempt_at]
        self._execute(f"UPDATE outbox SET attempts = attempts + 1, last_error = ?, {sets} "
                      "WHERE share_id = ? AND recipient = ?",
                      (error, *values, item_id, recipient))

    # -- what went to whom ------------------------------------------------------------------
    def rows_for_disclosure(self: _Backend, ids: Sequence[str], actor: Actor,
                            why: Justification) -> list[tuple[Any, ...]]:
        """The stored rows of records about to be checked for a disclosure (RECORD_COLUMNS),
        read as a logged consultation."""
        from cruce.store._base import RecordQuery

        with self.transaction():
            rows = self._select(RecordQuery(ids=list(ids)))
            if rows:
                self.sink.emit(AccessEvent(Operation.CONSULTATION, actor, why,
                                           tuple(str(r[0]) for r in rows),
                                           details={"for": "disclosure"}))
        return rows

    def note_disclosed(self: _Backend, ids: Sequence[str], recipient: str,
                       share_id: str) -> None:
        """Which records went to whom in which share (corrections and erasures follow)."""
        self._execute("INSERT INTO disclosed SELECT x, ?, ?, CURRENT_TIMESTAMP "
                      "FROM unnest(CAST(? AS VARCHAR[])) AS t(x)", (recipient, share_id, list(ids)))

    def recipients_of(self: _Backend, ids: Sequence[str]) -> dict[str, list[str]]:
        """Every agency each record went to: recipient -> record ids."""
        if not ids:
            return {}
        subquery, param = _ids_param(ids)
        rows = self._query("SELECT DISTINCT recipient, record_id FROM disclosed WHERE record_id "
                           f"IN {subquery} ORDER BY recipient, record_id", (param,))
        out: dict[str, list[str]] = {}
        for recipient, record_id in rows:
            out.setdefault(str(recipient), []).append(str(record_id))
        return out

    def provider_of(self: _Backend, record_id: str) -> str | None:
        """The agency a held record names as its provider (no content is read)."""
        rows = self._query("SELECT agency FROM records WHERE id = ?", (record_id,))
        return str(rows[0][0]) if rows else None

    def note_consent_use(self: _Backend, request_id: str, share_id: str,
                         ids: Sequence[str], recipient: str) -> None:
        """Records that went out under a provider's consent (kept after a revocation)."""
        self._execute("INSERT INTO consent_uses SELECT ?, ?, x, ?, CURRENT_TIMESTAMP "
                      "FROM unnest(CAST(? AS VARCHAR[])) AS t(x)",
                      (request_id, share_id, recipient, list(ids)))

    def consent_uses(self: _Backend, request_id: str) -> list[tuple[str, str, datetime]]:
        """(share id, record id, when) of what went out under this consent, oldest first."""
        rows = self._query("SELECT share_id, record_id, used_at FROM consent_uses "
                           "WHERE request_id = ? ORDER BY used_at, share_id", (request_id,))
        return [(str(r[0]), str(r[1]), r[2]) for r in rows]

    # -- what came in -----------------------------------------------------------------------
    def is_share_opened(self: _Backend, share_id: str) -> bool:
        return bool(self._query(
            "SELECT 1 FROM shares_opened WHERE share_id = ? "
            "UNION ALL SELECT 1 FROM received_shares WHERE share_id = ?", (share_id, share_id)))

    def remember_share(self: _Backend, share_id: str, until: datetime) -> bool:
        """Remember a share id opened here; False if it was already (one statement: atomic)."""
        return bool(self._query("INSERT INTO shares_opened VALUES (?, ?, CURRENT_TIMESTAMP) "
                                "ON CONFLICT DO NOTHING RETURNING share_id", (share_id, until)))

    def note_share_received(self: _Backend, share_id: str, sender: str, records: int,
                            conditions: dict[str, list[str]], expires_at: datetime) -> None:
        if self._query("SELECT 1 FROM received_shares WHERE share_id = ?", (share_id,)):
            raise Conflict(f"share {share_id} was received already")
        self._execute("INSERT INTO received_shares VALUES (?, ?, ?, ?, ?, CURRENT_TIMESTAMP)",
                      (share_id, sender, records, json.dumps(conditions), expires_at))

    def shares_received(self: _Backend) -> list[tuple[str, str, int, datetime]]:
        """(share id, sender, records, received at), oldest first."""
        rows = self._query("SELECT share_id, sender, records, received_at FROM received_shares "
                           "ORDER BY received_at")
        return [(str(r[0]), str(r[1]), int(r[2]), r[3]) for r in rows]

    def held(self: _Backend, ids: Sequence[str]) -> dict[str, Held]:
        """Of these ids, the records held here: provider and the senders that brought each."""
        if not ids:
            return {}
        subquery, param = _ids_param(ids)
        rows = self._query(
            "SELECT r.id, r.agency, f.source FROM records r LEFT JOIN fragments f "
            f"ON f.id = r.id AND f.source LIKE '{SHARE_SOURCE}%' WHERE r.id IN {subquery}",
            (param,))
        found: dict[str, tuple[str, set[str]]] = {}
        for record_id, agency, source in rows:
            _, senders = found.setdefault(str(record_id), (str(agency), set()))
            if source is not None:
                senders.add(str(source).removeprefix(SHARE_SOURCE))
        return {i: Held(a, frozenset(s)) for i, (a, s) in found.items()}

    def purposes_of(self: _Backend, ids: Sequence[str]) -> dict[str, str]:
        """The purpose each held record was collected for (no content is read)."""
        if not ids:
            return {}
        subquery, param = _ids_param(ids)
        rows = self._query(f"SELECT id, purpose FROM records WHERE id IN {subquery}", (param,))
        return {str(r[0]): str(r[1]) for r in rows}

    def drop_relayed_fragments(self: _Backend, ids: Sequence[str], provider: str) -> None:
        """Forget what other senders' packages brought of these records of `provider`'s, in
        the write of the provider's own package: its version replaces theirs, and they no
        longer count as agencies that brought it."""
        if not ids:
            return
        subquery, param = _ids_param(ids)
        self._execute(f"DELETE FROM fragments WHERE id IN {subquery} AND source LIKE ? "
                      "AND source <> ?", (param, SHARE_SOURCE + "%", SHARE_SOURCE + provider))

    # -- providers' attestations ------------------------------------------------------------
    def keep_attestations(self: _Backend, attestations: Sequence[Attestation]) -> None:
        """Keep each record's attestation, replacing the one held before (one per record)."""
        if not attestations:
            return
        subquery, param = _ids_param([a.record_id for a in attestations])
        self._execute(f"DELETE FROM attestations WHERE record_id IN {subquery}", (param,))
        columns = [list(column) for column in zip(*attestations, strict=True)]
        arrays = ", ".join(["unnest(CAST(? AS VARCHAR[]))"] * len(Attestation._fields))
        self._execute(f"INSERT INTO attestations SELECT {arrays}", tuple(columns))

    def attestations(self: _Backend, ids: Sequence[str]) -> dict[str, Attestation]:
        """The attestation kept with each of these records (records without one are absent)."""
        if not ids:
            return {}
        subquery, param = _ids_param(ids)
        rows = self._query("SELECT record_id, provider, version, digest, signature FROM "
                           f"attestations WHERE record_id IN {subquery}", (param,))
        return {str(r[0]): Attestation(*(str(v) for v in r)) for r in rows}

    def forget_attestations(self: _Backend, ids: Sequence[str]) -> None:
        """Drop the attestations of erased records (an erasure leaves nothing of them)."""
        if ids:
            subquery, param = _ids_param(ids)
            self._execute(f"DELETE FROM attestations WHERE record_id IN {subquery}", (param,))

    def is_notice_applied(self: _Backend, notice_id: str) -> bool:
        return bool(self._query("SELECT 1 FROM notices_applied WHERE notice_id = ?",
                                (notice_id,)))

    def note_notice_applied(self: _Backend, notice_id: str, sender: str, records: int) -> None:
        self._execute("INSERT INTO notices_applied VALUES (?, ?, ?, CURRENT_TIMESTAMP)",
                      (notice_id, sender, records))

    # -- messages ---------------------------------------------------------------------------
    def holds_message(self: _Backend, message_id: str) -> bool:
        return bool(self._query("SELECT 1 FROM messages WHERE message_id = ?", (message_id,)))

    def keep_message(self: _Backend, message_id: str, thread_id: str, kind: str, sender: str,
                     author: str, fields: dict[str, Any], at: datetime) -> None:
        self._execute("INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      (message_id, thread_id, kind, sender, author,
                       json.dumps(fields, sort_keys=True),
                       json.dumps(fields.get("share_ids", [])), at))

    def thread_messages(self: _Backend, thread_id: str) -> list[tuple[Any, ...]]:
        """(message id, kind, sender, author, body JSON, share ids JSON, at), in order."""
        return self._query("SELECT message_id, kind, sender, author, body, share_ids, "
                           "created_at FROM messages WHERE thread_id = ? "
                           "ORDER BY created_at, message_id", (thread_id,))

    # -- request threads --------------------------------------------------------------------
    def open_thread(self: _Backend, thread_id: str, requester: str, responder: str,
                    case_reference: str, purpose: str, priority: str, deadline: Any,
                    subject: str, at: datetime) -> None:
        if self._query("SELECT 1 FROM threads WHERE thread_id = ?", (thread_id,)):
            raise Conflict(f"thread {thread_id} exists already")
        self._execute(f"INSERT INTO threads ({THREAD_COLUMNS}) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)",
                      (thread_id, requester, responder, case_reference, purpose, priority,
                       deadline, subject, at, at))

    def set_thread_status(self: _Backend, thread_id: str, status: str, at: datetime) -> None:
        self._execute("UPDATE threads SET status = ?, updated_at = ? WHERE thread_id = ?",
                      (status, at, thread_id))

    def thread_rows(self: _Backend, status: str | None = None,
                    thread_id: str | None = None) -> list[tuple[Any, ...]]:
        """Threads (THREAD_COLUMNS), newest activity first; metadata only, no texts."""
        where = [(c, v) for c, v in (("status", status), ("thread_id", thread_id)) if v]
        clause = " WHERE " + " AND ".join(f"{c} = ?" for c, _ in where) if where else ""
        return self._query(f"SELECT {THREAD_COLUMNS} FROM threads{clause} "
                           "ORDER BY updated_at DESC", tuple(v for _, v in where))

    # -- providers' consents ----------------------------------------------------------------
    def add_consent_request(self: _Backend, row: Sequence[Any], by: str) -> None:
        """A request (CONSENT_COLUMNS), pending, with its first history entry."""
        with self.transaction():
            if self._query("SELECT 1 FROM consents WHERE request_id = ?", (row[0],)):
                raise Conflict(f"consent request {row[0]} already exists")
            self._execute(f"INSERT INTO consents ({CONSENT_COLUMNS}, status) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending')", tuple(row))
            self._execute("INSERT INTO consent_events VALUES (?, 'requested', ?, ?, '')",
                          (row[0], by, row[7]))

    def consent_requests(self: _Backend, *, request_id: str | None = None,
                         status: str | None = None,
                         provider: str | None = None) -> list[tuple[Any, ...]]:
        """Requests (CONSENT_COLUMNS) matching every filter given, oldest first."""
        match = [(c, v) for c, v in (("request_id", request_id), ("status", status),
                                      ("provider", provider)) if v is not None]
        where = " WHERE " + " AND ".join(f"{c} = ?" for c, _ in match) if match else ""
        return self._query(f"SELECT {CONSENT_COLUMNS} FROM consents{where} "
                           "ORDER BY requested_at", tuple(v for _, v in match))

    def change_consent(self: _Backend, request_id: str, *, was: str, now: str, by: str,
                       at: datetime, reason: str) -> bool:
        """Move a request from `was` to `now` and add the step to its history, or change
        nothing and return False if it is no longer `was` (a conditional update: of two
        answers racing, only one finds the request pending). The history is append-only."""
        with self.transaction():
            changed = self._query(
                "UPDATE consents SET status = ? WHERE request_id = ? AND status = ? "
                "RETURNING request_id", (now, request_id, was))
            if changed:
                self._execute("INSERT INTO consent_events VALUES (?, ?, ?, ?, ?)",
                              (request_id, now, by, at, reason))
        return bool(changed)

    def consent_answers(self: _Backend, *, request_id: str | None = None,
                        record_id: str | None = None, recipient: str | None = None,
                        purpose: str | None = None) -> list[tuple[Any, ...]]:
        """Every answer step (CONSENT_COLUMNS + kind, by, at, reason) of the matching
        requests, oldest first."""
        match = [(c, v) for c, v in (("request_id", request_id), ("record_id", record_id),
                                      ("recipient", recipient), ("purpose", purpose))
                 if v is not None]
        where = "".join(f" AND c.{c} = ?" for c, _ in match)
        cols = ", ".join(f"c.{c.strip()}" for c in CONSENT_COLUMNS.split(","))
        return self._query(
            f"SELECT {cols}, e.kind, e.by_user, e.event_at, e.reason FROM consents c "
            "JOIN consent_events e ON e.request_id = c.request_id "
            f"WHERE e.kind <> 'requested'{where} ORDER BY e.event_at",
            tuple(v for _, v in match))

    def consent_history(self: _Backend, request_id: str | None = None) -> list[tuple[Any, ...]]:
        """(request id, kind, by, at, reason) of every step, oldest first."""
        where, params = (" WHERE request_id = ?", (request_id,)) if request_id else ("", ())
        return self._query("SELECT request_id, kind, by_user, event_at, reason "
                           f"FROM consent_events{where} ORDER BY event_at", params)


THREAD_COLUMNS = ("thread_id, requester, responder, case_reference, purpose, priority, "
                  "deadline, subject, status, opened_at, updated_at")
CONSENT_COLUMNS = ("request_id, record_id, provider, requester, recipient, purpose, "
                   "justification, requested_at")
