"""On-disk formats of the audit log directory.

    entries.log   16-byte header, then records: u32 length (big-endian) | leaf hash (32) | event
                  The leaf hash, SHA-256(0x00 || event), doubles as the record checksum, so a
                  torn tail (short record or wrong hash) is recognised on recovery.
    tree.bin      16-byte header, then the 32-byte hash of every complete subtree in post-order
                  (derived from entries.log; rebuilt from it after a crash).
    offsets.bin   16-byte header, then the u64 (little-endian) offset of each record in
                  entries.log (derived, like tree.bin).
    heads.bin     16-byte header, then 120-byte records: a signed tree head (112 bytes, see
                  `SignedTreeHead.to_bytes`) and the u64 end offset of its last entry. The
                  offset is a local recovery hint and is not signed.
    writer.journal  16-byte header, then the writer's last word on what it wrote (see
                  `_journal`): which unsigned entries are its own.

Only entries.log and heads.bin are ever fsynced on the write path: the derived files are
fsynced before a tree head is signed, so the latest head is also a recovery checkpoint.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cruce.audit._sth import HEAD_BYTES, SignedTreeHead
from cruce.errors import AuditChainBroken

HEADER_SIZE = 16
FORMAT_VERSION = 1
ENTRIES_FILE = "entries.log"
TREE_FILE = "tree.bin"
OFFSETS_FILE = "offsets.bin"
HEADS_FILE = "heads.bin"
LOCK_FILE = "lock"
JOURNAL_FILE = "writer.journal"

MAGIC = {
    ENTRIES_FILE: b"cruce-aud-entry",
    TREE_FILE: b"cruce-aud-tree\x00",
    OFFSETS_FILE: b"cruce-aud-offs\x00",
    HEADS_FILE: b"cruce-aud-head\x00",
    JOURNAL_FILE: b"cruce-aud-jrnl\x00",
}
RECORD = struct.Struct(">I32s")
MAX_ENTRY_BYTES = 16 * 1024 * 1024
HEAD_RECORD = HEAD_BYTES + 8
_U64 = struct.Struct("<Q")

fdatasync = getattr(os, "fdatasync", os.fsync)


def header(name: str) -> bytes:
    return MAGIC[name] + bytes([FORMAT_VERSION])


def open_file(directory: Path, name: str, *, writable: bool) -> int:
    """Open one of the log's files, creating it with its header when writable and missing."""
    path = directory / name
    flags = os.O_RDWR | os.O_CREAT if writable else os.O_RDONLY
    fd = os.open(path, flags, 0o600)
    found = os.pread(fd, HEADER_SIZE, 0)
    if not found and writable:
        write_all(fd, header(name), 0)
        fdatasync(fd)
    elif found != header(name):
        os.close(fd)
        raise AuditChainBroken(f"{path} is not a cruce audit file of format {FORMAT_VERSION}")
    return fd


def write_all(fd: int, data: bytes | bytearray | memoryview, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view, offset = view[written:], offset + written


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def file_size(fd: int) -> int:
    return os.fstat(fd).st_size


def encode_record(payload: bytes, leaf: bytes) -> bytes:
    return RECORD.pack(len(payload), leaf) + payload


@dataclass(slots=True)
class ScanEnd:
    """Where a record scan stopped: the end, or the first record that cannot be read."""

    offset: int
    problem: str | None = None


def map_file(fd: int, length: int) -> mmap.mmap | bytes:
    return mmap.mmap(fd, length, access=mmap.ACCESS_READ) if length else b""


def iter_records(
    data: mmap.mmap | bytes, start: int, end: int, stop: ScanEnd
) -> Iterator[tuple[int, bytes, bytes]]:
    """Yield (offset, stored leaf hash, event bytes) for each complete record in [start, end).

    Hashes are not checked here: callers recompute them anyway. `stop` says where and why the
    scan ended.
    """
    unpack, pos = RECORD.unpack_from, start
    while pos < end:
        if end - pos < RECORD.size:
            stop.offset, stop.problem = pos, "record header is cut short"
            return
        length, leaf = unpack(data, pos)
        body = pos + RECORD.size
        if length > MAX_ENTRY_BYTES or body + length > end:
            stop.offset, stop.problem = pos, f"record length {length} runs past the file end"
            return
        yield pos, leaf, data[body : body + length]
        pos = body + length
    stop.offset = pos


class FlatFile:
    """A header followed by fixed-size items, appended without fsync (derived data)."""

    def __init__(self, directory: Path, name: str, item_size: int, *, writable: bool) -> None:
        self.fd = open_file(directory, name, writable=writable)
        self.item_size = item_size
        self.count = (file_size(self.fd) - HEADER_SIZE) // item_size

    def read(self, index: int, count: int = 1) -> bytes:
        size = self.item_size * count
        data = os.pread(self.fd, size, HEADER_SIZE + index * self.item_size)
        if len(data) != size:
            raise AuditChainBroken(f"derived audit file ends before item {index + count - 1}")
        return data

    def append(self, data: bytes | bytearray) -> None:
        write_all(self.fd, data, HEADER_SIZE + self.count * self.item_size)
        self.count += len(data) // self.item_size

    def truncate(self, count: int) -> None:
        os.ftruncate(self.fd, HEADER_SIZE + count * self.item_size)
        self.count = count

    def sync(self) -> None:
        fdatasync(self.fd)

    def close(self) -> None:
        os.close(self.fd)


def pack_offsets(offsets: list[int]) -> bytes:
    return struct.pack(f"<{len(offsets)}Q", *offsets)


def unpack_offset(data: bytes) -> int:
    value: int = _U64.unpack(data)[0]
    return value


def read_heads(fd: int) -> list[tuple[SignedTreeHead, int]]:
    """Every signed head with its entries-file end offset; a torn last record is ignored."""
    data = os.pread(fd, file_size(fd), HEADER_SIZE)
    heads = []
    for pos in range(0, len(data) - HEAD_RECORD + 1, HEAD_RECORD):
        head = SignedTreeHead.from_bytes(data[pos : pos + HEAD_BYTES])
        heads.append((head, unpack_offset(data[pos + HEAD_BYTES : pos + HEAD_RECORD])))
    return heads


def head_record(head: SignedTreeHead, entries_end: int) -> bytes:
    return head.to_bytes() + _U64.pack(entries_end)
