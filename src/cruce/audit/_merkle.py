"""Merkle tree hashing and proofs exactly as RFC 9162 §2.1 (Certificate Transparency v2).

Pure functions over hashes: no files, no clock, no keys. Proof generation takes a callable that
returns the Merkle Tree Hash (MTH) of a leaf range, so the same code serves the in-memory
reference in the tests and the on-disk node store of the log.

Node storage layout used by the log: every complete subtree hash is kept in *post-order*
(leaf, leaf, parent, leaf, leaf, parent, grandparent, ...). Appending a leaf then only ever
appends to the store, and the node covering leaves [i * 2**level, (i + 1) * 2**level) sits at a
position computable in O(1) (`node_position`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256

# MTH(D[start:end]) for a leaf range; proof generation asks only for ranges of the RFC recursion.
RangeHash = Callable[[int, int], bytes]
# Hash of the complete subtree (level, index): leaves [index << level, (index + 1) << level).
NodeHash = Callable[[int, int], bytes]


def leaf_hash(entry: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d): the prefix keeps leaves and nodes from colliding."""
    return _sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return _sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than n (n >= 2): where RFC 9162 splits D[n]."""
    return 1 << ((n - 1).bit_length() - 1)


def node_position(level: int, index: int) -> int:
    """Post-order position of a complete subtree's hash in the node store."""
    first_leaf = index << level
    return 2 * first_leaf - first_leaf.bit_count() + (2 << level) - 2


def node_count(size: int) -> int:
    """How many complete-subtree hashes a tree of `size` leaves stores (2n - popcount(n))."""
    return 2 * size - size.bit_count()


def fold_peaks(peaks: Sequence[bytes]) -> bytes:
    """Root of a tree from its complete subtrees left to right (largest first): a right fold."""
    if not peaks:
        return EMPTY_ROOT
    result = peaks[-1]
    for peak in reversed(peaks[:-1]):
        result = _sha256(b"\x01" + peak + result).digest()
    return result


def range_hash(start: int, end: int, node: NodeHash) -> bytes:
    """MTH(D[start:end]) from stored complete subtrees.

    Every range in the RFC recursion decomposes, largest first, into subtrees aligned on their
    own width, so O(log n) stored hashes suffice.
    """
    peaks = []
    while start < end:
        level = (end - start).bit_length() - 1
        while start & ((1 << level) - 1):  # keep the piece aligned on its width
            level -= 1
        peaks.append(node(level, start >> level))
        start += 1 << level
    return fold_peaks(peaks)


