"""Combining nodes' counts by additive secret sharing: no node sees another's cells.

The protocol of one statistics round, among n >= 2 contributing nodes and a coordinator that
contributes no data (the compact's statistics secretariat):

1. Each node turns its counts into the codebook's vector x (`_trafficking`) and splits it into
   n shares, one per contributing node: n - 1 vectors drawn uniformly modulo 2**64 with
   `secrets`, and the last x minus their sum. Any n - 1 shares are uniform and independent of
   x: one share alone says nothing about any cell, small or large.
2. Each share is sealed to its holder (HPKE, the suite of `cruce.share`, bound to the round,
   sender and holder) and sent; a node keeps its own share.
3. Each node adds the n shares it holds, one from every contributor (a partial sum, uniform
   on its own), and sends it to the coordinator.
4. The coordinator adds the n partial sums: that is the combined vector, sum of every node's
   x, and nothing else. It suppresses the combined tables (primary and secondary, no cell
   under `min_cell`, `_suppress`) before anything is published.

Subtraction. Every contributor knows its own counts: from a published cell T it learns what
the others counted together, T - x_j. With two nodes that is the other's cell, exactly, and a
node can pad its own cells so that nothing is suppressed. So each node also shares, for every
cell of the tables (interior and margins), a one-hot bucket of its count: 1, 2, ...,
`min_cell - 1`, or `min_cell` and more. Summed, the coordinator holds for every cell how many
nodes counted 1, how many 2, ... — not which nodes — which is enough to know the smallest
T - x_j over the contributors (T minus the largest count; with one large count, the sum of the
small ones). A cell where that falls in 1 .. `min_cell - 1` is suppressed as a primary cell
(`force`), and secondary suppression then protects it like any other.

What each party learns: a node, nothing about another node's counts (shares are one-time
pads) beyond what the published table leaves, and never another's count under `min_cell` by
subtracting its own; the coordinator, the combined table and, per cell, how many nodes
counted each small value (not which node), never one node's vector; the public, the
suppressed combined table. A node that lies in its buckets is outside this model (the
compact's nodes are honest-but-curious: docs/statistics.md). Collusion of the coordinator
with all nodes but one would reveal that one's counts: the residual trust, stated in
docs/statistics.md. Everyone runs the same code on the same codebook (its digest travels
with every share), so a vector of another shape is refused.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from cruce.errors import InvalidInput
from cruce.share import Member, NodeKeys
from cruce.share._hpke import open_sealed, seal_to
from cruce.stats._suppress import Suppression, suppress_linked
from cruce.stats._suppress_grid import CellGrid, Key, Table, build_grid
from cruce.stats._trafficking import CODEBOOK, Codebook

MODULUS = 2**64
MAX_COUNT = 2**40  # a combined cell beyond this means shares that do not belong together
MAX_VALUES = 1_000_000  # values in one share: the codebook's cells and buckets, with room
INFO = b"cruce/stats/share/v1\x00"
MIN_CELL = 11  # the Counter Trafficking Data Collaborative's rule

RandomBelow = Callable[[int], int]


@dataclass(frozen=True)
class Share:
    """One node's share of its vector for one holder (or one holder's partial sum)."""

    round_id: str
    sender: str
    holder: str
    codebook: str  # the codebook's digest
    values: tuple[int, ...]

    def to_bytes(self) -> bytes:
        return json.dumps({"round_id": self.round_id, "sender": self.sender,
                           "holder": self.holder, "codebook": self.codebook,
                           "values": list(self.values)}, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Share:
        try:
            doc = json.loads(data)
            raw = doc["values"]
            if not isinstance(raw, list) or len(raw) > MAX_VALUES or any(
                    type(v) is not int for v in raw):
                raise TypeError("values")
            share = cls(str(doc["round_id"]), str(doc["sender"]), str(doc["holder"]),
                        str(doc["codebook"]), tuple(raw))
        except (ValueError, KeyError, TypeError, OverflowError, RecursionError):
            raise InvalidInput("a statistics share that is not a share (a list of at most "
                               f"{MAX_VALUES:,} whole numbers)") from None
        if any(not 0 <= v < MODULUS for v in share.values):
            raise InvalidInput(f"share from {share.sender}: values outside 0 .. 2**64 - 1")
        return share


def _info(round_id: str, sender: str, holder: str) -> bytes:
    return INFO + json.dumps([round_id, sender, holder]).encode()


def split(vector: Sequence[int], *, round_id: str, sender: str, holders: Sequence[str],
          codebook: Codebook = CODEBOOK, min_cell: int = MIN_CELL,
          randbelow: RandomBelow = secrets.randbelow) -> list[Share]:
    """The node's vector, with its counts' buckets (`with_buckets`), as one share per holder
    (the holders are the contributing nodes)."""
    if sender not in holders or len(set(holders)) != len(holders) or len(holders) < 2:
        raise InvalidInput("a round needs two or more distinct contributing nodes, the "
                           f"sender among them (holders: {', '.join(holders)})")
    if len(vector) != len(codebook.cells()) or any(v < 0 for v in vector):
        raise InvalidInput(f"{sender}: {len(vector)} counts for a codebook of "
                           f"{len(codebook.cells())} cells (or a negative count)")
    digest = codebook.digest()
    vector = with_buckets(vector, codebook, min_cell)
    masks = [[randbelow(MODULUS) for _ in vector] for _ in holders[:-1]]
    last = [(v - sum(mask[i] for mask in masks)) % MODULUS for i, v in enumerate(vector)]
    return [Share(round_id, sender, holder, digest, tuple(values))
            for holder, values in zip(holders, [*masks, last], strict=True)]


def seal_share(share: Share, holder: Member) -> bytes:
    """The share encrypted to its holder's directory key, bound to round, sender and holder."""
    if holder.id != share.holder:
        raise InvalidInput(f"the share is for {share.holder}, not {holder.id}")
    return seal_to(holder, share.to_bytes(), _info(share.round_id, share.sender, share.holder))


