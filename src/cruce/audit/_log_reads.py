"""Reading the log: its size, roots, inclusion and consistency proofs, and its entries.

A mixin of `AuditLog` (`_log`): what the log holds once written, apart from how it is written.
Reads take the acknowledged state as one tuple (size, end offset), replaced whole by the
committer, so a read never sees half a batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from cruce.audit._merkle import (
    ConsistencyProof,
    InclusionProof,
    consistency_path,
    inclusion_path,
)
from cruce.audit._nodes import NodeStore, ProofReader
from cruce.audit._query import LogEntry, iter_entries, read_entry, who_saw
from cruce.audit._recover import Derived
from cruce.audit._sth import SignedTreeHead
from cruce.errors import CruceError, InvalidInput


class LogReads:
    """Proofs and queries over the log's files (set up by `AuditLog.open`)."""

    _state: tuple[int, int]
    _fds: list[int]
    _entries_fd: int
    _derived: Derived | None
    _nodes: NodeStore | None

    def head(self) -> SignedTreeHead:
        raise NotImplementedError  # AuditLog's: the latest signed head

    @property
    def size(self) -> int:
        """Number of acknowledged (durable) entries."""
        return self._state[0]

    # -- proofs ---------------------------------------------------------------------------

    def _require_derived(self) -> Derived:
        if self._derived is None or not self._fds:
            raise CruceError("the audit log is closed")
        return self._derived

    def _reader(self, size: int) -> ProofReader:
        if self._nodes is None or not self._fds:
            raise CruceError("the audit log is closed")
        return self._nodes.reader(size)

    def _root(self, size: int) -> bytes:
        return self._reader(size).range(0, size)

    def _checked_size(self, tree_size: int | None) -> int:
        if tree_size is None:
            return self.head().tree_size
        if not 0 <= tree_size <= self.size:
            raise InvalidInput(f"tree size {tree_size} is outside 0..{self.size}")
        return tree_size

    def root(self, tree_size: int | None = None) -> bytes:
        """Root hash at `tree_size` (default: the latest signed head's size)."""
        return self._root(self._checked_size(tree_size))

    def leaf_hash(self, index: int) -> bytes:
        if not 0 <= index < self.size:
            raise InvalidInput(f"no entry {index}: the log has {self.size}")
        return self._reader(self.size).node(0, index)

    def prove_inclusion(self, index: int, tree_size: int | None = None) -> InclusionProof:
        """Audit path of entry `index` in the tree of `tree_size` (default: the latest head)."""
        size = self._checked_size(tree_size)
        if not 0 <= index < size:
            raise InvalidInput(f"entry {index} is not in a tree of size {size}")
        path = inclusion_path(index, size, self._reader(size).range)
        return InclusionProof(index, size, tuple(path))

    def prove_consistency(self, old_size: int, new_size: int | None = None) -> ConsistencyProof:
        """Proof that the tree of `old_size` is a prefix of the tree of `new_size`."""
        size = self._checked_size(new_size)
        if not 0 <= old_size <= size:
            raise InvalidInput(f"old size {old_size} is outside 0..{size}")
        path = consistency_path(old_size, size, self._reader(size).range)
        return ConsistencyProof(old_size, size, tuple(path))

    # -- queries --------------------------------------------------------------------------

    def entry(self, index: int) -> LogEntry:
        size = self.size
        return read_entry(self._entries_fd, self._require_derived().offsets, index, size)

    def iter_events(self, since: datetime | None = None) -> Iterator[LogEntry]:
        """Entries in log order (only those with event time >= `since` when given)."""
        self._require_derived()
        return iter_entries(self._entries_fd, self._state[1], since)

    def who_saw(self, record_id: str) -> list[LogEntry]:
        """Every consultation and disclosure event that lists `record_id`.

        Events over more than MAX_LISTED_IDS records carry only a digest of their ids and are
        not found here; the store's batch table resolves those.
        """
        size, end = self._state
        return who_saw(self._entries_fd, self._require_derived(), size, end, record_id)