def root_from_leaves(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of a whole list of leaf hashes, in O(n) hashing."""
    frontier = Frontier()
    for leaf in leaf_hashes:
        frontier.push(leaf)
    return frontier.root()


class Frontier:
    """The hashes of the maximal complete subtrees of a growing tree (its 'peaks').

    `push` returns the new post-order nodes (the leaf, then each parent it completes), which is
    exactly what the node store appends.
    """

    __slots__ = ("peaks", "size")

    def __init__(self, size: int = 0, peaks: Sequence[bytes] = ()) -> None:
        if len(peaks) != size.bit_count():
            raise ValueError("a frontier holds one peak per set bit of the tree size")
        self.size = size
        self.peaks = list(peaks)

    @classmethod
    def load(cls, size: int, node: NodeHash) -> Frontier:
        """The frontier of an existing tree, read from its node store."""
        peaks = []
        start = 0
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                peaks.append(node(level, start >> level))
                start += 1 << level
        return cls(size, peaks)

    def push(self, leaf: bytes) -> list[bytes]:
        nodes = [leaf]
        merges = (self.size ^ (self.size + 1)).bit_length() - 1  # trailing ones of size
        peaks = self.peaks
        for _ in range(merges):
            leaf = _sha256(b"\x01" + peaks.pop() + leaf).digest()
            nodes.append(leaf)
        peaks.append(leaf)
        self.size += 1
        return nodes

    def extend(self, leaves: list[bytes], out: bytearray) -> None:
        """Push every leaf, appending the new post-order nodes to `out` (the hot path)."""
        peaks, size, sha = self.peaks, self.size, _sha256
        for leaf in leaves:
            out += leaf
            node, merges = leaf, size
            while merges & 1:  # one merge per trailing one bit of the old size
                node = sha(b"\x01" + peaks.pop() + node).digest()
                out += node
                merges >>= 1
            peaks.append(node)
            size += 1
        self.size = size

    def root(self) -> bytes:
        return fold_peaks(self.peaks)

    def peaks_digest(self) -> bytes:
        """One hash over the peaks: binds the whole tree as the root does, for a fraction of
        its cost (the writer journal takes one after every batch)."""
        return _sha256(b"".join(self.peaks)).digest()


def _hex_path(path: tuple[bytes, ...]) -> list[str]:
    return [h.hex() for h in path]


def _path_from_hex(items: Any) -> tuple[bytes, ...]:
    path = tuple(bytes.fromhex(str(h)) for h in items)
    if any(len(h) != HASH_SIZE for h in path):
        raise ValueError("every proof hash must be 32 bytes")
    return path


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """RFC 9162 inclusion proof: the audit path of leaf `index` in the tree of `tree_size`."""

    index: int
    tree_size: int
    path: tuple[bytes, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "tree_size": self.tree_size, "path": _hex_path(self.path)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InclusionProof:
        return cls(int(data["index"]), int(data["tree_size"]), _path_from_hex(data["path"]))


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    """RFC 9162 consistency proof: the tree of `old_size` is a prefix of the one of `new_size`."""

    old_size: int
    new_size: int
    path: tuple[bytes, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"old_size": self.old_size, "new_size": self.new_size, "path": _hex_path(self.path)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConsistencyProof:
        return cls(int(data["old_size"]), int(data["new_size"]), _path_from_hex(data["path"]))


def inclusion_path(index: int, size: int, subtree: RangeHash) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1, from the leaf upwards."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    path = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            path.append(subtree(start + k, end))
            end = start + k
        else:
            path.append(subtree(start, start + k))
            start += k
    path.reverse()
    return path


def consistency_path(old_size: int, new_size: int, subtree: RangeHash) -> list[bytes]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of RFC 9162 §2.1.4.1 (empty if m is 0 or n)."""
    if not 0 <= old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to size {new_size}")
    if old_size in (0, new_size):
        return []
    path = []
    start, end, m, whole = 0, new_size, old_size, True
    while m != end - start:
        k = split_point(end - start)
        if m <= k:
            path.append(subtree(start + k, end))
            end = start + k
        else:
            path.append(subtree(start, start + k))
            start, m, whole = start + k, m - k, False
    if not whole:  # the old tree is not a complete subtree of the new one: give its last piece
        path.append(subtree(start, end))
    path.reverse()
    return path


def verify_inclusion_path(
    leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2, step by step."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency_path(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, path: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2, with the trivial cases (old size 0 or equal sizes) made explicit."""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not path and old_root == new_root
    if old_size == 0:
        return not path
    if not path:
        return False
    items = list(path)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is a node of the new tree
        items.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = items[0]
    for c in items[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


def verify_inclusion(leaf: bytes, proof: InclusionProof, root: bytes) -> bool:
    """Does `proof` show the leaf hash `leaf` at `proof.index` in the tree with `root`?"""
    return verify_inclusion_path(leaf, proof.index, proof.tree_size, proof.path, root)


def verify_consistency(proof: ConsistencyProof, old_root: bytes, new_root: bytes) -> bool:
    """Does `proof` show the tree with `old_root` is a prefix of the tree with `new_root`?"""
    return verify_consistency_path(proof.old_size, proof.new_size, old_root, new_root, proof.path)
