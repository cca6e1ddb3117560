"""Requests for information between agencies, SIENA-style: a request on a case (reference,
purpose, priority, deadline), replies threaded to it (which may point at shares sent with
them), and a status: open, answered, closed.

Both sides keep the thread. The requesting agency closes it; replies to a closed thread are
refused. Every message out is a logged disclosure, every message in a logged collection, and
reading a thread a logged consultation.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from cruce.audit import AccessEvent, Justification, Operation
from cruce.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from cruce.records import PurposeArea
from cruce.share._canon import aware

if TYPE_CHECKING:
    from cruce.share._directory import Directory
    from cruce.share._mail import Mail
    from cruce.share._messages import Message
    from cruce.share._party import Party
    from cruce.store import Store


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class ThreadStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Post:
    """One message of a thread, as both sides keep it."""

    message_id: str
    kind: str  # request, reply or close
    sender: str  # agency
    author: str  # the user at the sending agency
    text: str
    share_ids: tuple[str, ...]
    at: datetime


@dataclass(frozen=True, slots=True)
class Thread:
    thread_id: str
    requester: str
    responder: str
    case_reference: str
    purpose: PurposeArea
    priority: Priority
    deadline: date | None
    subject: str
    status: ThreadStatus
    opened_at: datetime
    updated_at: datetime
    posts: tuple[Post, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "thread_id": self.thread_id, "requester": self.requester,
            "responder": self.responder, "case_reference": self.case_reference,
            "purpose": self.purpose.value, "priority": self.priority.value,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "subject": self.subject, "status": self.status.value,
            "opened_at": self.opened_at.isoformat(), "updated_at": self.updated_at.isoformat(),
            "messages": [
                {"message_id": p.message_id, "kind": p.kind, "sender": p.sender,
                 "author": p.author, "text": p.text, "share_ids": list(p.share_ids),
                 "at": p.at.isoformat()} for p in self.posts],
        }


class Requests:
    """`node.sharing.requests`: ask another agency, reply, close, read the threads."""

    def __init__(self, store: Store, party: Party, directory: Directory, mail: Mail) -> None:
        self.store = store
        self.party = party
        self.directory = directory
        self.mail = mail

    def ask(
        self, to: str, subject: str, text: str, why: Justification,
        priority: Priority | str = Priority.NORMAL, deadline: date | None = None,
    ) -> str:
        """Send a request for information on a case; returns the thread id."""
        agency = self.party.agency
        if to == agency:
            raise InvalidInput("a request goes to another agency")
        self.directory.member(to)
        if not subject.strip() or not text.strip():
            raise InvalidInput("a request needs a subject and a text")
        if deadline is not None and deadline < date.today():
            raise InvalidInput(f"the deadline {deadline} is in the past")
        thread_id = str(uuid.uuid4())
        fields = {"thread_id": thread_id, "case_reference": why.case_reference,
                  "purpose": PurposeArea(why.purpose).value, "priority": Priority(priority).value,
                  "deadline": deadline.isoformat() if deadline else None,
                  "subject": subject.strip(), "text": text.strip(),
                  "author": self.party.user}
        with self.store.transaction():
            self._open(fields, requester=agency, responder=to)
            self.mail.send(to, "request", fields, why, thread_id)
        return thread_id

    def reply(self, thread_id: str, text: str, share_ids: Sequence[str] = ()) -> str:
        """Answer a request received (or add to one's own); shares may be pointed at."""
        thread = self.thread(thread_id, read=False)
        if thread.status is ThreadStatus.CLOSED:
            raise Conflict(f"thread {thread_id} is closed")
        if not text.strip():
            raise InvalidInput("a reply needs a text")
        fields = {"thread_id": thread_id, "text": text.strip(), "share_ids": list(share_ids),
                  "author": self.party.user}
        with self.store.transaction():
            message_id = self.mail.send(
                self._other(thread), "reply", fields, self._why(thread), thread_id)
            if self.party.agency == thread.responder:
                self._status(thread_id, ThreadStatus.ANSWERED)
        return message_id

    def close(self, thread_id: str, reason: str = "") -> None:
        """The requesting agency closes its request; the other side is told."""
        thread = self.thread(thread_id, read=False)
        if self.party.agency != thread.requester:
            raise PermissionDenied("only the requesting agency closes a request")
        if thread.status is ThreadStatus.CLOSED:
            raise Conflict(f"thread {thread_id} is closed already")
        fields = {"thread_id": thread_id, "text": reason.strip() or "closed",
                  "author": self.party.user}
        with self.store.transaction():
            self.mail.send(thread.responder, "close", fields, self._why(thread),
                                      thread_id)
            self._status(thread_id, ThreadStatus.CLOSED)

    def threads(
        self, status: ThreadStatus | str | None = None, why: Justification | None = None
    ) -> list[Thread]:
        """The node's threads, newest activity first (metadata only: no message texts); with
        `why`, the listing is logged as a consultation."""
        rows = self.store.thread_rows(ThreadStatus(status).value if status else None)
        if why is not None:
            self.store.sink.emit(AccessEvent(
                Operation.CONSULTATION, self.party.actor, why,
                details={"threads": status or "all", "count": len(rows)}))
        return [_thread(r) for r in rows]

    def thread(self, thread_id: str, why: Justification | None = None,
               read: bool = True) -> Thread:
        """One thread with its messages; reading it is a logged consultation."""
        rows = self.store.thread_rows(thread_id=thread_id)
        if not rows:
            raise NotFound(f"no thread {thread_id}")
        posts = tuple(
            Post(str(r[0]), str(r[1]), str(r[2]), str(r[3]),
                 str(json.loads(str(r[4])).get("text", "")), tuple(json.loads(str(r[5]))),
                 aware(r[6]))
            for r in self.store.thread_messages(thread_id))
        thread = _thread(rows[0], posts)
        if read:
            self.store.sink.emit(AccessEvent(
                Operation.CONSULTATION, self.party.actor, why or self._why(thread),
                details={"thread": thread_id}))
        return thread

    # -- a message from another node ----------------------------------------------------------
    def received(self, message: Message) -> tuple[str, Justification, list[str]]:
        fields = message.fields
        thread_id = str(fields.get("thread_id", ""))
        if message.kind == "request":
            self._open(fields, requester=message.sender, responder=self.party.agency)
            return thread_id, self._why(self.thread(thread_id, read=False)), []
        thread = self.thread(thread_id, read=False)
        if message.sender != self._other(thread):
            raise PermissionDenied(f"{message.sender} is not a party to thread {thread_id}")
        if thread.status is ThreadStatus.CLOSED:
            raise Conflict(f"thread {thread_id} is closed")
        if message.kind == "close":
            if message.sender != thread.requester:
                raise PermissionDenied("only the requesting agency closes a request")
            self._status(thread_id, ThreadStatus.CLOSED)
        elif message.sender == thread.responder:
            self._status(thread_id, ThreadStatus.ANSWERED)
        else:
            self._status(thread_id, thread.status)  # touched: newest activity first
        return thread_id, self._why(thread), []

    # -- internals ------------------------------------------------------------------------
    def _open(self, fields: dict[str, Any], *, requester: str, responder: str) -> None:
        try:
            thread_id = str(uuid.UUID(str(fields["thread_id"])))
            purpose = PurposeArea(str(fields["purpose"])).value
            priority = Priority(str(fields["priority"])).value
            deadline = date.fromisoformat(fields["deadline"]) if fields.get("deadline") else None
            case, subject = str(fields["case_reference"]), str(fields["subject"])
        except (KeyError, ValueError, TypeError) as exc:
            raise InvalidInput(f"a request needs thread_id, case_reference, purpose, priority, "
                               f"subject: {exc}") from None
        if not case.strip():
            raise InvalidInput("a request needs a case reference")
        self.store.open_thread(thread_id, requester, responder, case, purpose, priority,
                               deadline, subject, datetime.now(UTC))

    def _status(self, thread_id: str, status: ThreadStatus) -> None:
        self.store.set_thread_status(thread_id, status.value, datetime.now(UTC))

    def _other(self, thread: Thread) -> str:
        me = self.party.agency
        return thread.responder if me == thread.requester else thread.requester

    @staticmethod
    def _why(thread: Thread) -> Justification:
        return Justification(thread.purpose.value, "request for information under the compact",
                             thread.case_reference, f"thread {thread.thread_id}")



def _thread(row: tuple[Any, ...], posts: tuple[Post, ...] = ()) -> Thread:
    deadline = row[6]
    if deadline is not None and not isinstance(deadline, date):
        deadline = date.fromisoformat(str(deadline))
    return Thread(str(row[0]), str(row[1]), str(row[2]), str(row[3]), PurposeArea(str(row[4])),
                  Priority(str(row[5])), deadline, str(row[7]), ThreadStatus(str(row[8])),
                  aware(row[9]), aware(row[10]), posts)
