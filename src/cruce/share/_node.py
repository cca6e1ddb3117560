"""Sharing inside a node: disclose under the rules through an outbox, receive and keep.

The server decides, never the client: every record is checked with `decide` for every
recipient, the disclosure is logged with its recipients and justification before anything
leaves, and a package goes out once per recipient from the outbox until it is delivered.
Delivery is idempotent: a recipient that already holds a share answers that it does.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from cruce.audit._events import AccessEvent, Actor, Justification, Operation
from cruce.errors import (
    AuditChainBroken,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    SignatureInvalid,
)
from cruce.records import Envelope
from cruce.share._consents import Consents
from cruce.share._directory import Directory, Member
from cruce.share._keys import NodeKeys
from cruce.share._messages import MessageExpired, open_message, seal_message
from cruce.share._notice import open_notice, seal_notice
from cruce.share._package import ReplayDetected, Share, open_package, seal
from cruce.share._requests import (
    RECEIPT_HEADER,
    sign_receipt,
    sign_request,
    verify_answer,
    verify_receipt,
)
from cruce.share._rules import COND_RELEASED, Decision, Release, decide
from cruce.share._threads import Requests
from cruce.store import RecordQuery

if TYPE_CHECKING:
    from cruce._node import Node

class Answer(Protocol):
    """What a transport hands back: an HTTP response's status and headers (httpx's will do)."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def content(self) -> bytes: ...


# (url, body) -> the answer, or a bare HTTP status from a transport that has no headers (no
# receipt, so never counted as delivered).
Post = Callable[[str, bytes], "Answer | int"]
Get = Callable[[str, dict[str, str]], tuple[bytes, str]]  # (url, headers) -> (body, signature)
# Large shares go out in several packages: bounded memory on both sides, smaller retries.
PACKAGE_RECORDS = 20_000
# Where each kind of outbox item goes on the recipient node.
log = logging.getLogger(__name__)

INBOX = {"share": "/api/v1/shares/inbox", "erasure": "/api/v1/shares/notices",
         "message": "/api/v1/messages/inbox"}


@dataclass
class Disclosure:
    """What one share call did: the package per recipient, and every record refused and why."""

    share_ids: dict[str, list[str]] = field(default_factory=dict)  # recipient -> share ids
    sent: dict[str, list[str]] = field(default_factory=dict)  # recipient -> record ids
    refused: dict[str, dict[str, str]] = field(default_factory=dict)  # recipient -> id -> reason
    delivery: dict[str, int] = field(default_factory=dict)  # sent on the way (disclose's post)


class Courier:
    """Posts packages on a worker thread while the caller seals the next; the outcomes are
    written to the outbox by the caller's thread afterwards (the store is not shared).

    A recipient gets its items in the order they were queued: one with older items still
    waiting in the outbox, or whose earlier package of this share just failed, gets nothing
    posted here; the package stays queued behind them for `deliver`.
    """

    def __init__(self, sharing: Sharing, post: Post | None) -> None:
        self.sharing = sharing
        self.post = post
        self.pool = ThreadPoolExecutor(1, "cruce-courier") if post else None
        self.sent: list[tuple[str, str, Future[Attempt | None]]] = []
        self.counts = {"delivered": 0, "failed": 0, "refused": 0}
        self.stalled = sharing._waiting_recipients() if post else set()

    def send(self, share_id: str, member: Member, package: bytes) -> None:
        if self.pool is None:
            return
        future = self.pool.submit(self._post, member, package)
        self.sent.append((share_id, member.id, future))

    def _post(self, member: Member, package: bytes) -> Attempt | None:
        """On the worker thread: one attempt, or None if the recipient is held back."""
        if member.id in self.stalled or self.post is None:
            return None
        attempt = _attempt(self.post, member, "share", package)
        if attempt.failure is not None and not attempt.failure.refused:
            self.stalled.add(member.id)
        return attempt

    def __enter__(self) -> Courier:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is None:
            return
        self.pool.shutdown(wait=True)
        for share_id, recipient, future in self.sent:
            attempt = future.result()
            if attempt is None:  # queued behind older items: waiting, untouched
                self.counts["failed"] += 1
            else:
                self.counts[self.sharing._mark(share_id, recipient, attempt)] += 1


