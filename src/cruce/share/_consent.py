"""The provider's permission: asked for, answered, and kept with its history in the store.

A Consent always carries the request it answers, so `decide` can check it was given by the
provider of that very record, for that recipient and that purpose; a consent for one record
can never unlock another. Both sides keep the book: the requester's node records what it
asked and the answer it received (signed by the provider's node), the provider's node what it
was asked and what it answered.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from cruce.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from cruce.records import PurposeArea
from cruce.share._canon import aware
from cruce.store import Store


class ConsentStatus(StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class ConsentRequest:
    """`requester` asks `provider` to let it pass `record_id` to `recipient` for `purpose`."""

    request_id: str
    record_id: str
    provider: str
    requester: str
    recipient: str  # the onward recipient
    purpose: PurposeArea
    justification: str
    at: datetime | None = None

    def __post_init__(self) -> None:
        # A plain string purpose (from JSON) becomes the enum, or fails naming the bad value.
        object.__setattr__(self, "purpose", PurposeArea(self.purpose))

    def to_dict(self) -> dict[str, Any]:
        return {"request_id": self.request_id, "record_id": self.record_id,
                "provider": self.provider, "requester": self.requester,
                "recipient": self.recipient, "purpose": self.purpose.value,
                "justification": self.justification,
                "at": self.at.isoformat() if self.at else None}


@dataclass(frozen=True, slots=True)
class Consent:
    """The provider's answer to one request."""

    request: ConsentRequest
    status: ConsentStatus
    by: str  # the provider's user who answered
    at: datetime
    reason: str = ""

    @property
    def granted(self) -> bool:
        return self.status is ConsentStatus.GRANTED


@dataclass(frozen=True, slots=True)
class ConsentEvent:
    """One line of a request's history."""

    request_id: str
    kind: str  # "requested", "granted" or "refused"
    by: str
    at: datetime
    reason: str = ""


_REQUEST_COLUMNS = ("request_id, record_id, provider, requester, recipient, purpose, "
                    "justification, requested_at")


