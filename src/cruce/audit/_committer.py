"""Group commit: many writers, one committer, one fdatasync per batch.

A writer thread enqueues a ticket and blocks on the ticket's own lock. The committer takes
everything pending at once, has it persisted (written and synced), then wakes the writers. While
one batch is being synced the next accumulates, so the cost of a sync is shared by every waiting
writer.

A writer that is an asyncio task enqueues a `FutureTicket` instead and awaits its future. After a
batch is durable the committer settles all of a batch's futures of one event loop with a single
`loop.call_soon_threadsafe` (one self-pipe write, one wake-up of the loop), not one per ticket:
resuming a task is then a few microseconds of work inside the loop, with no OS thread to wake.
"""

from __future__ import annotations

import _thread
import asyncio
import logging
import threading
import time
from collections.abc import Callable

from cruce.errors import CruceError

log = logging.getLogger(__name__)


class Ticket:
    """One caller's records: `data` is their bytes back to back, in order.

    The committer sets `index` (of the first record) or `error`, then wakes the caller.
    """

    __slots__ = ("data", "leaves", "lengths", "index", "error")

    def __init__(self, data: bytes, leaves: list[bytes], lengths: list[int]) -> None:
        self.data, self.leaves, self.lengths = data, leaves, lengths
        self.index = -1
        self.error: BaseException | None = None


class ThreadTicket(Ticket):
    """A blocked writer thread's ticket: it waits on `done`, then releases `next`."""

    __slots__ = ("done", "next")

    def __init__(self, data: bytes, leaves: list[bytes], lengths: list[int]) -> None:
        self.data, self.leaves, self.lengths = data, leaves, lengths
        self.index = -1
        self.error = None
        self.done = _thread.allocate_lock()  # the cheapest thing a thread can block on
        self.done.acquire()
        self.next: ThreadTicket | None = None


class FutureTicket(Ticket):
    """An asyncio task's ticket: `future` (of `loop`) gets the index or the error."""

    __slots__ = ("loop", "future")

    def __init__(
        self,
        data: bytes,
        leaves: list[bytes],
        lengths: list[int],
        loop: asyncio.AbstractEventLoop,
        future: asyncio.Future[int],
    ) -> None:
        self.data, self.leaves, self.lengths = data, leaves, lengths
        self.index = -1
        self.error = None
        self.loop, self.future = loop, future


def _settle(tickets: list[FutureTicket]) -> None:
    """In the tickets' event loop: resolve their futures (a cancelled waiter is skipped; its
    event was committed all the same)."""
    for ticket in tickets:
        future = ticket.future
        if future.done():
            continue
        if ticket.error is None:
            future.set_result(ticket.index)
        else:
            future.set_exception(ticket.error)