def open_share(sealed: bytes, keys: NodeKeys, *, round_id: str, sender: str, me: str) -> Share:
    """A share sealed to this node for `round_id` by `sender` (DecryptionFailed otherwise)."""
    share = Share.from_bytes(open_sealed(keys, sealed, _info(round_id, sender, me),
                                         f"the statistics share from {sender}"))
    if (share.round_id, share.sender, share.holder) != (round_id, sender, me):
        raise InvalidInput(f"share from {sender}: its header names another round or holder")
    return share


def add_shares(shares: Sequence[Share], *, me: str, senders: Sequence[str],
               codebook: Codebook = CODEBOOK) -> Share:
    """This holder's partial sum: exactly one share from every contributing node."""
    got = sorted(s.sender for s in shares)
    if got != sorted(senders):
        raise InvalidInput(f"{me} holds shares from {', '.join(got) or 'nobody'}; the round "
                           f"needs one from each of {', '.join(sorted(senders))}")
    _same_length(shares)
    rounds = {s.round_id for s in shares}
    if len(rounds) != 1 or any(s.holder != me or s.codebook != codebook.digest()
                               for s in shares):
        raise InvalidInput(f"{me}: shares of different rounds, holders or codebooks")
    total = [sum(column) % MODULUS for column in zip(*(s.values for s in shares), strict=True)]
    return Share(rounds.pop(), "+".join(got), me, codebook.digest(), tuple(total))


def _same_length(shares: Sequence[Share]) -> None:
    width = len(shares[0].values) if shares else 0
    for share in shares:
        if len(share.values) != width:
            raise InvalidInput(f"the share from {share.sender} holds {len(share.values)} values, "
                               f"another {width}: shares that do not belong together")


def combine(partials: Sequence[Share], *, coordinator: str, senders: Sequence[str],
            codebook: Codebook = CODEBOOK) -> list[int]:
    """The combined vector from every holder's partial sum (at the coordinator)."""
    if coordinator in senders:
        raise InvalidInput(f"the coordinator {coordinator} contributes counts itself: it would "
                           "learn the others' combined counts by subtracting its own")
    holders = sorted(p.holder for p in partials)
    if holders != sorted(senders) or any(p.codebook != codebook.digest() for p in partials):
        raise InvalidInput(f"partial sums from {', '.join(holders)}; the round needs one from "
                           f"each of {', '.join(sorted(senders))} on the same codebook")
    _same_length(partials)
    total = [sum(column) % MODULUS for column in zip(*(p.values for p in partials), strict=True)]
    if any(v > MAX_COUNT for v in total):
        raise InvalidInput("the partial sums do not add up to counts: shares of another round "
                           "or a node that sent different shares to different holders")
    return total


