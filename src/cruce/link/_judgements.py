"""Human judgements on pairs: kept apart from the data, never overwritten, and inferred across.

A judgement says two records are the `same` person, `different` people, or that the reviewer is
`unsure`. Every judgement is appended with who, when and why; the latest one per pair counts.
Judgements override the model: `same` pairs are joined and `different` ones are never merged,
not even through a chain of model links (A=B, B=C, but A≠C keeps A and C apart).
"""

from __future__ import annotations

import csv
from collections.abc import Container, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from cruce._csvsafe import unsafe_cell
from cruce.errors import InvalidInput


class Verdict(StrEnum):
    SAME = "same"
    DIFFERENT = "different"
    UNSURE = "unsure"


@dataclass(frozen=True, slots=True)
class Judgement:
    left_id: str
    right_id: str
    verdict: Verdict
    user: str
    reason: str
    at: datetime | None = None

    @classmethod
    def make(cls, a: str, b: str, verdict: str, user: str, reason: str) -> Judgement:
        """Pairs are unordered: stored with the smaller id first."""
        if a == b:
            raise InvalidInput("a judgement needs two different records")
        try:
            value = Verdict(verdict)
        except ValueError:
            raise InvalidInput(
                f"verdict {verdict!r} is not one of same, different, unsure"
            ) from None
        if not reason.strip():
            raise InvalidInput("a judgement needs a reason (--why)")
        left, right = sorted((a, b))
        return cls(left, right, value, user, reason)


class Resolver:
    """Transitive inference over the current judgements (union-find with 'different' edges)."""

    def __init__(self, judgements: Iterable[Judgement] = ()) -> None:
        self.parent: dict[str, str] = {}
        self.apart: dict[str, set[str]] = {}  # root -> roots it must never join
        current: dict[tuple[str, str], Judgement] = {}
        for j in judgements:  # in time order: the latest per pair wins
            current[(j.left_id, j.right_id)] = j
        for j in current.values():
            if j.verdict is Verdict.SAME:
                self.union(j.left_id, j.right_id)
        for j in current.values():
            if j.verdict is Verdict.DIFFERENT:
                self.keep_apart(j.left_id, j.right_id)

    def find(self, x: str) -> str:
        root = x
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while self.parent.get(x, x) != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: str, b: str) -> bool:
        """Join a's and b's groups unless a judgement keeps them apart; True if joined."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if rb in self.apart.get(ra, ()):
            return False
        self.parent[rb] = ra
        for other in self.apart.pop(rb, set()):
            self.apart[other].discard(rb)
            self.apart[other].add(ra)
            self.apart.setdefault(ra, set()).add(other)
        return True

    def keep_apart(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            raise InvalidInput(
                f"{a} and {b} are already judged the same (directly or through "
                "others); change one of those judgements first"
            )
        self.apart.setdefault(ra, set()).add(rb)
        self.apart.setdefault(rb, set()).add(ra)

    def infer(self, a: str, b: str) -> Verdict | None:
        """What the judgements imply for a pair: same, different, or nothing (None)."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return Verdict.SAME
        if rb in self.apart.get(ra, ()):
            return Verdict.DIFFERENT
        return None


def cluster_with_judgements(
    ids: Iterable[str],
    pairs: Iterable[tuple[str, str, float]],
    judgements: Iterable[Judgement],
    threshold: float,
) -> dict[str, str]:
    """Clusters where judgements override the model: strongest model links first, never
    across a `different` judgement. Returns record id -> root id."""
    resolver = Resolver(list(judgements))
    for a, b, p in sorted(pairs, key=lambda t: -t[2]):
        if p >= threshold:
            resolver.union(a, b)
    return {i: resolver.find(i) for i in ids}


JUDGEMENT_COLUMNS = ("left_id", "right_id", "judgement")


def read_judgements(path: Path, known: Container[str] | None = None) -> list[Judgement]:
    """The judgements of a CSV file `left_id,right_id,judgement` (same, different, unsure),
    in file order (a later line on the same pair overrides an earlier one). Ids may be written
    as `write_pairs` neutralised them. Any fault stops with one line: FILE:LINE: field: why."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc.__class__.__name__})") from None
    if not rows:
        raise InvalidInput(f"{path}:1: header: empty file, expected "
                           f"{','.join(JUDGEMENT_COLUMNS)}")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in JUDGEMENT_COLUMNS if c not in header]
    if missing:
        raise InvalidInput(f"{path}:1: {missing[0]}: missing column (the header must name "
                           f"{','.join(JUDGEMENT_COLUMNS)})")
    where = {c: header.index(c) for c in JUDGEMENT_COLUMNS}
    out: list[Judgement] = []
    lines: list[int] = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            raise InvalidInput(f"{path}:{line}: {header[len(row)]}: missing value")
        left, right = (unsafe_cell(row[where[c]].strip()) for c in JUDGEMENT_COLUMNS[:2])
        verdict = row[where["judgement"]].strip().lower()
        for field, value in (("left_id", left), ("right_id", right)):
            if not value:
                raise InvalidInput(f"{path}:{line}: {field}: empty")
            if known is not None and value not in known:
                raise InvalidInput(f"{path}:{line}: {field}: no record with id {value!r}")
        if verdict not in {v.value for v in Verdict}:
            raise InvalidInput(f"{path}:{line}: judgement: {verdict!r} is not one of same, "
                               "different, unsure")
        if left == right:
            raise InvalidInput(f"{path}:{line}: right_id: the same record as left_id")
        out.append(Judgement.make(left, right, verdict, "file", f"{path.name}:{line}"))
        lines.append(line)
    _consistent(path, out, lines)
    return out


def _consistent(path: Path, judgements: list[Judgement], lines: list[int]) -> None:
    """Refuse judgements that contradict one another, naming the first line that does (found
    by bisection: the shortest contradicting prefix)."""
    try:
        Resolver(judgements)
        return
    except InvalidInput:
        pass
    good, bad = 0, len(judgements)  # Resolver(judgements[:good]) holds, [:bad] does not
    while bad - good > 1:
        middle = (good + bad) // 2
        try:
            Resolver(judgements[:middle])
            good = middle
        except InvalidInput:
            bad = middle
    try:
        Resolver(judgements[:bad])
    except InvalidInput as exc:
        raise InvalidInput(f"{path}:{lines[bad - 1]}: judgement: {exc}") from None
