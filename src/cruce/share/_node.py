"""`node.sharing`: one agency's part in the compact, as components that are each given what
they need (the store, the node's keys, the directory, the outbox), never the node itself.

    outbox      what waits for delivery, delivered in order with signed receipts (_outbox)
    disclosure  the rules for every record and recipient, packages sealed and queued
    inbox       packages opened and kept, each once
    erasure     erasure here with notices queued; notices applied and passed on
    relay       a provider's corrections passed on to those this node disclosed them to
    mail        sealed messages for `requests` (threads) and `consents` (onward sharing)

Peers' audit heads are checked by `cruce.audit._peers`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any, Protocol

from cruce.audit import Justification
from cruce.audit._log import AuditLog
from cruce.audit._peers import check_peer, peer_head_answer
from cruce.share._consents import Consents
from cruce.share._directory import Directory
from cruce.share._disclosure import PACKAGE_RECORDS, Discloser, Disclosure, Outgoing
from cruce.share._erasure import Erasure
from cruce.share._inbox import Inbox, StoreReplayGuard
from cruce.share._keys import NodeKeys
from cruce.share._mail import Mail
from cruce.share._outbox import OUTBOX_LIMIT, Courier, Outbox
from cruce.share._package import Share
from cruce.share._party import Party
from cruce.share._relay import Relay
from cruce.share._threads import Requests
from cruce.share._transport import (
    INBOX,
    Answer,
    Attempt,
    Failure,
    Get,
    Post,
    backoff,
    http_get,
    http_post,
)
from cruce.store import Store
from cruce.store._share_tables import OutboxEntry

__all__ = [
    "INBOX", "OUTBOX_LIMIT", "PACKAGE_RECORDS", "Answer", "Attempt", "Courier", "Disclosure",
    "Failure", "Get", "OutboxEntry", "Outgoing", "Post", "Sharing", "StoreReplayGuard",
    "backoff", "http_get", "http_post",
]

Guard = Callable[[], AbstractContextManager[object]]


class NodeView(Protocol):
    """What sharing reads of the node that holds it, once, when it is built."""

    @property
    def store(self) -> Store: ...

    @property
    def agency(self) -> str | None: ...

    @property
    def user(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def audit(self) -> AuditLog | None: ...


class Sharing:
    """`node.sharing`: disclose records to other agencies, deliver, and receive."""

    def __init__(self, node: NodeView, keys: NodeKeys, directory: Directory) -> None:
        store = node.store
        self.keys = keys
        self.directory = directory
        self.party = Party(lambda: node.agency, node.user, node.role)
        self._store, self._audit = store, node.audit
        self.outbox_queue = Outbox(store, directory)
        mail = Mail(store, keys, directory, self.party, self.outbox_queue)
        self.requests = Requests(store, self.party, directory, mail)
        self.consents = Consents(store, self.party, directory, mail)
        self.disclosure = Discloser(store, keys, directory, self.party, self.outbox_queue,
                                    self.consents.book)
        self.erasure = Erasure(store, keys, directory, self.party)
        self.relay = Relay(store, self.disclosure, self.erasure)
        self.inbox_shares = Inbox(store, keys, directory, self.party)
        self._mail = mail

    @property
    def agency(self) -> str:
        return self.party.agency

    # -- out --------------------------------------------------------------------------------
    def disclose(
        self, record_ids: Sequence[str], recipients: Sequence[str], why: Justification,
        release: str | None = None, post: Post | None = None,
    ) -> Disclosure:
        """Check every record for every recipient, log the disclosure, queue the packages
        (see `Discloser.disclose`)."""
        return self.disclosure.disclose(record_ids, recipients, why, release, post)

    def recipients_of(self, record_ids: Sequence[str]) -> dict[str, list[str]]:
        return self.disclosure.recipients_of(record_ids)

    def correct(self, record_ids: Sequence[str], why: Justification) -> Disclosure:
        return self.disclosure.correct(record_ids, why)

    def erase(self, record_ids: Sequence[str], why: Justification) -> dict[str, int]:
        return self.erasure.erase(record_ids, why)

    def expire(self, why: Justification) -> dict[str, int]:
        return self.erasure.expire(why)

    def send_message(
        self, to: str, kind: str, fields: dict[str, Any], why: Justification,
        thread_id: str, record_ids: Sequence[str] = (),
    ) -> str:
        return self._mail.send(to, kind, fields, why, thread_id, record_ids)

    def deliver(
        self, post: Post, guard: Guard = nullcontext, due_only: bool = False,
        wait: float | None = None,
    ) -> dict[str, int]:
        """Send what waits in the outbox (see `Outbox.deliver`)."""
        return self.outbox_queue.deliver(post, guard, due_only, wait)

    def outbox(self) -> list[OutboxEntry]:
        return self.outbox_queue.entries()

    # -- in ---------------------------------------------------------------------------------
    def receive(self, data: bytes) -> tuple[Share | None, str]:
        """Keep a package's records and, in the same transaction, pass what it changed on to
        the agencies this node disclosed those records to (a provider's correction goes down
        the whole chain; an unchanged copy goes no further, so a cycle ends)."""
        with self._store.transaction():
            share, status, written = self.inbox_shares.receive(data)
            if share is not None and written:
                self.relay.pass_on(share)
        return share, status

    def receive_notice(self, data: bytes) -> int:
        return self.erasure.receive_notice(data)

    def receive_message(self, data: bytes) -> str:
        return self._mail.receive(data, {"consent": self.consents, "request": self.requests})

    def receipt(self, package: bytes) -> str:
        return self.inbox_shares.receipt(package)

    def inbox(self) -> list[tuple[str, str, int, datetime]]:
        return self.inbox_shares.shares()

    # -- peers' audit logs ------------------------------------------------------------------
    def peer_head_answer(self, known_size: int) -> bytes:
        return peer_head_answer(self._audit, self.agency, known_size)

    def check_peer(self, agency: str, get: Get, guard: Guard = nullcontext) -> dict[str, Any]:
        return check_peer(self._store, self.keys, self.directory, self.agency, agency, get,
                          guard)
