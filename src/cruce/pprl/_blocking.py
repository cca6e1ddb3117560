"""Blocking that leaks no plaintext: Hamming LSH on the encodings themselves.

Each band samples `BAND_BITS` bit positions of the filters (chosen from a public seed: the
positions are no secret, the filters are what the linkage unit already holds); two records
are candidates when they agree on every sampled bit of at least one band. No extra blocking
key (a keyed surname digest, say, whose frequencies would give surnames away) leaves an owner.

A pair whose filters agree on a share s of their bits survives one band with probability
s**BAND_BITS: with 16 bits and 48 bands a pair at s = 0.9 is a candidate with probability
0.9999, a pair at 0.6 with 0.013.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from cruce.pprl._bloom import Words
from cruce.pprl._dice import Index

BAND_BITS = 16
BANDS = 48
SEED = 15  # public: issue 15


def _bits(words: Words) -> npt.NDArray[np.uint8]:
    return np.unpackbits(np.ascontiguousarray(words).view(np.uint8), axis=1)


def _band_keys(bits: npt.NDArray[np.uint8], positions: npt.NDArray[np.intp]) -> npt.NDArray[
        np.uint64]:
    weights = (np.uint64(1) << np.arange(positions.size, dtype=np.uint64))
    keys: npt.NDArray[np.uint64] = (bits[:, positions].astype(np.uint64) * weights).sum(
        axis=1, dtype=np.uint64)
    return keys


def _band_pairs(keys_a: npt.NDArray[np.uint64],
                keys_b: npt.NDArray[np.uint64]) -> tuple[Index, Index]:
    order = np.argsort(keys_b, kind="stable")
    sorted_b = keys_b[order]
    lo = np.searchsorted(sorted_b, keys_a, side="left")
    hi = np.searchsorted(sorted_b, keys_a, side="right")
    sizes = hi - lo
    left = np.repeat(np.arange(len(keys_a)), sizes)
    offsets = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return left, order[np.repeat(lo, sizes) + offsets]


def candidate_pairs(a: Words, b: Words, bands: int = BANDS,
                    band_bits: int = BAND_BITS) -> tuple[Index, Index]:
    """Distinct (left, right) index pairs that agree on every sampled bit of some band."""
    bits_a, bits_b = _bits(a), _bits(b)
    rng = np.random.default_rng(SEED)
    found = []
    for _ in range(bands):
        positions = rng.choice(bits_a.shape[1], size=band_bits, replace=False)
        left, right = _band_pairs(_band_keys(bits_a, positions), _band_keys(bits_b, positions))
        found.append(left.astype(np.int64) * len(b) + right)
    if not found:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty
    flat = np.unique(np.concatenate(found))
    return (flat // len(b)).astype(np.intp), (flat % len(b)).astype(np.intp)
