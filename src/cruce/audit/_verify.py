"""Verifying a log directory from scratch with nothing but the node's public key.

Every entry is re-hashed, the tree is rebuilt, and the root at every signed head's size must be
the signed root. tree.bin, written when each entry was appended, pins each entry to its
position: comparing the rebuilt tree with it points at the first entry that was changed,
removed, inserted or reordered, even when the change also rewrote the entry's own checksum.
Without tree.bin, a change is still detected, but only located between two signed heads.
"""

from __future__ import annotations

import mmap
import os
from dataclasses import dataclass
from pathlib import Path

from cruce.audit._errors import AuditChainBrokenAt
from cruce.audit._files import (
    ENTRIES_FILE,
    HEADER_SIZE,
    HEADS_FILE,
    TREE_FILE,
    ScanEnd,
    file_size,
    iter_records,
    map_file,
    open_file,
    read_heads,
)
from cruce.audit._merkle import EMPTY_ROOT, HASH_SIZE, Frontier, leaf_hash, node_count
from cruce.audit._sth import PublicKeyLike, SignedTreeHead, load_public_key
from cruce.errors import NotFound

_REFETCH = "restore the log from a replica or backup and compare with the heads peers hold"


@dataclass(frozen=True, slots=True)
class VerifyReport:
    tree_size: int
    root_hash: bytes
    heads_checked: int
    latest_head: SignedTreeHead | None
    torn_tail_bytes: int  # unacknowledged bytes after a crash; removed when the log is opened


def _load_heads(directory: Path, public_key: PublicKeyLike) -> list[SignedTreeHead]:
    fd = open_file(directory, HEADS_FILE, writable=False)
    try:
        heads = [head for head, _ in read_heads(fd)]
    finally:
        os.close(fd)
    key = load_public_key(public_key)
    for number, head in enumerate(heads):
        if not head.verify(key):
            raise AuditChainBrokenAt(
                None, f"signed head #{number} (size {head.tree_size}) has an invalid signature"
            )
        if number and (
            head.tree_size < heads[number - 1].tree_size
            or head.timestamp < heads[number - 1].timestamp
        ):
            raise AuditChainBrokenAt(None, f"signed head #{number} goes back in size or time")
    return heads


def _tree_leaves(nodes: int) -> int:
    """How many leaves a post-order node file of `nodes` hashes covers."""
    low, high = 0, nodes
    while low < high:
        mid = (low + high + 1) // 2
        if node_count(mid) <= nodes:
            low = mid
        else:
            high = mid - 1
    return low


class _Walk:
    """State of one pass over entries.log."""

    def __init__(self, heads: list[SignedTreeHead], tree: bytes | memoryview) -> None:
        self.heads = heads
        self.next_head = 0
        self.trusted = 0  # entries below this size matched a signed head
        self.tree = tree
        self.tree_nodes = (len(tree) - HEADER_SIZE) // HASH_SIZE if len(tree) else 0
        self.tree_pos = 0
        self.tree_mismatch: int | None = None
        self.frontier = Frontier()

    def add(self, index: int, leaf: bytes) -> None:
        nodes = self.frontier.push(leaf)
        if self.tree_mismatch is None and self.tree_pos + len(nodes) <= self.tree_nodes:
            start = HEADER_SIZE + self.tree_pos * HASH_SIZE
            if self.tree[start : start + len(nodes) * HASH_SIZE] != b"".join(nodes):
                self.tree_mismatch = index
        self.tree_pos += len(nodes)
        self.check_heads()

    def check_heads(self) -> None:
        size = self.frontier.size
        while self.next_head < len(self.heads) and self.heads[self.next_head].tree_size == size:
            if self.frontier.root() != self.heads[self.next_head].root_hash:
                self._root_mismatch(size)
            if self.tree_mismatch is not None:
                raise AuditChainBrokenAt(
                    self.tree_mismatch,
                    "tree.bin is damaged here, although the entries match every signed head",
                    "rebuild it by deleting tree.bin and offsets.bin and reopening the log",
                )
            self.trusted = size
            self.next_head += 1

    def _root_mismatch(self, size: int) -> None:
        if self.tree_mismatch is not None:
            raise AuditChainBrokenAt(
                self.tree_mismatch,
                "entry differs from the one logged at this position (changed, removed, "
                f"inserted or reordered): the log no longer hashes to the head signed at {size}",
                _REFETCH,
            )
        raise AuditChainBrokenAt(
            self.trusted,
            f"an entry in [{self.trusted}, {size}) was altered together with its checksum "
            f"and tree.bin: the log no longer hashes to the head signed at {size}",
            _REFETCH,
        )


def verify_log(directory: Path, public_key: PublicKeyLike) -> VerifyReport:
    """Check the whole log against its signed heads; raises AuditChainBrokenAt at the first fault.

    Needs only the public key. A record cut short after the last signed head and beyond what
    tree.bin covers is a crash's unacknowledged tail, reported in `torn_tail_bytes`.
    """
    directory = Path(directory)
    if not (directory / ENTRIES_FILE).exists() or not (directory / HEADS_FILE).exists():
        raise NotFound(f"no audit log in {directory}: pass the log's directory")
    heads = _load_heads(directory, public_key)
    fd = open_file(directory, ENTRIES_FILE, writable=False)
    try:
        length = file_size(fd)
        walk = _Walk(heads, _read_tree(directory))
        walk.check_heads()
        stop = _scan(map_file(fd, length), length, walk)
    finally:
        os.close(fd)
    size = walk.frontier.size
    _check_end(walk, size, stop)
    return VerifyReport(
        size,
        walk.frontier.root() if size else EMPTY_ROOT,
        len(heads),
        heads[-1] if heads else None,
        length - stop.offset,
    )


def _read_tree(directory: Path) -> bytes | memoryview:
    if not (directory / TREE_FILE).exists():
        return b""
    fd = open_file(directory, TREE_FILE, writable=False)
    try:
        return memoryview(map_file(fd, file_size(fd)))
    finally:
        os.close(fd)


def _scan(data: mmap.mmap | bytes, length: int, walk: _Walk) -> ScanEnd:
    stop = ScanEnd(HEADER_SIZE)
    for index, (offset, stored, payload) in enumerate(
        iter_records(data, HEADER_SIZE, length, stop)
    ):
        leaf = leaf_hash(payload)
        if leaf != stored:
            stop.offset, stop.problem = offset, "content does not match its checksum"
            break
        walk.add(index, leaf)
    return stop


def _check_end(walk: _Walk, size: int, stop: ScanEnd) -> None:
    highest = max((head.tree_size for head in walk.heads), default=0)
    acknowledged = max(highest, _tree_leaves(walk.tree_nodes))
    if walk.tree_mismatch is not None:
        raise AuditChainBrokenAt(
            walk.tree_mismatch,
            "entry differs from the one logged at this position (changed, removed, inserted "
            "or reordered), or tree.bin is damaged; no signed head covers it yet",
            _REFETCH,
        )
    if stop.problem and size < acknowledged:
        raise AuditChainBrokenAt(size, f"entry is unreadable: {stop.problem}", _REFETCH)
    if size < highest:
        raise AuditChainBrokenAt(
            size, f"missing: a signed head covers {highest} entries, the log has {size}", _REFETCH
        )
    if size < acknowledged:
        raise AuditChainBrokenAt(
            size, f"missing: tree.bin covers {acknowledged} entries, the log has {size}", _REFETCH
        )
