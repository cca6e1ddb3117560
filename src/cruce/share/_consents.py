"""The consent flow between nodes: ask the provider, the provider's supervisor answers, the
answer (signed by the provider's node) comes back and unlocks, or keeps locked, the onward
share it was asked for. Both nodes keep the request and its answer in their ConsentBook."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from cruce.audit._events import Justification
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
        rows = self.store._query("SELECT agency FROM records WHERE id = ?",
                                              (record_id,))
        if not rows:
            raise NotFound(f"no record with id {record_id!r}")
        provider = str(rows[0][0])
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
        """The provider's supervisor grants or refuses; the requester is told."""
        if self.party.role != ANSWERING_ROLE:
            raise PermissionDenied("only a supervisor answers consent requests")
        party = self.party
        with self.store.transaction():
            if grant:
                consent = self.book.grant(request_id, by=party.user, agency=self.party.agency,
                                          reason=reason)
            else:
                consent = self.book.refuse(request_id, by=party.user,
                                           agency=self.party.agency, reason=reason)
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
        # The book checks that the answering agency (the signed sender) is the provider.
        if status is ConsentStatus.GRANTED:
            self.book.grant(request.request_id, by=str(fields.get("by")), agency=message.sender,
                            reason=str(fields.get("reason", "")), at=at)
        else:
            self.book.refuse(request.request_id, by=str(fields.get("by")),
                             agency=message.sender, reason=str(fields.get("reason") or "-"),
                             at=at)
        return request.request_id, _why(request), [request.record_id]


def _why(request: ConsentRequest) -> Justification:
    return Justification(request.purpose.value, "consent to onward sharing",
                         f"consent {request.request_id}", request.justification)
