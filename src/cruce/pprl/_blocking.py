"""Blocking that leaks no plaintext: Hamming LSH on the encodings themselves.

Each band samples `BAND_BITS` bit positions of the filters (chosen from a public seed: the
positions are no secret, the filters are what the linkage unit already holds); two records
are candidates when they agree on every sampled bit of at least one band. No extra blocking
key (a keyed surname digest, say, whose frequencies would give surnames away) leaves an owner.

A pair whose filters agree on a share s of their bits survives one band with probability
s**BAND_BITS: with 16 bits and 48 bands a pair at s = 0.9 is a candidate with probability
0.9999, a pair at 0.6 with 0.013.

Bounded against crafted or degenerate input (finding S8-8): a band bucket holding more than
`BUCKET_PAIRS` left x right pairs is skipped and counted, as anonlink's blocking does (a crowd
of near-identical filters is no evidence for any one pair of it; pairs that differ still meet
in other bands). With a `floor`, each band's pairs are scored at once and only those at or
above it kept, so what is held grows with the pairs worth keeping, not with chance agreements;
the caller's `limit` on them is checked band by band.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cruce.pprl._bloom import Words
from cruce.pprl._dice import Index, TooManyPairs, popcounts

BAND_BITS = 16
BANDS = 48
SEED = 15  # public: issue 15
BUCKET_PAIRS = 10_000  # left x right pairs of one band key; a bigger bucket is skipped
SCORED_AT_ONCE = 1 << 18


@dataclass
class Blocked:
    """Distinct candidate pairs, and how many band buckets were skipped as too crowded."""

    left: Index
    right: Index
    skipped_buckets: int
    compared: int  # band pairs looked at, a pair once per band it meets in


def _bits(words: Words) -> npt.NDArray[np.uint8]:
    return np.unpackbits(np.ascontiguousarray(words).view(np.uint8), axis=1)


def _band_keys(bits: npt.NDArray[np.uint8], positions: npt.NDArray[np.intp]) -> npt.NDArray[
        np.uint64]:
    weights = (np.uint64(1) << np.arange(positions.size, dtype=np.uint64))
    keys: npt.NDArray[np.uint64] = (bits[:, positions].astype(np.uint64) * weights).sum(
        axis=1, dtype=np.uint64)
    return keys


def _band_pairs(keys_a: npt.NDArray[np.uint64],
                keys_b: npt.NDArray[np.uint64]) -> tuple[Index, Index, int]:
    """One band's pairs (left, right), with buckets over BUCKET_PAIRS left out, and
    how many buckets were; bucket sizes are counted before any pair is built."""
    order = np.argsort(keys_b, kind="stable")
    sorted_b = keys_b[order]
    lo = np.searchsorted(sorted_b, keys_a, side="left")
    sizes = np.searchsorted(sorted_b, keys_a, side="right") - lo
    _, inverse, count_a = np.unique(keys_a, return_inverse=True, return_counts=True)
    crowded = count_a[inverse].astype(np.int64) * sizes > BUCKET_PAIRS
    skipped = int(np.unique(keys_a[crowded]).size)
    sizes = np.where(crowded, 0, sizes)
    left = np.repeat(np.arange(len(keys_a), dtype=np.intp), sizes)
    offsets = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return left, order[np.repeat(lo, sizes) + offsets].astype(np.intp), skipped


def _above(a: Words, b: Words, weights: tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]],
           pair: tuple[Index, Index], floor: float) -> npt.NDArray[np.bool_]:
    """Which pairs have Dice >= floor (the weights are the two sides' popcounts), a slice of
    SCORED_AT_ONCE pairs at a time: the gathered filters of all would not fit in memory."""
    left, right = pair
    keep = np.zeros(left.size, dtype=bool)
    for start in range(0, left.size, SCORED_AT_ONCE):
        i, j = left[start : start + SCORED_AT_ONCE], right[start : start + SCORED_AT_ONCE]
        common = np.bitwise_count(a[i] & b[j]).sum(axis=1, dtype=np.int32)
        total = weights[0][i] + weights[1][j]
        keep[start : start + i.size] = (2 * common >= floor * total) & (total > 0)
    return keep


def block(a: Words, b: Words, bands: int = BANDS, band_bits: int = BAND_BITS,
          floor: float | None = None, limit: int | None = None) -> Blocked:
    """Distinct (left, right) index pairs that agree on every sampled bit of some band (and
    score at least `floor`); TooManyPairs past `limit` of them."""
    bits_a, bits_b = _bits(a), _bits(b)
    weights = (popcounts(a), popcounts(b))
    rng = np.random.default_rng(SEED)
    flat = np.zeros(0, dtype=np.int64)
    skipped = compared = 0
    for _ in range(bands):
        positions = rng.choice(bits_a.shape[1], size=band_bits, replace=False)
        left, right, crowded = _band_pairs(_band_keys(bits_a, positions),
                                           _band_keys(bits_b, positions))
        skipped, compared = skipped + crowded, compared + left.size
        if floor is not None:
            keep = _above(a, b, weights, (left, right), floor)
            left, right = left[keep], right[keep]
        flat = np.union1d(flat, left.astype(np.int64) * len(b) + right)
        if limit is not None and flat.size > limit:
            raise TooManyPairs(f"blocking finds more than {limit} candidate pairs")
    width = max(len(b), 1)
    return Blocked((flat // width).astype(np.intp), (flat % width).astype(np.intp), skipped,
                   compared)


def candidate_pairs(a: Words, b: Words, bands: int = BANDS,
                    band_bits: int = BAND_BITS) -> tuple[Index, Index]:
    """Distinct (left, right) index pairs of `block`, unbounded in number."""
    found = block(a, b, bands, band_bits)
    return found.left, found.right
