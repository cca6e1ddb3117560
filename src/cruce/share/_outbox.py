"""The outbox: what this node must deliver, kept in its store until the recipient's signed
receipt says it arrived. Each recipient gets its items in the order they were queued (an
erasure notice never overtakes the share it erases, nor a reply its request); a recipient
that is down is backed off from; a refusal is final."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime, timedelta

from cruce.share._directory import Directory, Member
from cruce.share._transport import Attempt, Failure, Post, attempt, backoff
from cruce.store import Store
from cruce.store._share_tables import OutboxEntry

log = logging.getLogger(__name__)

# An item not delivered within this long is given up (every package and message expires by
# then): a recipient that keeps failing holds its queue up for a bounded time only.
OUTBOX_LIMIT = timedelta(days=30)

Guard = Callable[[], AbstractContextManager[object]]


class Outbox:
    """`sharing.outbox`: queue items in the caller's transaction, deliver them later."""

    def __init__(self, store: Store, directory: Directory) -> None:
        self.store = store
        self.directory = directory
        self._delivering = threading.Lock()  # one delivery round at a time: no double posts

    def queue(
        self, share_id: str, recipient: str, package: bytes, records: int, kind: str = "share"
    ) -> None:
        self.store.queue_outgoing(share_id, recipient, package, records, kind)

    def entries(self) -> list[OutboxEntry]:
        """Every item, delivered, refused or waiting, in the order queued."""
        return self.store.outbox_entries()

    def waiting_recipients(self) -> set[str]:
        """Recipients with items still waiting (newer ones must queue behind)."""
        return self.store.recipients_waiting()

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
            rows = self.store.outbox_waiting()
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
                tried = self._post(post, recipient, kind, package)
            with guard():
                outcome = self.mark(share_id, recipient, tried)
            counts[outcome] += 1
            if outcome == "failed":
                held_back.add(recipient)
        return counts

    def _post(self, post: Post, recipient: str, kind: str, package: bytes) -> Attempt:
        member = self.directory.get(recipient)
        if member is None:  # it left the compact: nothing can reach it any more
            return Attempt(Failure(f"{recipient} is no longer in the compact directory", True))
        # Expired (or not yet valid): not sent, and kept, backing off, for a renewal; its
        # receipt could not be verified anyway, so a post now would only be sent again.
        problem = member.not_in_force(datetime.now(UTC))
        if problem is not None:
            return Attempt(Failure(f"{problem}: held until the authority renews it"))
        return attempt(post, member, kind, package)

    def mark(self, share_id: str, recipient: str, tried: Attempt) -> str:
        """Record a delivery attempt's outcome; returns it ("delivered", "failed", "refused")."""
        now, failure = datetime.now(UTC), tried.failure
        if failure is None:
            self.store.mark_outgoing(share_id, recipient, error=None, delivered_at=now,
                                     receipt=tried.receipt)
            return "delivered"
        if failure.refused:
            log.warning("outbox: %s refused %s (%s); it is not sent again",
                        recipient, share_id, failure.reason)
            self.store.mark_outgoing(share_id, recipient, error=failure.reason, refused_at=now)
            return "refused"
        attempts = self.store.outgoing_attempts(share_id, recipient) + 1
        self.store.mark_outgoing(share_id, recipient, error=failure.reason,
                                 next_attempt_at=now + backoff(attempts))
        return "failed"


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
