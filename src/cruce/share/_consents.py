"""The consent flow between nodes: ask the provider, the provider's supervisor answers, the
answer (signed by the provider's node) comes back and unlocks, or keeps locked, the onward
share it was asked for. Both nodes keep the request and its answer in their ConsentBook."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from cruce.audit import Justification
from cruce.errors import InvalidInput, NotFound, PermissionDenied
from cruce.records import PurposeArea
from cruce.share._canon import parse_time
from cruce.share._consent import Consent, ConsentBook, ConsentRequest, ConsentStatus
from cruce.share._provenance import known_request, onward_copy

if TYPE_CHECKING:
    from cruce.share._directory import Directory
    from cruce.share._mail import Mail
    from cruce.share._messages import Message
    from cruce.share._party import Party
    from cruce.store import Store

ANSWERING_ROLE = "supervisor"


class Consents:
    """`node.sharing.consents`: ask for, answer and look up providers' consents."""

    def __init__(self, store: Store, party: Party, directory: Directory, mail: Mail) -> None:
        self.store = store
        self.party = party
        self.directory = directory
        self.mail = mail
        self.book = ConsentBook(store)

    def ask(self, record_id: str, recipient: str, purpose: PurposeArea | str,
            justification: str) -> ConsentRequest:
        """Ask the provider of a record this node received to let it go on to `recipient`."""
        provider = self.store.provider_of(record_id)
        if provider is None:
            raise NotFound(f"no record with id {record_id!r}")
        if provider == self.party.agency:
            raise InvalidInput(f"{record_id} is this agency's own record: no consent is needed")
        self.directory.member(recipient)
        with self.store.transaction():
            request = self.book.request(
                record_id=record_id, provider=provider, requester=self.party.agency,
                recipient=recipient, purpose=purpose, justification=justification)
            fields = {**request.to_dict(), "author": self.party.user}
            self.mail.send(provider, "consent-request", fields, _why(request),
                           request.request_id, [record_id])
        return request

    def answer(self, request_id: str, grant: bool, reason: str) -> Consent:
        """The provider's supervisor grants or refuses, once (Conflict if it was answered);
        the requester is told."""
        status = ConsentStatus.GRANTED if grant else ConsentStatus.REFUSED
        return self._decide(request_id, status, reason)

    def revoke(self, request_id: str, reason: str) -> Consent:
        """The provider's supervisor withdraws a grant (a new entry; what went out under the
        grant stays on record); the requester is told and may pass the record on no more."""
        return self._decide(request_id, ConsentStatus.REVOKED, reason)

    def _decide(self, request_id: str, status: ConsentStatus, reason: str) -> Consent:
        party = self.party
        if party.role != ANSWERING_ROLE:
            raise PermissionDenied("only a supervisor answers consent requests")
        step = {ConsentStatus.GRANTED: self.book.grant, ConsentStatus.REFUSED: self.book.refuse,
                ConsentStatus.REVOKED: self.book.revoke}[status]
        with self.store.transaction():
            consent = step(request_id, by=party.user, agency=party.agency, reason=reason)
            request = consent.request
            fields = {"request_id": request_id, "status": consent.status.value,
                      "by": consent.by, "at": consent.at.isoformat(), "reason": reason,
                      "author": party.user}
            self.mail.send(request.requester, "consent-answer", fields,
                           _why(request), request_id, [request.record_id])
            copy = onward_copy(request, consent.status.value, fields)  # share/_provenance.py
            if copy is not None:
                self.mail.send(request.recipient, "consent-answer", copy,
                               _why(request), request_id, [request.record_id])
        return consent

    def listing(self) -> list[dict[str, Any]]:
        """Every request asked or answered here, as the API lists it: the latest answer, the
        whole history (a revocation after a grant is one more entry) and what this node sent
        under the grant (ids and times only)."""
        history: dict[str, list[dict[str, str]]] = {}
        for event in self.book.history():
            history.setdefault(event.request_id, []).append(
                {"kind": event.kind, "by": event.by, "at": event.at.isoformat(),
                 "reason": event.reason})
        return [{**req.to_dict(), "status": answer.status.value if answer else "pending",
                 "answered_by": answer.by if answer else None,
                 "reason": answer.reason if answer else None,
                 "history": history.get(req.request_id, []),
                 "delivered": [{"share_id": share, "record_id": record, "at": at.isoformat()}
                               for share, record, at in self.book.delivered(req.request_id)]}
                for req, answer in self.book.all()]

    def received(self, message: Message) -> tuple[str, Justification, list[str]]:
        fields = message.fields
        if message.kind == "consent-request":
            if fields.get("requester") != message.sender:
                raise PermissionDenied("a consent request names its own sender as requester")
            if fields.get("provider") != self.party.agency:
                raise PermissionDenied("this consent request is for another provider")
            request = self.book.request(
                record_id=str(fields["record_id"]), provider=self.party.agency,
                requester=message.sender, recipient=str(fields["recipient"]),
                purpose=str(fields["purpose"]), justification=str(fields["justification"]),
                at=message.created_at, request_id=str(fields["request_id"]))
            return request.request_id, _why(request), [request.record_id]
        request = known_request(self.book, fields, message.sender, self.party.agency)
        status = ConsentStatus(str(fields.get("status")))
        at: datetime = parse_time(fields.get("at"), "at")
        by, reason = str(fields.get("by")), str(fields.get("reason") or "")
        # The book checks that the answering agency (the signed sender) is the provider, and
        # that the step fits (an answer once, a revocation only of a grant).
        if status is ConsentStatus.GRANTED:
            self.book.grant(request.request_id, by=by, agency=message.sender, reason=reason,
                            at=at)
        elif status is ConsentStatus.REVOKED:
            self.book.revoke(request.request_id, by=by, agency=message.sender,
                             reason=reason or "-", at=at)
        else:
            self.book.refuse(request.request_id, by=by, agency=message.sender,
                             reason=reason or "-", at=at)
        return request.request_id, _why(request), [request.record_id]


def _why(request: ConsentRequest) -> Justification:
    return Justification(request.purpose.value, "consent to onward sharing",
                         f"consent {request.request_id}", request.justification)