def _grid_of(vector: Sequence[int], codebook: Codebook) -> CellGrid:
    tables = codebook.to_tables(vector)
    return build_grid([Table(dims, tables[dims]) for dims in codebook.tables])


def with_buckets(vector: Sequence[int], codebook: Codebook = CODEBOOK,
                 min_cell: int = MIN_CELL) -> list[int]:
    """The node's counts, then for every cell of the tables (interior and margins, in the grid's
    order, the same at every node) a one-hot bucket of `min_cell` slots: counts 1 ..
    `min_cell - 1`, then `min_cell` and more (all zero for an empty cell). Summed over nodes, a
    bucket says how many nodes counted that much, not which."""
    buckets = [0] * (len(_grid_of([0] * len(vector), codebook).keys) * min_cell)
    for cell, value in enumerate(_grid_of(vector, codebook).values.tolist()):
        if value > 0:
            buckets[cell * min_cell + min(value, min_cell) - 1] = 1
    return [*vector, *buckets]


def subtractable(total: Sequence[int], codebook: Codebook = CODEBOOK,
                 min_cell: int = MIN_CELL) -> set[Key]:
    """The cells (grid keys) from which some contributor, subtracting its own count, would learn
    that the others counted 1 .. `min_cell - 1` together: the smallest of T - x_j is T minus the
    largest count, known from the summed buckets."""
    width = len(codebook.cells())
    grid = _grid_of(total[:width], codebook)
    buckets = total[width:]
    if len(buckets) != len(grid.keys) * min_cell:
        raise InvalidInput("the combined vector has no buckets for this codebook and minimum")
    found: set[Key] = set()
    for cell, key in enumerate(grid.keys):
        small = buckets[cell * min_cell:(cell + 1) * min_cell - 1]
        large = buckets[(cell + 1) * min_cell - 1]
        counted = sum(count * nodes for count, nodes in enumerate(small, 1))
        if large >= 2:
            continue  # every T - x_j includes another count of min_cell or more
        if large == 1:
            rest = counted  # the large count's node learns the small ones' sum
        else:
            if counted != int(grid.values[cell]):
                raise InvalidInput("the buckets do not add up to the counts: shares that do "
                                   "not belong together")
            rest = counted - max((c for c, nodes in enumerate(small, 1) if nodes), default=0)
        if 0 < rest < min_cell:
            found.add(key)
    return found


def publish(total: Sequence[int], *, min_cell: int = MIN_CELL, codebook: Codebook = CODEBOOK
            ) -> list[Suppression]:
    """The combined tables as released: every table of the codebook, suppressed together, with
    every cell a contributor could subtract down to another's small count withheld too."""
    width = len(codebook.cells())
    tables = codebook.to_tables(total[:width])
    # The LP method, whatever the size: on these sparse tables the hypercube method finds no
    # protecting hypercube and withholds whole tables (112 victims: 2 cells published, against
    # 37 and the grand total by LP, in about 3 s).
    return suppress_linked([Table(dims, tables[dims]) for dims in codebook.tables],
                           min_cell=min_cell, method="lp",
                           force=subtractable(total, codebook, min_cell))


def run_round(vectors: Mapping[str, Sequence[int]], *, round_id: str, coordinator: str,
              keys: Mapping[str, NodeKeys], members: Mapping[str, Member],
              min_cell: int = MIN_CELL, codebook: Codebook = CODEBOOK) -> list[Suppression]:
    """One whole round in one process, every share sealed and opened as between nodes (the
    demo, the tests and the benchmark; nodes on a network send the same sealed bytes)."""
    senders = sorted(vectors)
    held: dict[str, list[Share]] = {node: [] for node in senders}
    for sender in senders:
        for share in split(vectors[sender], round_id=round_id, sender=sender, holders=senders,
                           codebook=codebook, min_cell=min_cell):
            sealed = seal_share(share, members[share.holder])
            held[share.holder].append(open_share(sealed, keys[share.holder], round_id=round_id,
                                                 sender=sender, me=share.holder))
    partials = [add_shares(held[node], me=node, senders=senders, codebook=codebook)
                for node in senders]
    total = combine(partials, coordinator=coordinator, senders=senders, codebook=codebook)
    return publish(total, min_cell=min_cell, codebook=codebook)


__all__ = ["MIN_CELL", "MODULUS", "Share", "add_shares", "combine", "open_share", "publish",
           "run_round", "seal_share", "split", "subtractable", "with_buckets"]