class ConsentBook:
    """Consent requests and answers in a node's store. An answer may change later (a
    revocation after a grant): the latest answer counts, and every step stays in the history."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def request(
        self,
        *,
        record_id: str,
        provider: str,
        requester: str,
        recipient: str,
        purpose: PurposeArea | str,
        justification: str,
        at: datetime | None = None,
        request_id: str | None = None,
    ) -> ConsentRequest:
        if not justification.strip():
            raise InvalidInput("a consent request needs a justification")
        if requester == provider:
            raise InvalidInput("the provider does not need to ask itself for consent")
        at = at or datetime.now(UTC)
        req = ConsentRequest(
            request_id=request_id or str(uuid.uuid4()),
            record_id=record_id,
            provider=provider,
            requester=requester,
            recipient=recipient,
            purpose=PurposeArea(purpose),
            justification=justification.strip(),
            at=at,
        )
        with self.store.transaction():
            if self.store._query("SELECT 1 FROM consents WHERE request_id = ?",
                                 (req.request_id,)):
                raise Conflict(f"consent request {req.request_id} already exists")
            self.store._execute(
                f"INSERT INTO consents ({_REQUEST_COLUMNS}, status) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
                (req.request_id, req.record_id, req.provider, req.requester, req.recipient,
                 req.purpose.value, req.justification, req.at),
            )
            self._history(req.request_id, "requested", requester, at, "")
        return req

    def grant(
        self, request_id: str, *, by: str, agency: str, reason: str = "",
        at: datetime | None = None,
    ) -> Consent:
        return self._answer(request_id, ConsentStatus.GRANTED, by, agency, reason, at)

    def refuse(
        self, request_id: str, *, by: str, agency: str, reason: str, at: datetime | None = None
    ) -> Consent:
        if not reason.strip():
            raise InvalidInput("a refusal needs a reason the requester can read")
        return self._answer(request_id, ConsentStatus.REFUSED, by, agency, reason, at)

    def _answer(
        self, request_id: str, status: ConsentStatus, by: str, agency: str, reason: str,
        at: datetime | None,
    ) -> Consent:
        with self.store.transaction():
            req = self.get(request_id)
            # Only the provider may release its own data; the server maps the user to an agency.
            if agency != req.provider:
                raise PermissionDenied(
                    f"only {req.provider} can answer consent request {request_id}, not {agency}"
                )
            consent = Consent(req, status, by, at or datetime.now(UTC), reason)
            self.store._execute(
                "UPDATE consents SET status = ?, answered_by = ?, answered_at = ?, reason = ? "
                "WHERE request_id = ?",
                (status.value, by, consent.at, reason, request_id),
            )
            self._history(request_id, status.value, by, consent.at, reason)
        return consent

    def get(self, request_id: str) -> ConsentRequest:
        rows = self.store._query(
            f"SELECT {_REQUEST_COLUMNS} FROM consents WHERE request_id = ?", (request_id,))
        if not rows:
            raise NotFound(f"no consent request {request_id}")
        return _request(rows[0])

    def answer(self, request_id: str) -> Consent | None:
        """The latest answer, or None while the request is pending."""
        rows = self._answered("request_id = ?", (request_id,))
        return rows[0] if rows else None

    def pending(self, provider: str | None = None) -> list[ConsentRequest]:
        where, params = ("AND provider = ?", (provider,)) if provider else ("", ())
        rows = self.store._query(
            f"SELECT {_REQUEST_COLUMNS} FROM consents WHERE status = 'pending' {where} "
            "ORDER BY requested_at", params)
        return [_request(r) for r in rows]

    def all(self) -> list[tuple[ConsentRequest, Consent | None]]:
        """Every request this node asked or was asked, with its latest answer."""
        rows = self.store._query(
            f"SELECT {_REQUEST_COLUMNS} FROM consents ORDER BY requested_at")
        return [(req, self.answer(req.request_id)) for req in map(_request, rows)]

    def consent_for(
        self, record_id: str, *, recipient: str, purpose: PurposeArea | str
    ) -> Consent | None:
        """The latest answer about this record, recipient and purpose (granted or refused)."""
        matching = self._answered(
            "record_id = ? AND recipient = ? AND purpose = ?",
            (record_id, recipient, PurposeArea(purpose).value))
        return max(matching, key=lambda c: c.at, default=None)

    def history(self, request_id: str | None = None) -> list[ConsentEvent]:
        where, params = ("WHERE request_id = ?", (request_id,)) if request_id else ("", ())
        rows = self.store._query(
            "SELECT request_id, kind, by_user, event_at, reason FROM consent_events "
            f"{where} ORDER BY event_at", params)
        return [ConsentEvent(str(r[0]), str(r[1]), str(r[2]), aware(r[3]), str(r[4]))
                for r in rows]

    # -- internals --------------------------------------------------------------------------
    def _answered(self, where: str, params: tuple[Any, ...]) -> list[Consent]:
        rows = self.store._query(
            f"SELECT {_REQUEST_COLUMNS}, status, answered_by, answered_at, reason "
            f"FROM consents WHERE status <> 'pending' AND {where}", params)
        return [Consent(_request(r[:8]), ConsentStatus(r[8]), str(r[9]), aware(r[10]),
                        str(r[11] or "")) for r in rows]

    def _history(self, request_id: str, kind: str, by: str, at: datetime, reason: str) -> None:
        self.store._execute("INSERT INTO consent_events VALUES (?, ?, ?, ?, ?)",
                            (request_id, kind, by, at, reason))



def _request(row: tuple[Any, ...]) -> ConsentRequest:
    return ConsentRequest(str(row[0]), str(row[1]), str(row[2]), str(row[3]), str(row[4]),
                          PurposeArea(str(row[5])), str(row[6]), aware(row[7]))
