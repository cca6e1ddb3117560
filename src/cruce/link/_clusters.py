"""Stable canonical ids: a cluster keeps its id across runs while it keeps most of its members."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict


def canonical_ids(groups: dict[str, str], previous: dict[str, str]) -> dict[str, str]:
    """Map record id -> canonical id.

    `groups` maps record id -> any group key of this run; `previous` the last run's record id ->
    canonical id. Each earlier canonical id goes to the new group holding most of its members
    (ties: the larger group, then the smaller id); a group that inherits none gets a new id
    derived from its smallest member, so the same data always gives the same ids.
    """
    members: dict[str, list[str]] = defaultdict(list)
    for record, group in groups.items():
        members[group].append(record)
    claims: list[tuple[int, int, str, str]] = []  # (-overlap, -size, old id, group)
    for group, records in members.items():
        overlap = Counter(previous[r] for r in records if r in previous)
        for old, count in overlap.items():
            claims.append((-count, -len(records), old, group))
    assigned: dict[str, str] = {}
    taken: set[str] = set()
    for _, _, old, group in sorted(claims):
        if group not in assigned and old not in taken:
            assigned[group] = old
            taken.add(old)
    out: dict[str, str] = {}
    for group, records in members.items():
        cid = assigned.get(group) or new_canonical_id(min(records))
        for record in records:
            out[record] = cid
    return out


def new_canonical_id(seed: str) -> str:
    return "cr-" + hashlib.sha1(seed.encode("utf-8")).hexdigest()[:20]
