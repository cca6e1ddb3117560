"""Bringing a log directory back to a consistent state when it is opened (after a crash too).

entries.log is the truth; the derived files are trusted up to the latest signed head, which was
written only after they were fsynced. Entries past that point are re-read and re-hashed. A torn
tail (a record cut short or failing its checksum: never acknowledged, since acknowledgement
follows fdatasync) is moved to a side file, not deleted, and entries.log is truncated to the last
complete record.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from cruce.audit._errors import AuditChainBrokenAt
from cruce.audit._files import (
    HEADER_SIZE,
    FlatFile,
    ScanEnd,
    fdatasync,
    file_size,
    fsync_dir,
    iter_records,
    map_file,
    pack_offsets,
    unpack_offset,
    write_all,
)
from cruce.audit._merkle import Frontier, leaf_hash, node_count, node_position, range_hash
from cruce.audit._sth import SignedTreeHead

log = logging.getLogger(__name__)
_FLUSH_EVERY = 65536


@dataclass(slots=True)
class Recovered:
    size: int
    end: int  # offset in entries.log just past the last entry
    frontier: Frontier
    quarantined: Path | None


class Derived:
    """The node store and the offsets index of one log, as recovery sees them."""

    def __init__(self, tree: FlatFile, offsets: FlatFile) -> None:
        self.tree, self.offsets = tree, offsets

    def node(self, level: int, index: int) -> bytes:
        return self.tree.read(node_position(level, index))

    def covers(self, size: int, end: int) -> bool:
        if self.tree.count < node_count(size) or self.offsets.count < size:
            return False
        return size == 0 or self.offset(size - 1) < end

    def root(self, size: int) -> bytes:
        return range_hash(0, size, self.node)

    def offset(self, index: int) -> int:
        return unpack_offset(self.offsets.read(index))

    def record_at(self, size: int, position: int) -> int:
        """Index of the record that holds byte `position` (binary search over offsets)."""
        low, high = 0, size - 1
        while low < high:
            mid = (low + high + 1) // 2
            if self.offset(mid) <= position:
                low = mid
            else:
                high = mid - 1
        return low


def recover(
    directory: Path,
    entries_fd: int,
    derived: Derived,
    heads: list[tuple[SignedTreeHead, int]],
) -> Recovered:
    length = file_size(entries_fd)
    size, end = _checkpoint(length, derived, heads)
    derived.tree.truncate(node_count(size))
    derived.offsets.truncate(size)
    frontier = Frontier.load(size, derived.node)
    stop = _replay(entries_fd, length, end, frontier, derived)
    _check_heads(frontier.size, stop, heads, derived)  # first: entries.log may be evidence
    quarantined = None
    if stop.offset < length:
        quarantined = _quarantine(directory, entries_fd, stop, length)
    return Recovered(frontier.size, stop.offset, frontier, quarantined)


def _checkpoint(
    length: int, derived: Derived, heads: list[tuple[SignedTreeHead, int]]
) -> tuple[int, int]:
    """Size and entries offset up to which the derived files can be trusted.

    Missing or short derived files are rebuilt from entries.log. Derived files that contradict
    the latest signed head, or an entries.log shorter than that head, are evidence: they are
    left untouched and opening fails.
    """
    if not heads:
        return 0, HEADER_SIZE
    head, end = heads[-1]
    if not derived.covers(head.tree_size, end):
        log.warning("audit log derived files are incomplete; rebuilding them from entries.log")
        return 0, HEADER_SIZE
    if derived.root(head.tree_size) != head.root_hash:
        raise AuditChainBrokenAt(
            None,
            f"tree.bin does not match the root signed at size {head.tree_size}",
            "run verify to find the first altered entry",
        )
    if end > length:
        raise AuditChainBrokenAt(
            derived.record_at(head.tree_size, length),
            f"entries.log ends at byte {length}, the head signed at size {head.tree_size} "
            f"covers {end} bytes",
            "restore entries.log from a replica and run verify",
        )
    return head.tree_size, end


def _replay(
    entries_fd: int, length: int, start: int, frontier: Frontier, derived: Derived
) -> ScanEnd:
    """Re-hash entries from `start` into the derived files; stop at the first bad record."""
    data = map_file(entries_fd, length)
    stop = ScanEnd(start)
    nodes, offsets = bytearray(), []
    for offset, stored, payload in iter_records(data, start, length, stop):
        leaf = leaf_hash(payload)
        if leaf != stored:
            stop.offset, stop.problem = offset, "record fails its checksum"
            break
        for node in frontier.push(leaf):
            nodes += node
        offsets.append(offset)
        if len(offsets) >= _FLUSH_EVERY:
            _flush(derived, nodes, offsets)
    _flush(derived, nodes, offsets)
    return stop


def _flush(derived: Derived, nodes: bytearray, offsets: list[int]) -> None:
    derived.tree.append(nodes)
    derived.offsets.append(pack_offsets(offsets))
    nodes.clear()
    offsets.clear()


def _quarantine(directory: Path, entries_fd: int, stop: ScanEnd, length: int) -> Path:
    """Keep the unreadable tail in a side file, then cut entries.log back to whole records."""
    side = directory / f"entries.torn-{stop.offset}-{time.time_ns()}.bin"
    fd = os.open(side, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        write_all(fd, os.pread(entries_fd, length - stop.offset, stop.offset), 0)
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(directory)
    os.ftruncate(entries_fd, stop.offset)
    fdatasync(entries_fd)
    log.warning(
        "audit log: %d bytes after offset %d could not be read (%s); moved to %s",
        length - stop.offset,
        stop.offset,
        stop.problem,
        side.name,
    )
    return side


def _check_heads(
    size: int, stop: ScanEnd, heads: list[tuple[SignedTreeHead, int]], derived: Derived
) -> None:
    """Signed heads are only issued over durable entries: losing any of them is tampering."""
    if not heads:
        return
    highest = max(head.tree_size for head, _ in heads)
    if highest > size:
        problem = stop.problem or "missing"
        raise AuditChainBrokenAt(
            size,
            f"{problem}, although a signed head covers {highest} entries",
            "restore entries.log from a replica and run verify",
        )
    head = heads[-1][0]
    if derived.root(head.tree_size) != head.root_hash:
        raise AuditChainBrokenAt(
            None,
            f"the entries do not hash to the root signed at size {head.tree_size}",
            "run verify to find the first altered entry",
        )
