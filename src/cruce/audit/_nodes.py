"""Reading tree hashes from tree.bin for proofs and roots, in as few disk reads as possible.

In the post-order file every complete subtree is one contiguous run of hashes. A proof's
hashes below level 8 lie inside the 256-leaf subtrees (16 KiB each) around the leaf and at the
right edge, so each such subtree is fetched with one read; hashes at level 8 and above
(1 in 256 of all nodes, ~13 MB at 10M entries) stay in memory once read. With the page cache
cold, a proof then costs a couple of disk reads instead of one per hash.
"""

from __future__ import annotations

from cruce.audit._files import FlatFile
from cruce.audit._merkle import HASH_SIZE, node_position, range_hash

BLOCK_LEVEL = 8
_BLOCK_NODES = (2 << BLOCK_LEVEL) - 1


class NodeStore:
    """tree.bin plus the in-memory copy of its upper levels (complete nodes never change)."""

    def __init__(self, tree: FlatFile) -> None:
        self.tree = tree
        self._upper: dict[tuple[int, int], bytes] = {}

    def node(self, level: int, index: int) -> bytes:
        if level < BLOCK_LEVEL:
            return self.tree.read(node_position(level, index))
        key = (level, index)
        found = self._upper.get(key)
        if found is None:
            found = self._upper[key] = self.tree.read(node_position(level, index))
        return found

    def reader(self, size: int) -> ProofReader:
        return ProofReader(self, size)


class ProofReader:
    """Serves one proof (or root) over the tree of `size` leaves, reading whole blocks."""

    def __init__(self, store: NodeStore, size: int) -> None:
        self.store, self.size = store, size
        self._blocks: dict[int, bytes] = {}

    def node(self, level: int, index: int) -> bytes:
        if level >= BLOCK_LEVEL:
            return self.store.node(level, index)
        first_leaf = index << level
        block = first_leaf >> BLOCK_LEVEL
        if (block + 1) << BLOCK_LEVEL > self.size:  # the right edge: no complete block yet
            return self.store.tree.read(node_position(level, index))
        start = node_position(0, block << BLOCK_LEVEL)
        data = self._blocks.get(block)
        if data is None:
            data = self._blocks[block] = self.store.tree.read(start, _BLOCK_NODES)
        offset = (node_position(level, index) - start) * HASH_SIZE
        return data[offset : offset + HASH_SIZE]

    def range(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for `start <= end <= size`."""
        return range_hash(start, end, self.node)
