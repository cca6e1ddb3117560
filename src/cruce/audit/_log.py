"""The node's durable, append-only, signed Merkle log of access events.

Writers block in `append` until their event is on disk: the group committer (`_committer`)
writes each batch with one pwrite and one fdatasync before waking them, so an acknowledged
index is durable. Asyncio tasks `await append_async(event)` instead: the same batches and the
same guarantee, without a blocked thread per writer. The tree nodes and offsets of the batch
are appended afterwards without a sync; they are derived data, synced before each signed head
and rebuilt after a crash.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from cruce.audit._committer import FutureTicket, GroupCommitter, ThreadTicket, Ticket
from cruce.audit._events import AccessEvent
from cruce.audit._files import (
    ENTRIES_FILE,
    HEAD_RECORD,
    HEADER_SIZE,
    HEADS_FILE,
    LOCK_FILE,
    MAX_ENTRY_BYTES,
    OFFSETS_FILE,
    RECORD,
    TREE_FILE,
    FlatFile,
    fdatasync,
    file_size,
    head_record,
    open_file,
    pack_offsets,
    read_heads,
    write_all,
)
from cruce.audit._journal import CLOSED, OPEN, Journal
from cruce.audit._log_reads import LogReads
from cruce.audit._merkle import (
    HASH_SIZE,
    Frontier,
)
from cruce.audit._nodes import NodeStore
from cruce.audit._recover import Derived, recover
from cruce.audit._sth import SignedTreeHead, load_or_create_key, publish_public_key
from cruce.errors import AuditChainBroken, Conflict, CruceError, InvalidInput

_sha256 = hashlib.sha256
_pack_record = RECORD.pack


class AuditLog(LogReads):
    """Open with `AuditLog.open(directory)`; use as a context manager or call `close()`."""

    def __init__(self, directory: Path, key: Ed25519PrivateKey, head_interval: float) -> None:
        self.directory = directory
        self.head_interval = head_interval
        self._key = key
        self._public_key = key.public_key()
        self._lock_fd = -1
        self._entries_fd = -1
        self._heads_fd = -1
        self._fds: list[int] = []
        self._derived: Derived | None = None
        self._journal: Journal | None = None
        self._heads: list[tuple[SignedTreeHead, int]] = []
        self._state = (0, HEADER_SIZE)  # (size, end offset), replaced whole so reads are atomic
        self._frontier = Frontier()
        self._nodes: NodeStore | None = None
        self._head_lock = threading.RLock()
        self._last_head = float("-inf")  # the first head is due at once
        self._committer: GroupCommitter | None = None
        self._closed = False
        self._on_head: Callable[[SignedTreeHead], None] | None = None

    # -- opening and closing --------------------------------------------------------------

    @classmethod
    def open(
        cls,
        directory: Path,
        *,
        private_key: Ed25519PrivateKey | None = None,
        head_interval: float = 1.0,
    ) -> AuditLog:
        """Open (creating if needed) the log in `directory`, recovering from any crash.

        The signing key is `private_key` or the one kept beside the log (generated on first
        open). While entries arrive, a signed tree head is issued every `head_interval`
        seconds at most, and one on `close`.
        """
        directory = Path(directory)
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock_fd = _lock(directory)
        try:
            key = private_key or load_or_create_key(directory)
            publish_public_key(directory, key)
            opened = cls(directory, key, head_interval)
            opened._lock_fd = lock_fd
            opened._open_files()
        except BaseException:
            os.close(lock_fd)
            raise
        try:
            opened._recover()
        except BaseException:
            opened._close_files()
            raise
        opened._committer = GroupCommitter(opened._persist, opened._housekeeping)
        return opened

    def _open_files(self) -> None:
        d = self.directory
        self._entries_fd = open_file(d, ENTRIES_FILE, writable=True)
        self._heads_fd = open_file(d, HEADS_FILE, writable=True)
        tree = FlatFile(d, TREE_FILE, HASH_SIZE, writable=True)
        offsets = FlatFile(d, OFFSETS_FILE, 8, writable=True)
        self._journal = Journal(d, self._key)
        self._fds = [self._entries_fd, self._heads_fd, tree.fd, offsets.fd, self._journal.fd]
        self._derived = Derived(tree, offsets)
        self._nodes = NodeStore(tree)

    def _recover(self) -> None:
        length = file_size(self._heads_fd) - HEADER_SIZE
        if length % HEAD_RECORD:  # a head write cut short was never acknowledged
            os.ftruncate(self._heads_fd, HEADER_SIZE + length - length % HEAD_RECORD)
        self._heads = read_heads(self._heads_fd)
        if self._heads and not self._heads[-1][0].verify(self._public_key):
            raise AuditChainBroken(
                "the latest signed head does not verify under this log's key: the key or "
                "heads.bin was replaced; run verify with the published public key"
            )
        journal = self._require_journal()
        state = recover(self.directory, self._entries_fd, self._require_derived(), self._heads,
                        journal.read())
        self._frontier = state.frontier
        self._state = (state.size, state.end)
        journal.write(OPEN, state.size, state.end, state.frontier.peaks_digest(), sync=True)

    def close(self) -> None:
        """Commit what is pending, sign a final head, and release the directory."""
        if self._closed:
            return
        self._closed = True
        committer = self._committer
        try:
            if committer is not None:
                committer.close()
                if committer.failure is None:
                    self.sign_head()
                    size, end = self._state
                    self._require_journal().write(CLOSED, size, end, self._frontier.peaks_digest(),
                                                  sync=True)
        finally:
            self._close_files()

    def _close_files(self) -> None:
        for fd in self._fds:
            os.close(fd)
        self._fds = []
        if self._lock_fd >= 0:
            os.close(self._lock_fd)  # closing the descriptor releases the flock
            self._lock_fd = -1

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- appending ------------------------------------------------------------------------

    def append(self, event: AccessEvent) -> int:
        """Log `event`; returns its index once it is durable on disk."""
        payload = event.encode()
        if len(payload) > MAX_ENTRY_BYTES:
            raise InvalidInput(f"audit event of {len(payload)} bytes exceeds the maximum")
        leaf = _sha256(b"\x00" + payload).digest()
        record = _pack_record(len(payload), leaf) + payload
        return self._require_committer().submit(ThreadTicket(record, [leaf], [len(record)]))

    def emit(self, event: AccessEvent) -> None:
        """The store's `AccessSink` interface: returns when the event is durable."""
        self.append(event)

    def append_many(self, events: Sequence[AccessEvent]) -> range:
        """Log several events as one durable batch; returns their indices."""
        return self.append_encoded([event.encode() for event in events])

    def append_encoded(self, payloads: Sequence[bytes]) -> range:
        """Log already-encoded events (`AccessEvent.encode()` output), e.g. a bulk import."""
        records, leaves = _frame(payloads)
        if not records:
            return range(self.size, self.size)
        ticket = ThreadTicket(b"".join(records), leaves, [len(r) for r in records])
        first = self._require_committer().submit(ticket)
        return range(first, first + len(records))

    async def append_async(self, event: AccessEvent) -> int:
        """`append` for asyncio tasks: returns the event's index once it is durable on disk.

        Encoding and hashing run in the calling task; the task then awaits a future that the
        committer thread settles after the batch's fdatasync (one loop wake-up per batch).
        Cancelling the awaiting task does not withdraw the event: once queued it is committed.
        """
        (record,), (leaf,) = _frame([event.encode()])
        committer = self._committer
        if committer is None or self._closed:
            raise CruceError("the audit log is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        committer.enqueue(FutureTicket(record, [leaf], [len(record)], loop, future))
        return await future

    async def emit_async(self, event: AccessEvent) -> None:
        """`emit` for asyncio tasks: returns when the event is durable."""
        await self.append_async(event)

    async def append_encoded_async(self, payloads: Sequence[bytes]) -> range:
        """`append_encoded` for asyncio tasks: the indices, once every event is durable."""
        records, leaves = _frame(payloads)
        if not records:
            return range(self.size, self.size)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        data = b"".join(records)
        ticket = FutureTicket(data, leaves, [len(r) for r in records], loop, future)
        self._require_committer().enqueue(ticket)
        first = await future
        return range(first, first + len(records))

    async def aclose(self) -> None:
        """`close` without blocking the event loop (it waits for the last batch and a head)."""
        await asyncio.to_thread(self.close)

    def _require_committer(self) -> GroupCommitter:
        if self._committer is None or self._closed:
            raise CruceError("the audit log is closed")
        return self._committer

    @property
    def commits(self) -> int:
        """Group commits (fdatasyncs) so far: entries / commits is the mean batch size."""
        return self._committer.commits if self._committer else 0

    def _persist(self, batch: list[Ticket]) -> None:
        """Committer thread: write and fdatasync the batch, then number and index it."""
        size, end = self._state
        write_all(self._entries_fd, b"".join([ticket.data for ticket in batch]), end)
        fdatasync(self._entries_fd)
        try:  # durable from here on: failures below must not un-acknowledge the batch
            state = self._index(batch, size, end)
        except Exception as exc:  # the derived files are rebuilt on reopening
            self._fail(f"audit log index update failed ({exc}); reopen the log to recover")
            return
        # Before the batch is acknowledged: what recovery may sign in as the writer's own.
        self._require_journal().write(OPEN, *state, self._frontier.peaks_digest(), sync=False)
        self._state = state

    def _index(self, batch: list[Ticket], size: int, offset: int) -> tuple[int, int]:
        """Number the batch and append its tree nodes and offsets (no fsync: derived data)."""
        leaves: list[bytes] = []
        offsets: list[int] = []
        for ticket in batch:
            ticket.index = size + len(leaves)
            leaves += ticket.leaves
            for length in ticket.lengths:
                offsets.append(offset)
                offset += length
        nodes = bytearray()
        self._frontier.extend(leaves, nodes)
        derived = self._require_derived()
        derived.tree.append(nodes)
        derived.offsets.append(pack_offsets(offsets))
        return size + len(leaves), offset

    def _housekeeping(self) -> float | None:
        """Committer thread: sign a head when one is due; returns seconds until the next."""
        if self._heads and self._heads[-1][0].tree_size == self._state[0]:
            return None  # everything is signed
        due = self.head_interval - (time.monotonic() - self._last_head)
        if due > 0:
            return due
        try:
            self.sign_head()
        except Exception as exc:
            self._fail(f"signing a tree head failed ({exc}); reopen the log to recover")
        return None

    def _fail(self, message: str) -> None:
        """Stop accepting appends; what was acknowledged stays durable."""
        if self._committer is not None:
            self._committer.fail(message)

    # -- tree heads -----------------------------------------------------------------------

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self._public_key

    @property
    def signed_size(self) -> int:
        """Entries covered by the latest signed head (what the node pins in its store)."""
        with self._head_lock:
            return self._heads[-1][0].tree_size if self._heads else 0

    def sign_head(self) -> SignedTreeHead:
        """A signed head over every acknowledged entry (the latest one if nothing was added)."""
        with self._head_lock:
            size, end = self._state
            if self._heads and self._heads[-1][0].tree_size == size:
                return self._heads[-1][0]
            derived = self._require_derived()
            derived.tree.sync()  # the head is also the recovery checkpoint of the derived files
            derived.offsets.sync()
            self._require_journal().sync()  # it never says less than a head covers
            now = time.time_ns() // 1_000_000
            stamp = max(now, self._heads[-1][0].timestamp) if self._heads else now
            head = SignedTreeHead.sign(self._key, size, self._root(size), stamp)
            write_all(self._heads_fd, head_record(head, end), file_size(self._heads_fd))
            fdatasync(self._heads_fd)
            self._heads.append((head, end))
            self._last_head = time.monotonic()
            if self._on_head is not None:  # durable first: a pin never covers an unsigned size
                self._on_head(head)
            return head

    def watch_heads(
        self, callback: Callable[[SignedTreeHead], None] | None
    ) -> Callable[[SignedTreeHead], None] | None:
        """Call `callback` with each head once it is durable (from whichever thread signed it,
        under the head lock; it must not raise), or stop with None. Returns the previous one."""
        with self._head_lock:
            previous, self._on_head = self._on_head, callback
        return previous

    def head(self) -> SignedTreeHead:
        """The latest signed tree head, covering every acknowledged entry."""
        return self.sign_head()

    def heads(self) -> list[SignedTreeHead]:
        """Every head this log has signed, oldest first (what a node publishes to its peers)."""
        with self._head_lock:
            return [head for head, _ in self._heads]

    def _require_journal(self) -> Journal:
        if self._journal is None or not self._fds:
            raise CruceError("the audit log is closed")
        return self._journal


def _lock(directory: Path) -> int:
    fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise Conflict(f"audit log {directory} is open in another process") from None
    return fd


def _frame(payloads: Sequence[bytes]) -> tuple[list[bytes], list[bytes]]:
    """Each encoded event as its on-disk record (length, leaf hash, bytes), and the leaf hashes."""
    records, leaves = [], []
    for payload in payloads:
        if len(payload) > MAX_ENTRY_BYTES:
            raise InvalidInput(f"audit event of {len(payload)} bytes exceeds the maximum")
        leaf = _sha256(b"\x00" + payload).digest()
        leaves.append(leaf)
        records.append(_pack_record(len(payload), leaf) + payload)
    return records, leaves
