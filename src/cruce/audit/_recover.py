"""Bringing a log directory back to a consistent state when it is opened (after a crash too).

entries.log is the truth; the derived files are trusted up to the latest signed head, which was
written only after they were fsynced. Entries past that point are re-read and re-hashed. A torn
tail (a record cut short or failing its checksum: never acknowledged, since acknowledgement
follows fdatasync) is moved to a side file, not deleted, and entries.log is truncated to the last
complete record.

Entries past the latest head are signed in only as far as the writer's journal (`_journal`)
proves them its own: after a clean close nothing may follow (opening fails), after a crash
whatever follows is set aside like a torn tail.
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
from cruce.audit._journal import JournalState
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
    journal: JournalState | None,
) -> Recovered:
    length = file_size(entries_fd)
    size, end = _checkpoint(length, derived, heads)
    proven = _proven_end(length, heads, journal)
    derived.tree.truncate(node_count(size))
    derived.offsets.truncate(size)
    frontier = Frontier.load(size, derived.node)
    stop = _replay(entries_fd, min(length, proven), end, frontier, derived)
    _check_heads(frontier.size, stop, heads, derived)  # first: entries.log may be evidence
    _check_journal(frontier, stop, journal, length)
    quarantined = None
    if stop.offset < length:
        if stop.problem is None:
            stop.problem = "not written by the log's writer, or never acknowledged"
        quarantined = _quarantine(directory, entries_fd, stop, length)
    return Recovered(frontier.size, stop.offset, frontier, quarantined)


def _proven_end(
    length: int, heads: list[tuple[SignedTreeHead, int]], journal: JournalState | None
) -> int:
    """The end of what the log's own writer wrote: its latest head, or its journal past it.

    After a clean close nothing may follow it: bytes there were appended by someone else.
    """
    signed_end = heads[-1][1] if heads else HEADER_SIZE
    if journal is None:  # a new log, or one of a version without a journal
        return signed_end
    proven = max(signed_end, journal.end)
    if journal.is_closed and length > proven:
        raise AuditChainBrokenAt(
            journal.size,
            f"{length - proven} bytes were appended to entries.log after its writer closed it "
            f"at {journal.size} entries: they are not the log's own and are not signed in",
            "keep the folder as evidence; move entries.log's bytes after offset "
            f"{proven} aside (or restore the log from a replica) to open it again",
        )
    return proven


def _check_journal(
    frontier: Frontier, stop: ScanEnd, journal: JournalState | None, length: int
) -> None:
    """What the writer journaled must be there, unchanged: a log cut back or altered past its
    latest head is tampering, as below it."""
    if journal is None:
        return
    if stop.offset < journal.end:
        found = (f"entries.log ends at byte {length}" if length < journal.end
                 else f"the record at byte {stop.offset} is unreadable ({stop.problem})")
        raise AuditChainBrokenAt(
            frontier.size,
            f"{found}, though its writer had written {journal.end} bytes ({journal.size} "
            "entries): entries were cut off or altered",
            "restore entries.log from a replica and run verify",
        )
    if stop.offset == journal.end and (
        frontier.size != journal.size or frontier.peaks_digest() != journal.root
    ):
        raise AuditChainBrokenAt(
            None,
            f"the entries do not hash to what the writer journaled at size {journal.size}: "
            "they were altered after they were written",
            "keep the folder as evidence and restore the log from a replica",
        )


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
