"""The index documents, plates and VINs are checked against: built for the job, in memory.

Each key (`HND|passport|E1234567`, `GTM|P123BCD`, a VIN) is kept as its 64-bit hash beside the
alert's sequence number, in sorted NumPy arrays: 16 bytes an alert, so 10M document alerts take
160 MB, where a Python dict of their keys would take about 1.5 GB. A check hashes the exact key
and its one-error variants (`_keys.one_error_variants`: a few hundred) and finds them all with
one `searchsorted`; a hash that matches is only a candidate: the alert is read back from the
store by its number and its key compared, its withdrawal and expiry checked (hits are about one
check in 10,000, so that read costs nothing on the common path, and a stale index or a hash
collision never answers with a wrong alert).

Rebuilt from the store on start; `top_up` adds what is newer than the last number it loaded
(new and changed alerts alike: a change gets a new number) as a small sorted segment; segments
are merged when there are many.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt

from cruce.store import Store

_PAGE = 200_000
_MAX_SEGMENTS = 8
Hashes = npt.NDArray[np.int64]


def key_hashes(keys: Sequence[str]) -> Hashes:
    """Each key's hash (Python's own: fast, and consistent within the process that built the
    index; every process builds its own)."""
    return np.fromiter((hash(k) for k in keys), dtype=np.int64, count=len(keys))


@dataclass
class KeyIndex:
    """Hashes of one key column of live alerts, by alert sequence number."""

    column: str
    segments: list[tuple[Hashes, Hashes]] = field(default_factory=list)
    last_seq: int = 0

    def load(self, store: Store, today: date) -> int:
        """Add every live alert after `last_seq`; returns how many."""
        hashes: list[Hashes] = []
        seqs: list[Hashes] = []
        while page := store.alert_keys(self.column, self.last_seq, _PAGE, today):
            seqs.append(np.fromiter((s for s, _ in page), dtype=np.int64, count=len(page)))
            hashes.append(key_hashes([k for _, k in page]))
            self.last_seq = page[-1][0]
        if hashes:
            self._add(np.concatenate(hashes), np.concatenate(seqs))
        return sum(len(h) for h in hashes)

    def _add(self, hashes: Hashes, seqs: Hashes) -> None:
        order = np.argsort(hashes, kind="stable")
        self.segments.append((hashes[order], seqs[order]))
        if len(self.segments) > _MAX_SEGMENTS:
            merged_h = np.concatenate([h for h, _ in self.segments])
            merged_s = np.concatenate([s for _, s in self.segments])
            order = np.argsort(merged_h, kind="stable")
            self.segments = [(merged_h[order], merged_s[order])]

    def find(self, keys: Sequence[str]) -> list[tuple[int, int]]:
        """(position in `keys`, alert sequence number) of every candidate: a hash match."""
        if not keys or not self.segments:
            return []
        wanted = key_hashes(keys)
        found: list[tuple[int, int]] = []
        for hashes, seqs in self.segments:
            at = np.searchsorted(hashes, wanted)
            inside = at < len(hashes)
            matched = np.flatnonzero(inside & (hashes[np.minimum(at, len(hashes) - 1)] == wanted))
            for i in matched.tolist():
                j = int(at[i])
                while j < len(hashes) and hashes[j] == wanted[i]:  # one key, several alerts
                    found.append((i, int(seqs[j])))
                    j += 1
        return found

    @property
    def size(self) -> int:
        return sum(len(h) for h, _ in self.segments)

    @property
    def nbytes(self) -> int:
        return sum(h.nbytes + s.nbytes for h, s in self.segments)
