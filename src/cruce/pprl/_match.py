"""Match two parties' encodings: Dice, blocking, a threshold from the data, one-to-one.

Identifier digests shared by two encodings raise the pair's score three quarters of the way
to 1 (an exact document match is strong evidence, but a mistyped or reused number must not
override the names alone; measured against halfway and against 0.99 on an evaluation world).
The threshold, unless given, is chosen from the data (choose_threshold: how high the records'
second-best scores go). One-to-one by a greedy assignment in score order
(as anonlink's solver): it works on the sparse candidates alone (linear_sum_assignment needs a
dense cost matrix of n x m), and where each record's best is the other's best, as for
nearly every true match above the threshold, it picks the same pairs.

Bounded (finding S8-8): at most PAIRS_PER_ENCODING x (left + right) pairs at or above the
floor are held, past that the run is refused (a file of near-identical filters, crafted or
broken, would otherwise make n x m of them); blocking also skips, and counts, crowded buckets.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cruce.pprl._blocking import block
from cruce.pprl._dice import Index, Scores, TooManyPairs, dice_all, dice_of_pairs
from cruce.pprl._encode import Encoded

FLOOR = 0.65  # pairs below are never kept: under any threshold the data gives (measured)
BLOCK_FROM = 200_000_000  # comparisons; below this every pair is compared (exact, fast)
THRESHOLD_BOUNDS = (0.6, 0.98)
MIN_SECONDS = 50
MAX_HOLDERS = 20  # records of one side holding one identifier digest (a family's shared ids)
PAIRS_PER_ENCODING = 200  # pairs >= FLOOR held per encoding of both sides (evaluation world
# gt x us, 4,345 x 8,165 with fakes: 21 unblocked; blocking keeps far fewer)


@dataclass
class Matches:
    """One-to-one pairs (indices into left and right) with scores, and the threshold used."""

    left: Index
    right: Index
    score: Scores
    threshold: float
    compared: int
    skipped_buckets: int = 0  # blocking buckets too crowded to be compared


def otsu(scores: Scores, bins: int = 200) -> float:
    """The split of a bimodal score sample that maximises the between-class variance."""
    if scores.size < 2 or float(scores.min()) == float(scores.max()):
        return float(scores.max()) if scores.size else THRESHOLD_BOUNDS[0]
    counts, edges = np.histogram(scores, bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    weight = np.cumsum(counts)
    mean = np.cumsum(counts * centres)
    total, grand = weight[-1], mean[-1]
    below, above = weight[:-1], total - weight[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (grand * below / total - mean[:-1]) ** 2 / (below * above / total)
    between = np.nan_to_num(between)
    return float(edges[1 + int(np.argmax(between))])


def _holders(side: Sequence[Sequence[str]]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = defaultdict(list)
    for j, digests in enumerate(side):
        for digest in digests:
            found[digest].append(j)
    return found


def _shared_ids(left: Sequence[Sequence[str]], right: Sequence[Sequence[str]],
                limit: int) -> set[tuple[int, int]]:
    """Pairs sharing an identifier digest; a digest held by more than MAX_HOLDERS records of
    a side identifies nobody and is ignored (else one digest on every line makes n x m)."""
    holders_l, holders_r = _holders(left), _holders(right)
    shared: set[tuple[int, int]] = set()
    for digest, rows in holders_l.items():
        rows_r = holders_r.get(digest, [])
        if not rows_r or len(rows) > MAX_HOLDERS or len(rows_r) > MAX_HOLDERS:
            continue
        shared.update((i, j) for i in rows for j in rows_r)
        if len(shared) > limit:
            raise TooManyPairs(f"more than {limit} pairs share an identifier")
    return shared


def pair_limit(a: Encoded, b: Encoded) -> int:
    return PAIRS_PER_ENCODING * (len(a.handles) + len(b.handles))


def scored_candidates(a: Encoded, b: Encoded, blocking: bool | None = None) -> tuple[
        Index, Index, Scores, int, int]:
    """Candidate pairs with scores (identifier bonus included), how many were compared and
    how many blocking buckets skipped; TooManyPairs past `pair_limit`."""
    compared, skipped, limit = len(a.handles) * len(b.handles), 0, pair_limit(a, b)
    if blocking is None:
        blocking = compared > BLOCK_FROM
    if blocking:
        blocked = block(a.words, b.words, floor=FLOOR, limit=limit)
        left, right, compared = blocked.left, blocked.right, blocked.compared
        score, skipped = dice_of_pairs(a.words, b.words, left, right), blocked.skipped_buckets
        keep = score >= FLOOR
        left, right, score = left[keep], right[keep], score[keep]
    else:
        found = dice_all(a.words, b.words, FLOOR, limit=limit)
        left, right, score = found.left, found.right, found.score
    return _with_identifiers(a, b, left, right, score, limit) + (compared, skipped)


def _with_identifiers(a: Encoded, b: Encoded, left: Index, right: Index,
                      score: Scores, limit: int) -> tuple[Index, Index, Scores]:
    shared = _shared_ids(a.ids, b.ids, limit)
    if not shared:
        return left, right, score
    known = set(zip(left.tolist(), right.tolist(), strict=True))
    extra = sorted(shared - known)
    if extra:
        add_l = np.array([p[0] for p in extra], dtype=np.intp)
        add_r = np.array([p[1] for p in extra], dtype=np.intp)
        left, right = np.concatenate([left, add_l]), np.concatenate([right, add_r])
        score = np.concatenate([score, dice_of_pairs(a.words, b.words, add_l, add_r)])
    bonus = np.array([(i, j) in shared for i, j in zip(left.tolist(), right.tolist(),
                                                       strict=True)], dtype=bool)
    score = np.where(bonus, 1 - (1 - score) / 4, score).astype(np.float32)
    return left, right, score


def second_best(left: Index, score: Scores, n_left: int) -> Scores:
    """Each left record's second-best score; 0 for a record without two candidates (its
    second best is under the floor)."""
    order = np.lexsort((-score, left))
    rows, ranked = left[order], score[order]
    first = np.r_[True, rows[1:] != rows[:-1]]
    second = np.r_[False, (rows[1:] == rows[:-1]) & first[:-1]]
    found = np.zeros(n_left, dtype=np.float32)
    found[rows[second]] = ranked[second]
    return found


def choose_threshold(left: Index, score: Scores, n_left: int) -> float:
    """The threshold of highest expected F1, estimated from the data alone.

    A left record's best score is either its true match's or, for a record with no
    counterpart, the best chance resemblance; a record's second-best score (one-to-one: never
    its match) samples that chance distribution C. Records with no counterpart are about twice
    those whose best is at most C's median; at a threshold t the expected false matches are
    their number times P(C >= t), the rest of the best scores above t are true. Otsu's split
    of the best scores when too few records have two candidates.
    """
    best = np.zeros(n_left, dtype=np.float32)
    np.maximum.at(best, left, score)
    seconds = np.sort(second_best(left, score, n_left))
    if np.count_nonzero(seconds) < MIN_SECONDS:
        found = otsu(best[best > 0])
    else:
        unmatched = min(2.0 * float(np.sum(best <= np.median(seconds))), float(n_left))
        grid = np.arange(THRESHOLD_BOUNDS[0], THRESHOLD_BOUNDS[1], 0.005)
        above = np.array([np.sum(best >= t) for t in grid], dtype=np.float64)
        chance = 1.0 - np.searchsorted(seconds, grid, side="left") / seconds.size
        true_hits = np.maximum(above - unmatched * chance, 0.0)
        f1 = 2 * true_hits / np.maximum(above + (n_left - unmatched), 1.0)
        found = float(grid[int(np.argmax(f1))])
    return min(max(found, THRESHOLD_BOUNDS[0]), THRESHOLD_BOUNDS[1])


def greedy_one_to_one(left: Index, right: Index, score: Scores) -> Index:
    """Indices of the pairs kept: in descending score, a pair whose two records are free."""
    order = np.lexsort((right, left, -score))  # ties broken by position: deterministic
    used_l: set[int] = set()
    used_r: set[int] = set()
    kept = []
    for k in order.tolist():
        i, j = int(left[k]), int(right[k])
        if i not in used_l and j not in used_r:
            used_l.add(i)
            used_r.add(j)
            kept.append(k)
    return np.array(kept, dtype=np.intp)


def match(a: Encoded, b: Encoded, threshold: float | None = None,
          blocking: bool | None = None) -> Matches:
    """One-to-one matches of a (left) against b (right), at or above the threshold."""
    left, right, score, compared, skipped = scored_candidates(a, b, blocking)
    if threshold is None:
        threshold = choose_threshold(left, score, len(a.handles))
    above = score >= threshold
    left, right, score = left[above], right[above], score[above]
    kept = greedy_one_to_one(left, right, score)
    return Matches(left[kept], right[kept], score[kept], threshold, compared, skipped)
