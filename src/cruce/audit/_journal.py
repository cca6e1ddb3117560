"""The writer's journal: which entries the log's own writer wrote, so that recovery signs those
and nothing else.

Entries past the latest signed head are normal after a crash: acknowledged (fdatasync'ed) but
not yet covered by a head. Without more, recovery cannot tell them from entries someone
appended to entries.log while the node was stopped, and it would sign those in too (issue 10
#8). The journal closes that gap. It is one record, rewritten in place:

    writer.journal  16-byte header, then: u8 state (1 open, 2 closed) | u64 size | u64 end
                    offset in entries.log | digest (32) of the tree's peaks | HMAC-SHA256 (32)

The writer rewrites it after every batch is durable and before the batch is acknowledged
(no sync of its own: it is synced before each signed head, and entries up to its `end` were
synced before it was written), and marks it closed, synced, after the final head on `close`.
The HMAC key is derived from the log's signing key, so the journal proves entries to be the
writer's only to whoever cannot sign heads anyway. On opening:

- entries up to the journal's `end` (and root) are the writer's own, signed in as before;
- after a clean close, any byte past that end was appended by someone else: opening fails
  (AuditChainBroken) and entries.log is left as evidence;
- after a crash, complete records past the end were never acknowledged (or, after a power
  loss, not yet journaled): they are moved aside like a torn tail, never signed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cruce.audit._files import HEADER_SIZE, JOURNAL_FILE, fdatasync, open_file, write_all
from cruce.errors import AuditChainBroken

OPEN, CLOSED = 1, 2
_FIELDS = struct.Struct(">BQQ32s")
_MAC_SIZE = 32
_KEY_PREFIX = b"cruce/audit/writer-journal/v1\x00"


@dataclass(frozen=True, slots=True)
class JournalState:
    """What the writer last said: open or closed, with the log's size, end offset and tree
    (`root`: the digest of its peaks, `Frontier.peaks_digest`)."""

    state: int
    size: int
    end: int
    root: bytes

    @property
    def is_closed(self) -> bool:
        return self.state == CLOSED


class Journal:
    """The writer journal of one log directory, kept open by the log that holds its lock."""

    def __init__(self, directory: Path, key: Ed25519PrivateKey) -> None:
        self._fd = open_file(Path(directory), JOURNAL_FILE, writable=True)
        self._key = hashlib.sha256(_KEY_PREFIX + key.private_bytes_raw()).digest()

    def read(self) -> JournalState | None:
        """The last state written; None for a log that never had a journal (a new one, or one
        of an older version). AuditChainBroken if the record was not written by this writer."""
        data = os.pread(self._fd, _FIELDS.size + _MAC_SIZE, HEADER_SIZE)
        if not data:
            return None
        fields, mac = data[: _FIELDS.size], data[_FIELDS.size :]
        if len(mac) != _MAC_SIZE or not hmac.compare_digest(mac, self._mac(fields)):
            raise AuditChainBroken(
                "writer.journal of the audit log was not written by its writer (altered or cut "
                "short): which unsigned entries are the log's own cannot be told; keep the "
                "folder as evidence and restore the log from a replica"
            )
        state, size, end, root = _FIELDS.unpack(fields)
        return JournalState(state, size, end, root)

    def write(self, state: int, size: int, end: int, root: bytes, *, sync: bool) -> None:
        fields = _FIELDS.pack(state, size, end, root)
        write_all(self._fd, fields + self._mac(fields), HEADER_SIZE)
        if sync:
            fdatasync(self._fd)

    def sync(self) -> None:
        fdatasync(self._fd)

    def close(self) -> None:
        os.close(self._fd)

    @property
    def fd(self) -> int:
        return self._fd

    def _mac(self, fields: bytes) -> bytes:
        return hmac.digest(self._key, fields, "sha256")
