"""Group commit: many writer threads, one committer, one fdatasync per batch.

A writer enqueues a ticket and blocks on the ticket's own lock. The committer takes everything
pending at once, has it persisted (written and synced), then wakes the writers. While one batch
is being synced the next accumulates, so the cost of a sync is shared by every waiting writer.
"""

from __future__ import annotations

import _thread
import logging
import threading
import time
from collections.abc import Callable

from cruce.errors import CruceError

log = logging.getLogger(__name__)


class Ticket:
    """One caller's records: `data` is their bytes back to back, in order."""

    __slots__ = ("data", "leaves", "lengths", "done", "index", "error", "next")

    def __init__(self, data: bytes, leaves: list[bytes], lengths: list[int]) -> None:
        self.data, self.leaves, self.lengths = data, leaves, lengths
        self.done = _thread.allocate_lock()  # the cheapest thing a thread can block on
        self.done.acquire()
        self.index = -1
        self.error: BaseException | None = None
        self.next: Ticket | None = None


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

    def submit(self, ticket: Ticket) -> int:
        """Block until the ticket's records are durable; returns the first one's index."""
        with self._mutex:
            if self._closing or self.failure:
                raise CruceError(self.failure or "the audit log is closed")
            pending = self._pending
            pending.append(ticket)
            if self._idle and len(pending) >= self._want:
                self._idle = False  # one notify suffices
                self._cond.notify()
        ticket.done.acquire()
        if ticket.next is not None:  # wake the next writer of the batch (see _release)
            ticket.next.done.release()
        if ticket.error is not None:
            raise ticket.error
        return ticket.index

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
            for ticket in batch:
                ticket.error = CruceError(self.failure or str(exc))
                ticket.done.release()
            return
        self._sync_time = 0.8 * self._sync_time + 0.2 * (time.monotonic() - started)
        self.commits += 1
        self._release(batch)

    @staticmethod
    def _release(batch: list[Ticket]) -> None:
        """Wake the batch's writers one after another rather than all at once.

        Each woken writer wakes the next, so they do not all stampede for the GIL together
        with the committer, which needs it to start the next batch.
        """
        for ticket, following in zip(batch, batch[1:], strict=False):
            ticket.next = following
        batch[0].done.release()
