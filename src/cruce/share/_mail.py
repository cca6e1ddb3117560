"""Sealed messages between agencies (requests for information, consent requests and
answers): each one out is kept, logged as a disclosure and queued in the outbox in one
transaction; each one in is acted on once, kept and logged as a collection."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from cruce.audit import AccessEvent, Justification, Operation
from cruce.share._directory import Directory
from cruce.share._keys import NodeKeys
from cruce.share._messages import Message, MessageExpired, open_message, seal_message
from cruce.share._outbox import Outbox
from cruce.share._party import Party
from cruce.store import Store


class Handler(Protocol):
    """Acts on a message received (inside the transaction that keeps it): returns the thread
    it belongs to, why it was taken and the records it is about."""

    def received(self, message: Message) -> tuple[str, Justification, list[str]]: ...


class Mail:
    """Messages out and in; `send` is what requests and consents use to reach another node."""

    def __init__(self, store: Store, keys: NodeKeys, directory: Directory, party: Party,
                 outbox: Outbox) -> None:
        self.store = store
        self.keys = keys
        self.directory = directory
        self.party = party
        self.outbox = outbox

    def send(
        self, to: str, kind: str, fields: dict[str, Any], why: Justification,
        thread_id: str, record_ids: Sequence[str] = (),
    ) -> str:
        """Seal a message to another agency, keep it, log it as a disclosure, queue it."""
        member = self.directory.member_in_force(to)
        message_id = str(uuid.uuid4())
        agency = self.party.agency
        data = seal_message(self.keys, agency, member, kind, fields, message_id)
        with self.store.transaction():
            self.store.log_disclosure(record_ids, self.party.actor, why, [to],
                                      {"message": kind, "message_id": message_id,
                                       "thread": thread_id})
            self._keep(message_id, thread_id, kind, agency, self.party.user, fields)
            self.outbox.queue(message_id, to, data, 0, kind="message")
        return message_id

    def receive(self, data: bytes, handler_for: dict[str, Handler]) -> str:
        """Open a message addressed to this node and act on it (once per message id);
        `handler_for` maps "consent" and "request" to what acts on each kind."""
        agency = self.party.agency
        try:
            message = open_message(data, self.keys, agency, self.directory)
        except MessageExpired as exc:  # too old now, but perhaps taken before the answer was lost
            if self._holds(exc.message_id):
                return "already received"
            raise
        with self.store.transaction():
            if self._holds(message.message_id):
                return "already received"
            handler = handler_for["consent" if message.kind.startswith("consent") else "request"]
            thread_id, why, record_ids = handler.received(message)
            self._keep(message.message_id, thread_id, message.kind, message.sender,
                       str(message.fields.get("author", "")), message.fields,
                       message.created_at)
            self.store.sink.emit(AccessEvent(
                Operation.COLLECTION, self.party.node_actor(message.sender), why,
                tuple(record_ids), details={"message": message.kind,
                                            "message_id": message.message_id,
                                            "thread": thread_id, "from": message.sender}))
        return "received"

    def _holds(self, message_id: str) -> bool:
        return self.store.holds_message(message_id)

    def _keep(
        self, message_id: str, thread_id: str, kind: str, sender: str, author: str,
        fields: dict[str, Any], at: datetime | None = None,
    ) -> None:
        self.store.keep_message(message_id, thread_id, kind, sender, author, fields,
                                at or datetime.now(UTC))
