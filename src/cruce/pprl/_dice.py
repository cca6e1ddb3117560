"""Dice similarity of Bloom filters, all pairs, vectorised with numpy's popcount.

The filters are rows of uint64 words. For a chunk of left rows at a time the AND of every
(left, right, word) triple is one numpy call over a (chunk, words, right) array, numpy's
`bitwise_count` (the CPU's popcount) a second, and the sum over words a third; the chunk is
sized so the array stays in cache. Only pairs at or above a floor leave the kernel, as
(left, right, score) arrays: there is no similarity table to leak or to hold in memory.

    >>> a = np.array([[0b1111, 0]], dtype=np.uint64); b = np.array([[0b0011, 0]], np.uint64)
    >>> [round(float(s), 4) for s in dice_pairs(a, b, 0.0)[2]]
    [0.6667]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cruce.pprl._bloom import Words

CHUNK = 16  # left rows per kernel call: measured fastest on 1024-bit filters (bench/pprl.py)
Index = npt.NDArray[np.intp]
Scores = npt.NDArray[np.float32]


@dataclass
class Candidates:
    """Scored pairs (indices into the two sides) and each left row's best score."""

    left: Index
    right: Index
    score: Scores
    best: Scores


def popcounts(words: Words) -> npt.NDArray[np.int32]:
    counts: npt.NDArray[np.int32] = np.bitwise_count(words).sum(axis=1, dtype=np.int32)
    return counts


def dice_pairs(a: Words, b: Words, floor: float) -> tuple[Index, Index, Scores]:
    """Every pair (i, j) with Dice(a[i], b[j]) >= floor; see `dice_all` for best scores too."""
    found = dice_all(a, b, floor)
    return found.left, found.right, found.score


def dice_all(a: Words, b: Words, floor: float, chunk: int = CHUNK) -> Candidates:
    """All pairs of a x b compared; those >= floor kept, and each left row's best kept score.

    The floor is applied to the integer counts first (2|a&b| >= floor (|a| + |b|) needs at
    least floor (|a| + min |b|) / 2 common bits): one pass over the chunk, and exact scores
    only for the few pairs that pass.
    """
    bt = np.ascontiguousarray(b.T)[None, :, :]  # (1, words, right)
    weight_a, weight_b = popcounts(a), popcounts(b)
    least_b = int(weight_b.min()) if len(weight_b) else 0
    need = np.ceil(floor * (weight_a + least_b) / 2).astype(np.uint16)
    words, n_right = b.shape[1], b.shape[0]
    anded = np.empty((chunk, words, n_right), dtype=np.uint64)
    counts = np.empty((chunk, words, n_right), dtype=np.uint8)
    common = np.empty((chunk, n_right), dtype=np.uint16)
    lefts, rights, shared = [], [], []
    for start in range(0, a.shape[0], chunk):
        rows = a[start : start + chunk]
        size = rows.shape[0]
        np.bitwise_and(rows[:, :, None], bt, out=anded[:size])
        np.bitwise_count(anded[:size], out=counts[:size])
        np.sum(counts[:size], axis=1, dtype=np.uint16, out=common[:size])
        i, j = np.nonzero(common[:size] >= need[start : start + size, None])
        lefts.append(i + start)
        rights.append(j)
        shared.append(common[i, j])
    return _scored(lefts, rights, shared, weight_a, weight_b, floor)


def dice_of_pairs(a: Words, b: Words, left: Index, right: Index) -> Scores:
    """Dice of the given pairs only (after blocking)."""
    common = np.bitwise_count(a[left] & b[right]).sum(axis=1, dtype=np.int32)
    total = popcounts(a)[left] + popcounts(b)[right]
    scores: Scores = np.divide(2 * common, total, out=np.zeros(len(left), np.float64),
                               where=total > 0).astype(np.float32)
    return scores


def _scored(lefts: list[Index], rights: list[Index], shared: list[npt.NDArray[np.uint16]],
            weight_a: npt.NDArray[np.int32], weight_b: npt.NDArray[np.int32],
            floor: float) -> Candidates:
    best = np.zeros(len(weight_a), dtype=np.float32)
    if not lefts:
        empty = np.zeros(0, dtype=np.intp)
        return Candidates(empty, empty, np.zeros(0, np.float32), best)
    left, right = np.concatenate(lefts), np.concatenate(rights)
    total = weight_a[left] + weight_b[right]
    score = np.divide(2 * np.concatenate(shared).astype(np.float64), total,
                      out=np.zeros(len(left)), where=total > 0).astype(np.float32)
    keep = score >= floor
    left, right, score = left[keep], right[keep], score[keep]
    np.maximum.at(best, left, score)
    return Candidates(left, right, score, best)