class GroupCommitter:
    """Runs `persist(batch)` in one thread; `persist` numbers the tickets or raises.

    `housekeeping()` runs after each batch and whenever the seconds it last returned have
    passed (None: only after batches); the log signs tree heads there.
    """

    def __init__(
        self,
        persist: Callable[[list[Ticket]], None],
        housekeeping: Callable[[], float | None],
    ) -> None:
        self._persist = persist
        self._housekeeping = housekeeping
        self._mutex = threading.Lock()  # taken directly by writers: no Python-level wrapper
        self._cond = threading.Condition(self._mutex)
        self._pending: list[Ticket] = []
        self._want = 1  # pending tickets that wake the committer
        self._idle = False  # the committer waits on the condition: only then notify it
        self._last_batch = 0
        self._sync_time = 0.0  # moving average of persist time, seconds
        self._closing = False
        self.failure: str | None = None
        self.commits = 0
        self._thread = threading.Thread(target=self._run, name="audit-log-commit", daemon=True)
        self._thread.start()

    def submit(self, ticket: ThreadTicket) -> int:
        """Block until the ticket's records are durable; returns the first one's index."""
        self.enqueue(ticket)
        ticket.done.acquire()
        if ticket.next is not None:  # wake the next writer of the batch (see _release)
            ticket.next.done.release()
        if ticket.error is not None:
            raise ticket.error
        return ticket.index

    def enqueue(self, ticket: Ticket) -> None:
        """Queue a ticket without waiting: an asyncio writer's future is settled once the batch
        is durable (or failed). Raises at once if the log is closing or failed."""
        with self._mutex:
            if self._closing or self.failure:
                raise CruceError(self.failure or "the audit log is closed")
            pending = self._pending
            pending.append(ticket)
            if self._idle and len(pending) >= self._want:
                self._idle = False  # one notify suffices
                self._cond.notify()

    def fail(self, message: str) -> None:
        with self._cond:
            if self.failure is None:
                self.failure = message
                log.error("%s", message)

    def close(self) -> None:
        """Commit what is pending, then stop the committer thread."""
        with self._cond:
            self._closing = True
            self._wait_end()
        self._thread.join()

    def _run(self) -> None:
        timeout = self._housekeeping()
        while True:
            batch, closing = self._next_batch(timeout)
            if batch:
                self._commit(batch)
            elif closing:
                return
            timeout = self._housekeeping() if self.failure is None else None

    def _next_batch(self, timeout: float | None) -> tuple[list[Ticket], bool]:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._pending and not self._closing:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    break
                self._wait(remaining)
            if 0 < len(self._pending) < self._last_batch:
                self._gather()
            batch, self._pending = self._pending, []
            if batch:
                self._last_batch = len(batch)
            return batch, self._closing

    def _gather(self) -> None:
        """Give the writers woken last time a moment to come back (condition held).

        Otherwise steady writers split into two half-size batches that alternate, paying two
        syncs where one would do. The wait is capped by the recent sync time, and a lone
        writer never waits: its last batch held one ticket.
        """
        self._want = self._last_batch
        deadline = time.monotonic() + min(max(self._sync_time, 0.0002), 0.002)
        while len(self._pending) < self._want and not self._closing:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._wait(remaining)
        self._want = 1

    def _wait(self, timeout: float | None) -> None:
        """Wait (condition held) for a submit that meets `_want`, closing, or the timeout."""
        self._idle = True
        try:
            self._cond.wait(timeout)
        finally:
            self._idle = False

    def _wait_end(self) -> None:
        """Wake the committer if it waits (condition held)."""
        if self._idle:
            self._idle = False
            self._cond.notify()

    def _commit(self, batch: list[Ticket]) -> None:
        started = time.monotonic()
        try:
            if self.failure:
                raise CruceError(self.failure)
            self._persist(batch)
        except Exception as exc:  # nothing of the batch is acknowledged
            self.fail(f"audit log write failed ({exc}); reopen the log to recover")
            for ticket in batch:  # an exception each: the waiters raise them concurrently
                ticket.error = CruceError(self.failure or str(exc))
            self._release(batch)
            return
        self._sync_time = 0.8 * self._sync_time + 0.2 * (time.monotonic() - started)
        self.commits += 1
        self._release(batch)

    @staticmethod
    def _release(batch: list[Ticket]) -> None:
        """Wake the batch's writers: asyncio ones with one call per event loop, threads one
        after another rather than all at once.

        Each woken thread wakes the next, so they do not all stampede for the GIL together
        with the committer, which needs it to start the next batch.
        """
        threads: list[ThreadTicket] = []
        loops: dict[asyncio.AbstractEventLoop, list[FutureTicket]] = {}
        for ticket in batch:
            if isinstance(ticket, FutureTicket):
                waiting = loops.get(ticket.loop)
                if waiting is None:
                    loops[ticket.loop] = [ticket]
                else:
                    waiting.append(ticket)
            else:
                assert isinstance(ticket, ThreadTicket)
                threads.append(ticket)
        for loop, tickets in loops.items():
            try:
                loop.call_soon_threadsafe(_settle, tickets)
            except RuntimeError:  # the loop was closed: nobody is left to tell
                log.debug("audit log: %d waiters' event loop is closed", len(tickets))
        if threads:
            for ticket, following in zip(threads, threads[1:], strict=False):
                ticket.next = following
            threads[0].done.release()