def http_post(url: str, body: bytes) -> Answer:
    """The default transport: POST a package, notice or message to another node."""
    import httpx

    return httpx.post(url, content=body, timeout=30.0,
                      headers={"Content-Type": "application/octet-stream"})


def http_get(url: str, headers: dict[str, str]) -> tuple[bytes, str]:
    """GET a signed answer from another node: (body, answer signature)."""
    import httpx

    response = httpx.get(url, headers=headers, timeout=30.0)
    if response.status_code != 200:
        raise InvalidInput(f"{url} answered HTTP {response.status_code}: {response.text[:200]}")
    return response.content, response.headers.get("X-Cruce-Answer-Signature", "")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A record on its way out: its id, the envelope the rules read, and its payload form."""

    id: str
    envelope: Envelope
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a delivery failed. `refused`: the recipient turned these very bytes down (malformed,
    forged, too old, about something it does not know, a closed thread), so sending them again
    cannot help; otherwise it was down or busy and a later attempt may succeed."""

    reason: str
    refused: bool = False


# Answers that are final for these bytes, when they come from cruce itself (its JSON error):
# malformed (400), about a thread or consent the recipient does not know (404), a closed thread
# (409), too old to be taken (410). Anything else may change: the recipient's directory catching
# up (401, 403, 422), load (429, 5xx), a proxy's own answer (any status without cruce's error).
_FINAL = frozenset({400, 404, 409, 410})
# ... and, whatever its status, a payload the recipient's own key cannot open (sealed for a key
# it has since replaced): no directory update will change that.
_FINAL_TYPES = frozenset({"DecryptionFailed"})
# An item not delivered within this long is given up (every package and message expires by
# then): a recipient that keeps failing holds its queue up for a bounded time only.
OUTBOX_LIMIT = timedelta(days=30)


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


@dataclass(frozen=True, slots=True)
class Attempt:
    """One delivery attempt: delivered (with the recipient's signed receipt) or a failure."""

    failure: Failure | None
    receipt: str | None = None


def _attempt(post: Post, member: Member, kind: str, body: bytes) -> Attempt:
    """Post `body` once to the member's inbox for `kind`; delivered only if the recipient
    signed a receipt for these very bytes."""
    url = member.endpoint.rstrip("/") + INBOX[kind]
    try:
        answer = post(url, body)
    except Exception as exc:  # the recipient is down: try again later
        return Attempt(Failure(f"{type(exc).__name__}: {exc}"))
    status = answer if isinstance(answer, int) else answer.status_code
    if status not in (200, 201):
        kind, why = ("", "") if isinstance(answer, int) else _cruce_error(answer.content)
        refused = bool(why) and (status in _FINAL or kind in _FINAL_TYPES)
        return Attempt(Failure(f"HTTP {status}" + (f": {why}" if why else "")
                               + (" (refused: not sent again)" if refused else ""), refused))
    receipt = "" if isinstance(answer, int) else answer.headers.get(RECEIPT_HEADER, "")
    try:
        verify_receipt(member, hashlib.sha256(body).digest(), receipt)
    except SignatureInvalid as exc:  # taken, perhaps, but not provably: send it again
        return Attempt(Failure(f"HTTP {status} without a valid receipt: {exc.message}"))
    return Attempt(None, receipt)


def _cruce_error(content: bytes) -> tuple[str, str]:
    """(type, "type: message") of a cruce node's JSON error answer; ("", "") for anything
    else, e.g. a proxy's page."""
    try:
        error = json.loads(content)["error"]
        return str(error["type"]), f"{error['type']}: {error['message']}"[:300]
    except (ValueError, KeyError, TypeError):
        return "", ""


def backoff(attempts: int) -> timedelta:
    """How long to wait after `attempts` failed deliveries: 2 s, growing by half each time,
    at most 10 minutes (a recipient down for a day is tried about 150 times)."""
    return timedelta(seconds=min(2 * 1.5 ** max(attempts - 1, 0), 600))


def _chunks(records: list[Outgoing], size: int) -> list[list[Outgoing]]:
    return [records[i : i + size] for i in range(0, len(records), size)]


