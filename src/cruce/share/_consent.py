"""The provider's permission: asked for, answered, and kept with its history in the store.

A request is answered once: a second answer, or two racing, gets Conflict (409) for all but the
first (a conditional update in the store). A grant can later be revoked: a new entry, the grant
and what was delivered under it stay in the history.

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
    REVOKED = "revoked"  # granted, then withdrawn by the provider


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
    kind: str  # "requested", "granted", "refused" or "revoked"
    by: str
    at: datetime
    reason: str = ""


class ConsentBook:
    """Consent requests and their answers in a node's store. A request is answered once (a
    second answer is a Conflict); a grant may be revoked later, as a new entry. The latest
    entry counts; every entry stays in the history, and so does what went out under a grant."""

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
        req = ConsentRequest(
            request_id=request_id or str(uuid.uuid4()),
            record_id=record_id,
            provider=provider,
            requester=requester,
            recipient=recipient,
            purpose=PurposeArea(purpose),
            justification=justification.strip(),
            at=at or datetime.now(UTC),
        )
        self.store.add_consent_request(
            (req.request_id, req.record_id, req.provider, req.requester, req.recipient,
             req.purpose.value, req.justification, req.at), requester)
        return req

    def grant(
        self, request_id: str, *, by: str, agency: str, reason: str = "",
        at: datetime | None = None,
    ) -> Consent:
        return self._step(request_id, ConsentStatus.GRANTED, by, agency, reason, at)

    def refuse(
        self, request_id: str, *, by: str, agency: str, reason: str, at: datetime | None = None
    ) -> Consent:
        if not reason.strip():
            raise InvalidInput("a refusal needs a reason the requester can read")
        return self._step(request_id, ConsentStatus.REFUSED, by, agency, reason, at)

    def revoke(
        self, request_id: str, *, by: str, agency: str, reason: str, at: datetime | None = None
    ) -> Consent:
        """Withdraw a grant (a new entry: the grant and what went out under it stay)."""
        if not reason.strip():
            raise InvalidInput("a revocation needs a reason the requester can read")
        return self._step(request_id, ConsentStatus.REVOKED, by, agency, reason, at)

    def _step(
        self, request_id: str, status: ConsentStatus, by: str, agency: str, reason: str,
        at: datetime | None,
    ) -> Consent:
        req = self.get(request_id)
        # Only the provider may release its own data; the server maps the user to an agency.
        if agency != req.provider:
            raise PermissionDenied(
                f"only {req.provider} can answer consent request {request_id}, not {agency}"
            )
        consent = Consent(req, status, by, at or datetime.now(UTC), reason)
        was = "granted" if status is ConsentStatus.REVOKED else "pending"
        if not self.store.change_consent(request_id, was=was, now=status.value, by=by,
                                         at=consent.at, reason=reason):
            raise Conflict(self._why_not(request_id, status))
        return consent

    def _why_not(self, request_id: str, status: ConsentStatus) -> str:
        current = self.answer(request_id)
        if current is None:
            return f"consent request {request_id} is pending: only a grant can be revoked"
        done = (f"consent request {request_id} was {current.status.value} by {current.by} "
                f"at {current.at.isoformat()}")
        if status is ConsentStatus.REVOKED:
            return f"{done}: only a grant can be revoked"
        hint = "; a grant can be revoked, as a new entry" if current.granted else ""
        return f"{done}: a request is answered once{hint}"

    def get(self, request_id: str) -> ConsentRequest:
        rows = self.store.consent_requests(request_id=request_id)
        if not rows:
            raise NotFound(f"no consent request {request_id}")
        return _request(rows[0])

    def answer(self, request_id: str) -> Consent | None:
        """The latest answer (granted, refused or revoked), or None while pending."""
        return _latest(self.store.consent_answers(request_id=request_id)).get(request_id)

    def pending(self, provider: str | None = None) -> list[ConsentRequest]:
        return [_request(r) for r in self.store.consent_requests(status="pending",
                                                                 provider=provider)]

    def all(self) -> list[tuple[ConsentRequest, Consent | None]]:
        """Every request this node asked or was asked, with its latest answer."""
        latest = _latest(self.store.consent_answers())
        return [(req, latest.get(req.request_id))
                for req in map(_request, self.store.consent_requests())]

    def consent_for(
        self, record_id: str, *, recipient: str, purpose: PurposeArea | str
    ) -> Consent | None:
        """The latest answer about this record, recipient and purpose (granted or not)."""
        answers = _latest(self.store.consent_answers(
            record_id=record_id, recipient=recipient, purpose=PurposeArea(purpose).value))
        return max(answers.values(), key=lambda c: c.at, default=None)

    def history(self, request_id: str | None = None) -> list[ConsentEvent]:
        return [ConsentEvent(str(r[0]), str(r[1]), str(r[2]), aware(r[3]), str(r[4]))
                for r in self.store.consent_history(request_id)]

    def delivered(self, request_id: str) -> list[tuple[str, str, datetime]]:
        """(share id, record id, when) of what this node sent under the request's grant."""
        return [(s, r, aware(at)) for s, r, at in self.store.consent_uses(request_id)]


def _latest(rows: list[tuple[Any, ...]]) -> dict[str, Consent]:
    """Request id -> its latest answer, from answer steps in time order."""
    out: dict[str, Consent] = {}
    for r in rows:
        out[str(r[0])] = Consent(_request(r[:8]), ConsentStatus(str(r[8])), str(r[9]),
                                 aware(r[10]), str(r[11] or ""))
    return out


def _request(row: tuple[Any, ...]) -> ConsentRequest:
    return ConsentRequest(str(row[0]), str(row[1]), str(row[2]), str(row[3]), str(row[4]),
                          PurposeArea(str(row[5])), str(row[6]), aware(row[7]))
