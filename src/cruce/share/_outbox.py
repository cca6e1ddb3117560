"""The outbox: what this node must deliver, kept in its store until the recipient's signed
receipt says it arrived. Each recipient gets its items in the order they were queued (an
erasure notice never overtakes the share it erases, nor a reply its request); a recipient
that is down is backed off from; a refusal is final."""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cruce.share._directory import Directory, Member
from cruce.share._transport import Attempt, Failure, Post, attempt, backoff
from cruce.store import Store

log = logging.getLogger(__name__)

# An item not delivered within this long is given up (every package and message expires by
# then): a recipient that keeps failing holds its queue up for a bounded time only.
OUTBOX_LIMIT = timedelta(days=30)

Guard = Callable[[], AbstractContextManager[object]]


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


class Outbox:
    """`sharing.outbox`: queue items in the caller's transaction, deliver them later."""

    def __init__(self, store: Store, directory: Directory) -> None:
        self.store = store
        self.directory = directory
        self._delivering = threading.Lock()  # one delivery round at a time: no double posts

    def queue(
        self, share_id: str, recipient: str, package: bytes, records: int, kind: str = "share"
    ) -> None:
        self.store._execute(
            "INSERT INTO outbox (share_id, recipient, package, records, created_at, attempts, "
            "kind, queued) VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP, 0, ?, nextval('outbox_order'))",
            (share_id, recipient, base64.b64encode(package).decode("ascii"), records, kind),
        )

    def entries(self) -> list[OutboxEntry]:
        rows = self.store._query(
            "SELECT share_id, recipient, records, attempts, last_error, delivered_at, "
            "next_attempt_at, refused_at, kind, receipt FROM outbox ORDER BY created_at, queued"
        )
        return [OutboxEntry(str(r[0]), str(r[1]), int(r[2]), int(r[3]), r[4], r[5], r[6], r[7],
                            str(r[8]), r[9]) for r in rows]

    def waiting_recipients(self) -> set[str]:
        """Recipients with items still waiting (newer ones must queue behind)."""
        rows = self.store._query("SELECT DISTINCT recipient FROM outbox "
                                 "WHERE delivered_at IS NULL AND refused_at IS NULL")
        return {str(r[0]) for r in rows}

    def deliver(
        self, post: Post, guard: Guard = nullcontext, due_only: bool = False,
        wait: float | None = None,
    ) -> dict[str, int]:
        """Send what waits, each recipient's items in the order they were queued.

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

    def _deliver(self, post: Post, guard: Guard, due_only: bool) -> dict[str, int]:
        counts = {"delivered": 0, "failed": 0, "refused": 0}
        with guard():
            rows = self.store._query(
                "SELECT share_id, recipient, package, kind, next_attempt_at, created_at "
                "FROM outbox WHERE delivered_at IS NULL AND refused_at IS NULL "
                "ORDER BY created_at, queued"
            )
        now, held_back = datetime.now(UTC), set()
        for share_id, recipient, package, kind, next_attempt, created in rows:
            if recipient in held_back:
                continue
            if now - created > OUTBOX_LIMIT:
                tried = Attempt(Failure(f"not delivered within {OUTBOX_LIMIT.days} days: "
                                        "given up (share again if still needed)", True))
            elif due_only and next_attempt is not None and next_attempt > now:
                held_back.add(recipient)
                continue
            else:
                tried = self._post(post, str(recipient), str(kind), str(package))
            with guard():
                outcome = self.mark(str(share_id), str(recipient), tried)
            counts[outcome] += 1
            if outcome == "failed":
                held_back.add(recipient)
        return counts

    def _post(self, post: Post, recipient: str, kind: str, package: str) -> Attempt:
        member = self.directory.get(recipient)
        if member is None:  # it left the compact: nothing can reach it any more
            return Attempt(Failure(f"{recipient} is no longer in the compact directory", True))
        return attempt(post, member, kind, base64.b64decode(package))

    def mark(self, share_id: str, recipient: str, tried: Attempt) -> str:
        """Record a delivery attempt's outcome; returns it ("delivered", "failed", "refused")."""
        now, failure = datetime.now(UTC), tried.failure
        if failure is None:
            outcome, sets, values = "delivered", "delivered_at = ?, receipt = ?", [now,
                                                                                   tried.receipt]
        elif failure.refused:
            outcome, sets, values = "refused", "refused_at = ?", [now]
            log.warning("outbox: %s refused %s (%s); it is not sent again",
                        recipient, share_id, failure.reason)
        else:
            attempts = self._attempts(share_id, recipient) + 1
            outcome, sets, values = "failed", "next_attempt_at = ?", [now + backoff(attempts)]
        self.store._execute(
            f"UPDATE outbox SET attempts = attempts + 1, last_error = ?, {sets} "
            "WHERE share_id = ? AND recipient = ?",
            (failure.reason if failure else None, *values, share_id, recipient),
        )
        return outcome

    def _attempts(self, share_id: str, recipient: str) -> int:
        rows = self.store._query(
            "SELECT attempts FROM outbox WHERE share_id = ? AND recipient = ?",
            (share_id, recipient))
        return int(rows[0][0]) if rows else 0


class Courier:
    """Posts packages on a worker thread while the caller seals the next; the outcomes are
    written to the outbox by the caller's thread afterwards (the store is not shared).

    A recipient gets its items in the order they were queued: one with older items still
    waiting in the outbox, or whose earlier package of this share just failed, gets nothing
    posted here; the package stays queued behind them for `deliver`.
    """

    def __init__(self, outbox: Outbox, post: Post | None) -> None:
        self.outbox = outbox
        self.post = post
        self.pool = ThreadPoolExecutor(1, "cruce-courier") if post else None
        self.sent: list[tuple[str, str, Future[Attempt | None]]] = []
        self.counts = {"delivered": 0, "failed": 0, "refused": 0}
        self.stalled = outbox.waiting_recipients() if post else set()

    def send(self, share_id: str, member: Member, package: bytes) -> None:
        if self.pool is None:
            return
        future = self.pool.submit(self._post, member, package)
        self.sent.append((share_id, member.id, future))

    def _post(self, member: Member, package: bytes) -> Attempt | None:
        """On the worker thread: one attempt, or None if the recipient is held back."""
        if member.id in self.stalled or self.post is None:
            return None
        tried = attempt(self.post, member, "share", package)
        if tried.failure is not None and not tried.failure.refused:
            self.stalled.add(member.id)
        return tried

    def __enter__(self) -> Courier:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is None:
            return
        self.pool.shutdown(wait=True)
        for share_id, recipient, future in self.sent:
            tried = future.result()
            if tried is None:  # queued behind older items: waiting, untouched
                self.counts["failed"] += 1
            else:
                self.counts[self.outbox.mark(share_id, recipient, tried)] += 1