class StoreReplayGuard:
    """Share ids already received, kept in the node's store (survives restarts)."""

    def __init__(self, node: Node) -> None:
        self.store = node.store

    def seen(self, share_id: str) -> bool:
        return bool(
            self.store._query("SELECT 1 FROM received_shares WHERE share_id = ?", (share_id,))
        )

    def remember(self, share_id: str, until: datetime) -> None:
        # Recorded with the records in `receive`, in one transaction.
        del share_id, until


class Sharing:
    """`node.sharing`: disclose records to other agencies, deliver, and receive."""

    def __init__(self, node: Node, keys: NodeKeys, directory: Directory) -> None:
        self.node = node
        self.keys = keys
        self.directory = directory
        self.requests = Requests(self)
        self.consents = Consents(self)
        self._delivering = threading.Lock()  # one delivery round at a time: no double posts

    @property
    def agency(self) -> str:
        if not self.node.agency:
            raise InvalidInput("this node has no agency yet: run cruce init")
        return self.node.agency

    def disclose(
        self,
        record_ids: Sequence[str],
        recipients: Sequence[str],
        why: Justification,
        release: str | None = None,
        post: Post | None = None,
    ) -> Disclosure:
        """Check every record for every recipient, log the disclosure, queue the packages.

        `release` is a supervisor's justification for releasing victim records to these
        recipients; only a user in the supervisor role may give one (checked here). With
        `post`, each package is also sent as soon as it is queued, while the next one is
        sealed (the recipient works on one while this node seals the next); one that fails
        stays in the outbox for `deliver`.
        """
        records = self._records(record_ids)
        releases = self._releases(records, recipients, release)
        out = Disclosure()
        with Courier(self, post) as courier:
            for recipient in recipients:
                member = self.directory.member(recipient)
                decisions = {r.id: self._decide(r, recipient, why, releases.get(r.id))
                             for r in records}
                allowed = [r for r in records if decisions[r.id].allowed]
                out.refused[recipient] = {
                    i: d.reason for i, d in decisions.items() if not d.allowed}
                if not allowed:
                    continue
                out.sent[recipient] = [r.id for r in allowed]
                out.share_ids[recipient] = []
                for part in _chunks(allowed, PACKAGE_RECORDS):
                    share_id, package = self._package(part, member, why, decisions,
                                                      len(records) - len(allowed))
                    out.share_ids[recipient].append(share_id)
                    courier.send(share_id, member, package)
        out.delivery = courier.counts
        if not any(out.sent.values()):
            reasons = {r for refused in out.refused.values() for r in refused.values()}
            raise PermissionDenied("nothing may be shared: " + "; ".join(sorted(reasons)))
        return out

    def _package(
        self,
        records: list[Outgoing],
        member: Member,
        why: Justification,
        decisions: dict[str, Decision],
        refused: int,
    ) -> tuple[str, bytes]:
        """Log, seal and queue one package of at most PACKAGE_RECORDS records."""
        share_id = str(uuid.uuid4())
        ids = [r.id for r in records]
        details: dict[str, Any] = {"share_id": share_id, "refused": refused}
        released = [i for i in ids if decisions[i].tlp is not None
                    and COND_RELEASED in decisions[i].conditions]
        if released:  # a supervisor's release of victim records: who and why, in the log
            details["released"] = {"by": self.node.user, "records": sorted(released)}
        conditions = {i: decisions[i].conditions for i in ids if decisions[i].conditions}
        package = seal(
            [r.payload for r in records],
            self.keys,
            self.agency,
            [member],
            share_id,
            datetime.now(UTC),
            purpose=why.purpose,
            conditions=conditions,
        )
        store = self.node.store
        with store.transaction():  # the logged disclosure, the package and its trail: all or none
            store.log_disclosure(ids, self.node.actor, why, [member.id], details)
            self._queue(share_id, member.id, package, len(records))
            store._execute(
                "INSERT INTO disclosed SELECT x, ?, ?, CURRENT_TIMESTAMP "
                "FROM unnest(CAST(? AS VARCHAR[])) AS t(x)",
                (member.id, share_id, ids),
            )
        return share_id, package

    def recipients_of(self, record_ids: Sequence[str]) -> dict[str, list[str]]:
        """Every agency each record went to: recipient -> record ids."""
        marks = ", ".join("?" for _ in record_ids)
        rows = (
            self.node.store._query(
                f"SELECT DISTINCT recipient, record_id FROM disclosed WHERE record_id IN ({marks}) "
                "ORDER BY recipient, record_id",
                tuple(record_ids),
            )
            if record_ids
            else []
        )
        out: dict[str, list[str]] = {}
        for recipient, record_id in rows:
            out.setdefault(str(recipient), []).append(str(record_id))
        return out

    def correct(self, record_ids: Sequence[str], why: Justification) -> Disclosure:
        """Send the current version of corrected records to every agency that received them
        (the rules are checked again; the recipient's copy is replaced, not added to)."""
        out = Disclosure()
        for recipient, ids in self.recipients_of(record_ids).items():
            done = self.disclose(ids, [recipient], why)
            out.share_ids.update(done.share_ids)
            out.sent.update(done.sent)
            out.refused.update(done.refused)
        return out

    def erase(self, record_ids: Sequence[str], why: Justification) -> dict[str, int]:
        """Erase records here and queue an erasure notice for every agency that received them."""
        recipients = self.recipients_of(record_ids)
        erased = self.node.store.erase(record_ids, self.node.actor, why)
        for recipient, ids in recipients.items():
            notice = seal_notice(self.keys, self.agency, recipient, ids, why.text or why.purpose)
            self._queue(str(uuid.uuid4()), recipient, notice, len(ids), kind="erasure")
        return {"erased": erased, "notices": len(recipients)}

    def expire(self, why: Justification) -> dict[str, int]:
        """Erase every record past its retain-until date, and tell its recipients."""
        ids = self.node.store.expired_ids(date.today())
        return self.erase(ids, why) if ids else {"erased": 0, "notices": 0}

    def receive_notice(self, data: bytes) -> int:
        """Apply an erasure notice: erase what that sender shared with us (once per notice)."""
        notice = open_notice(data, self.agency, self.directory)
        store = self.node.store
        with store.transaction():
            if store._query(
                "SELECT 1 FROM notices_applied WHERE notice_id = ?", (notice.notice_id,)
            ):
                return 0
            marks = ", ".join("?" for _ in notice.record_ids) or "NULL"
            held = [
                str(r[0])
                for r in store._query(
                    f"SELECT id FROM records WHERE agency = ? AND id IN ({marks})",
                    (notice.sender, *notice.record_ids),
                )
            ]
            if held:
                why = Justification(
                    "intelligence",
                    "erasure by the providing agency",
                    notice.notice_id,
                    notice.reason,
                )
                store.erase(held, Actor(self.agency, f"node:{notice.sender}", "node"), why)
            store._execute(
                "INSERT INTO notices_applied VALUES (?, ?, ?, CURRENT_TIMESTAMP)",
                (notice.notice_id, notice.sender, len(held)),
            )
        return len(held)

    def peer_head_answer(self, known_size: int) -> bytes:
        """This node's latest signed audit head, its log key and a consistency proof from the
        size the asking peer last saw (the answer is signed with this node's directory key)."""
        from cryptography.hazmat.primitives import serialization

        log = self.node.audit
        if log is None:
            raise NotFound("this node keeps no audit log")
        head = log.head()
        proof = None
        if 0 < known_size <= head.tree_size:
            proof = log.prove_consistency(known_size, head.tree_size).to_dict()
        key = log.public_key.public_bytes(serialization.Encoding.PEM,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
        return json.dumps({"agency": self.agency, "head": head.to_dict(), "consistency": proof,
                           "log_public_key": key.decode("ascii")}, sort_keys=True).encode()

    def check_peer(
        self, agency: str, get: Get,
        guard: Callable[[], AbstractContextManager[object]] = nullcontext,
    ) -> dict[str, Any]:
        """Fetch a peer's signed audit head and check it extends every head seen before.

        A peer that rewrote its history, shrank its log or changed its log key is caught
        (AuditChainBroken). `guard` (the server's store lock) is not held while asking.
        """
        from cruce.audit import ConsistencyProof, SignedTreeHead, check_peer_head

        member = self.directory.member(agency)
        with guard():
            last = self.node.store._query(
                "SELECT tree_size, head, log_key FROM peer_heads WHERE agency = ? "
                "ORDER BY tree_size DESC LIMIT 1", (agency,))
        known = int(last[0][0]) if last else 0
        path = f"/api/v1/audit/peer-head?known_size={known}"
        headers = sign_request(self.keys, self.agency, "GET", path.split("?")[0])
        body, signature = get(member.endpoint.rstrip("/") + path, headers)
        verify_answer(member, body, signature)
        data = json.loads(body)
        head = SignedTreeHead.from_dict(data["head"])
        key = str(data["log_public_key"]).encode("ascii")
        if last:
            if str(last[0][2]) != key.decode("ascii"):
                raise AuditChainBroken(f"{agency} now signs its audit heads with another key")
            old = SignedTreeHead.from_dict(json.loads(str(last[0][1])))
            if head.tree_size == old.tree_size:
                if head.root_hash != old.root_hash:
                    raise AuditChainBroken(f"{agency} shows two different logs of one size")
            elif old.tree_size == 0:  # every log extends the empty one
                if not head.verify(key):
                    raise SignatureInvalid(f"{agency}'s audit head does not verify")
            else:
                proof = ConsistencyProof.from_dict(data["consistency"] or {})
                check_peer_head(key, old, head, proof)
        elif not head.verify(key):
            raise SignatureInvalid(f"{agency}'s audit head does not verify under its log key")
        with guard():
            self.node.store._execute(
                "INSERT INTO peer_heads VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)",
                (agency, head.tree_size, json.dumps(head.to_dict()), key.decode("ascii")))
        return {"agency": agency, "tree_size": head.tree_size, "previous_size": known}

    def deliver(
        self, post: Post, guard: Callable[[], AbstractContextManager[object]] = nullcontext,
        due_only: bool = False, wait: float | None = None,
    ) -> dict[str, int]:
        """Send what waits in the outbox, each recipient's items in the order they were queued
        (an erasure notice never overtakes the share it erases, nor a reply its request).

        With `due_only`, a recipient whose oldest waiting item is still backing off is left for
        later. A transient failure stops that recipient's items for this round; a refusal is
        final and not sent again. With `wait`, gives up (all counts 0) after that many seconds
        if another round is still running (it, or the server's next round, takes the rest).
        `guard` is the server's lock around store access: it is not held while posting, so two
        nodes delivering to each other at once never wait on one another.
        """
        if not self._delivering.acquire(timeout=-1 if wait is None else wait):
            return {"delivered": 0, "failed": 0, "refused": 0}
        try:
            return self._deliver(post, guard, due_only)
        finally:
            self._delivering.release()

    def _deliver(
        self, post: Post, guard: Callable[[], AbstractContextManager[object]], due_only: bool
    ) -> dict[str, int]:
        counts = {"delivered": 0, "failed": 0, "refused": 0}
        with guard():
            rows = self.node.store._query(
                "SELECT share_id, recipient, package, kind, next_attempt_at, created_at "
                "FROM outbox WHERE delivered_at IS NULL AND refused_at IS NULL "
                "ORDER BY created_at, queued"
            )
        now, held_back = datetime.now(UTC), set()
        for share_id, recipient, package, kind, next_attempt, created in rows:
            if recipient in held_back:
                continue
            if now - created > OUTBOX_LIMIT:
                attempt = Attempt(Failure(f"not delivered within {OUTBOX_LIMIT.days} days: "
                                          "given up (share again if still needed)", True))
            elif due_only and next_attempt is not None and next_attempt > now:
                held_back.add(recipient)
                continue
            else:
                attempt = self._post(post, str(recipient), str(kind), str(package))
            with guard():
                outcome = self._mark(str(share_id), str(recipient), attempt)
            counts[outcome] += 1
            if outcome == "failed":
                held_back.add(recipient)
        return counts

    def _post(self, post: Post, recipient: str, kind: str, package: str) -> Attempt:
        member = self.directory.get(recipient)
        if member is None:  # it left the compact: nothing can reach it any more
            return Attempt(Failure(f"{recipient} is no longer in the compact directory", True))
        return _attempt(post, member, kind, base64.b64decode(package))

    def send_message(
        self, to: str, kind: str, fields: dict[str, Any], why: Justification,
        thread_id: str, record_ids: Sequence[str] = (),
    ) -> str:
        """Seal a message to another agency, keep it, log it as a disclosure, queue it."""
        member = self.directory.member(to)
        message_id = str(uuid.uuid4())
        data = seal_message(self.keys, self.agency, member, kind, fields, message_id)
        store = self.node.store
        with store.transaction():
            store.log_disclosure(record_ids, self.node.actor, why, [to],
                                 {"message": kind, "message_id": message_id, "thread": thread_id})
            self._keep_message(message_id, thread_id, kind, self.agency, self.node.user, fields)
            self._queue(message_id, to, data, 0, kind="message")
        return message_id

    def receive_message(self, data: bytes) -> str:
        """Open a message addressed to this node and act on it (once per message id)."""
        try:
            message = open_message(data, self.keys, self.agency, self.directory)
        except MessageExpired as exc:  # too old now, but perhaps taken before the answer was lost
            if self._holds_message(exc.message_id):
                return "already received"
            raise
        store = self.node.store
        with store.transaction():
            if self._holds_message(message.message_id):
                return "already received"
            handler = self.consents if message.kind.startswith("consent") else self.requests
            thread_id, why, record_ids = handler.received(message)
            self._keep_message(message.message_id, thread_id, message.kind, message.sender,
                               str(message.fields.get("author", "")), message.fields,
                               message.created_at)
            store.sink.emit(AccessEvent(
                Operation.COLLECTION, Actor(self.agency, f"node:{message.sender}", "node"), why,
                tuple(record_ids), details={"message": message.kind,
                                            "message_id": message.message_id,
                                            "thread": thread_id, "from": message.sender}))
        return "received"

    def receive(self, data: bytes) -> tuple[Share | None, str]:
        """Open a package addressed to this node and keep its records with their envelopes.

        Returns (share, "received"), or (None, "already received") for a share this node
        holds already (deliveries are retried; each share is kept exactly once).
        """
        try:
            share = open_package(
                data, self.keys, self.agency, self.directory, StoreReplayGuard(self.node)
            )
        except ReplayDetected:
            return None, "already received"
        self._keep(share)
        return share, "received"

    def _waiting_recipients(self) -> set[str]:
        """Recipients with items still waiting in the outbox (newer ones must queue behind)."""
        rows = self.node.store._query("SELECT DISTINCT recipient FROM outbox "
                                      "WHERE delivered_at IS NULL AND refused_at IS NULL")
        return {str(r[0]) for r in rows}

    def _holds_message(self, message_id: str) -> bool:
        return bool(self.node.store._query("SELECT 1 FROM messages WHERE message_id = ?",
                                           (message_id,)))

    def receipt(self, package: bytes) -> str:
        """This node's signed receipt of a delivery it took (the answer's X-Cruce-Receipt)."""
        return sign_receipt(self.keys, self.agency, package)

    def inbox(self) -> list[tuple[str, str, int, datetime]]:
        rows = self.node.store._query(
            "SELECT share_id, sender, records, received_at FROM received_shares "
            "ORDER BY received_at"
        )
        return [(str(r[0]), str(r[1]), int(r[2]), r[3]) for r in rows]

    def outbox(self) -> list[OutboxEntry]:
        rows = self.node.store._query(
            "SELECT share_id, recipient, records, attempts, last_error, delivered_at, "
            "next_attempt_at, refused_at, kind, receipt FROM outbox ORDER BY created_at, queued"
        )
        return [OutboxEntry(str(r[0]), str(r[1]), int(r[2]), int(r[3]), r[4], r[5], r[6], r[7],
                            str(r[8]), r[9]) for r in rows]

    # -- internals ------------------------------------------------------------------------
    def _records(self, record_ids: Sequence[str]) -> list[Outgoing]:
        from cruce.store._base import parse_properties, row_to_payload

        if not record_ids:
            raise InvalidInput("a share needs at least one record id")
        rows = self.node.store._select(RecordQuery(ids=list(record_ids)))
        found = {row[0] for row in rows}
        missing = [i for i in record_ids if i not in found]
        if missing:
            raise NotFound(f"no record with id {missing[0]!r}")
        envelopes: dict[tuple[Any, ...], tuple[Envelope, dict[str, Any]]] = {}
        out = []
        for row in rows:
            payload, envelope = row_to_payload(row, envelopes)
            out.append(Outgoing(str(payload["id"]), envelope, payload))
        parse_properties([o.payload for o in out])
        return out

    def _releases(
        self, records: list[Outgoing], recipients: Sequence[str], release: str | None
    ) -> dict[str, Release]:
        if release is None:
            return {}
        if self.node.role != "supervisor":
            raise PermissionDenied("only a supervisor may release a victim's record")
        if not release.strip():
            raise InvalidInput("a release needs the supervisor's justification")
        return {r.id: Release(self.node.user, release.strip(), r.id, tuple(recipients))
                for r in records}

    def _decide(
        self, record: Outgoing, recipient: str, why: Justification, release: Release | None
    ) -> Decision:
        # Passing on another agency's record: the provider's consent, if it was given.
        consent = (
            None if record.envelope.agency == self.agency
            else self.consents.book.consent_for(record.id, recipient=recipient,
                                                purpose=why.purpose)
        )
        return decide(
            record.envelope,
            record_id=record.id,
            sender=self.agency,
            recipient=recipient,
            purpose=why.purpose,
            consent=consent,
            supervisor_release=release,
            onward=False,
        )

    def _queue(
        self, share_id: str, recipient: str, package: bytes, records: int, kind: str = "share"
    ) -> None:
        self.node.store._execute(
            "INSERT INTO outbox (share_id, recipient, package, records, created_at, attempts, "
            "kind, queued) VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP, 0, ?, nextval('outbox_order'))",
            (share_id, recipient, base64.b64encode(package).decode("ascii"), records, kind),
        )

    def _mark(self, share_id: str, recipient: str, attempt: Attempt) -> str:
        """Record a delivery attempt's outcome; returns it ("delivered", "failed", "refused")."""
        now, failure = datetime.now(UTC), attempt.failure
        if failure is None:
            outcome, sets, values = "delivered", "delivered_at = ?, receipt = ?", [now,
                                                                                   attempt.receipt]
        elif failure.refused:
            outcome, sets, values = "refused", "refused_at = ?", [now]
            log.warning("outbox: %s refused %s (%s); it is not sent again",
                        recipient, share_id, failure.reason)
        else:
            attempts = self._attempts(share_id, recipient) + 1
            outcome, sets, values = "failed", "next_attempt_at = ?", [now + backoff(attempts)]
        self.node.store._execute(
            f"UPDATE outbox SET attempts = attempts + 1, last_error = ?, {sets} "
            "WHERE share_id = ? AND recipient = ?",
            (failure.reason if failure else None, *values, share_id, recipient),
        )
        return outcome

    def _attempts(self, share_id: str, recipient: str) -> int:
        rows = self.node.store._query(
            "SELECT attempts FROM outbox WHERE share_id = ? AND recipient = ?",
            (share_id, recipient))
        return int(rows[0][0]) if rows else 0

    def _keep_message(
        self, message_id: str, thread_id: str, kind: str, sender: str, author: str,
        fields: dict[str, Any], at: datetime | None = None,
    ) -> None:
        self.node.store._execute(
            "INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (message_id, thread_id, kind, sender, author, json.dumps(fields, sort_keys=True),
             json.dumps(fields.get("share_ids", [])), at or datetime.now(UTC)),
        )

    def _keep(self, share: Share) -> None:
        from cruce.ingest._jsonl import table_of_records

        # One fragment per sender: a newer share of a record (a correction) replaces the older.
        source = f"share-from:{share.sender}"
        table = table_of_records(list(share.records), source)
        why = Justification(
            str(share.purpose or "intelligence"),
            "transfer under the compact",
            share.share_id,
            f"share received from {share.sender}",
        )
        actor = Actor(self.agency, f"node:{share.sender}", "node")
        store = self.node.store
        with store.transaction():
            if store._query("SELECT 1 FROM received_shares WHERE share_id = ?", (share.share_id,)):
                raise Conflict(f"share {share.share_id} was received already")
            store._execute(
                "INSERT INTO received_shares VALUES (?, ?, ?, ?, ?, CURRENT_TIMESTAMP)",
                (
                    share.share_id,
                    share.sender,
                    len(share.records),
                    json.dumps({k: list(v) for k, v in share.conditions.items()}),
                    share.expires_at,
                ),
            )
            store.write_table(
                table,
                actor,
                why,
                share.share_id,
                {"received_from": share.sender, "share_id": share.share_id},
                source=source,
            )
