"""The provider's permission: asked for, answered, and kept with its history.

A Consent always carries the request it answers, so `decide` can check it was given by the
provider of that very record, for that recipient and that purpose; a consent for one record
can never unlock another.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from threading import Lock

from cruce.errors import InvalidInput, NotFound, PermissionDenied
from cruce.records import PurposeArea


class ConsentStatus(StrEnum):
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


class ConsentBook:
    """In-memory store of requests and answers; an answer may change later (e.g. a revocation
    after a grant), the latest answer counts, and every step stays in the history."""

    def __init__(self) -> None:
        self._requests: dict[str, ConsentRequest] = {}
        self._answers: dict[str, Consent] = {}
        self._history: list[ConsentEvent] = []
        self._lock = Lock()

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
        with self._lock:
            if req.request_id in self._requests:
                raise InvalidInput(f"consent request {req.request_id} already exists")
            self._requests[req.request_id] = req
            self._history.append(ConsentEvent(req.request_id, "requested", requester, at))
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
        with self._lock:
            req = self._requests.get(request_id)
            if req is None:
                raise NotFound(f"no consent request {request_id}")
            # Only the provider may release its own data; the server maps the user to an agency.
            if agency != req.provider:
                raise PermissionDenied(
                    f"only {req.provider} can answer consent request {request_id}, not {agency}"
                )
            consent = Consent(req, status, by, at or datetime.now(UTC), reason)
            self._answers[request_id] = consent
            self._history.append(
                ConsentEvent(request_id, status.value, by, consent.at, reason)
            )
        return consent

    def get(self, request_id: str) -> ConsentRequest:
        found = self._requests.get(request_id)
        if found is None:
            raise NotFound(f"no consent request {request_id}")
        return found

    def answer(self, request_id: str) -> Consent | None:
        """The latest answer, or None while the request is pending."""
        return self._answers.get(request_id)

    def pending(self, provider: str | None = None) -> list[ConsentRequest]:
        return [
            r for r in self._requests.values()
            if r.request_id not in self._answers and provider in (None, r.provider)
        ]

    def consent_for(
        self, record_id: str, *, recipient: str, purpose: PurposeArea | str
    ) -> Consent | None:
        """The latest answer about this record, recipient and purpose (granted or refused)."""
        purpose = PurposeArea(purpose)
        matching = [
            c for c in self._answers.values()
            if c.request.record_id == record_id
            and c.request.recipient == recipient
            and c.request.purpose is purpose
        ]
        return max(matching, key=lambda c: c.at, default=None)

    def history(self, request_id: str | None = None) -> list[ConsentEvent]:
        return [e for e in self._history if request_id in (None, e.request_id)]
