"""RFC 9162 §2.1 hashing and proofs, checked three ways: the published Certificate Transparency
test vectors, the RFC's own recursive definitions written out here, and pymerkle (an independent
implementation with the same 0x00/0x01 prefixes, configured for SHA-256)."""

from __future__ import annotations

import hashlib
from functools import cache

import pymerkle
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cruce.audit import EMPTY_ROOT, ConsistencyProof, InclusionProof, leaf_hash, node_hash
from cruce.audit import verify_consistency as verify_consistency_proof
from cruce.audit import verify_inclusion as verify_inclusion_proof
from cruce.audit._merkle import (
    Frontier,
    consistency_path,
    inclusion_path,
    node_count,
    node_position,
    range_hash,
    root_from_leaves,
    split_point,
    verify_consistency_path,
    verify_inclusion_path,
)

# Certificate Transparency reference data (RFC 6962 test vectors, as in transparency-dev/merkle).
CT_LEAVES = [
    bytes.fromhex(h)
    for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
              "606162636465666768696a6b6c6d6e6f"]
]  # fmt: skip
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = {
    (0, 8): ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    (5, 8): ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
}  # fmt: skip
CT_CONSISTENCY = {
    (2, 8): ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    (6, 8): ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
    (2, 5): ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"],
}  # fmt: skip

N = 64
ENTRIES = [hashlib.sha256(b"entry %d" % i).digest()[: i % 7 + 1] for i in range(N)]
LEAVES = [leaf_hash(e) for e in ENTRIES]


# -- the RFC's recursive definitions, transcribed literally ---------------------------------


@cache
def mth(start: int, end: int) -> bytes:
    """MTH(D[start:end]) of ENTRIES (RFC 9162 §2.1.1)."""
    n = end - start
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + ENTRIES[start]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + mth(start, start + k) + mth(start + k, end)).digest()


def rfc_path(m: int, start: int, end: int) -> list[bytes]:
    """PATH(m, D[start:end]) (RFC 9162 §2.1.3.1)."""
    n = end - start
    if n == 1:
        return []
    k = split_point(n)
    if m < k:
        return rfc_path(m, start, start + k) + [mth(start + k, end)]
    return rfc_path(m - k, start + k, end) + [mth(start, start + k)]


def rfc_subproof(m: int, start: int, end: int, b: bool) -> list[bytes]:
    """SUBPROOF(m, D[start:end], b) (RFC 9162 §2.1.4.1)."""
    n = end - start
    if m == n:
        return [] if b else [mth(start, end)]
    k = split_point(n)
    if m <= k:
        return rfc_subproof(m, start, start + k, b) + [mth(start + k, end)]
    return rfc_subproof(m - k, start + k, end, False) + [mth(start, start + k)]


@cache
def pymerkle_tree(size: int) -> pymerkle.InmemoryTree:
    tree = pymerkle.InmemoryTree(algorithm="sha256")  # security (0x00/0x01 prefixes) is on
    for entry in ENTRIES[:size]:
        tree.append_entry(entry)
    return tree


def stored_nodes(leaves: list[bytes]) -> list[bytes]:
    """The post-order node store the log keeps on disk, built the same way."""
    frontier, nodes = Frontier(), []
    for leaf in leaves:
        nodes.extend(frontier.push(leaf))
    return nodes


NODES = stored_nodes(LEAVES)


def from_store(start: int, end: int) -> bytes:
    return range_hash(start, end, lambda level, index: NODES[node_position(level, index)])


# -- known answers -----------------------------------------------------------------------


def test_empty_tree_hash_is_sha256_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == CT_ROOTS[0]
    assert root_from_leaves([]).hex() == CT_ROOTS[0]


def test_roots_match_the_certificate_transparency_vectors() -> None:
    leaves = [leaf_hash(e) for e in CT_LEAVES]
    for size in range(len(CT_LEAVES) + 1):
        assert root_from_leaves(leaves[:size]).hex() == CT_ROOTS[size]


@pytest.mark.parametrize(("index", "size"), sorted(CT_INCLUSION))
def test_inclusion_proofs_match_the_certificate_transparency_vectors(index, size) -> None:
    leaves = [leaf_hash(e) for e in CT_LEAVES]
    nodes = stored_nodes(leaves)
    path = inclusion_path(
        index, size, lambda a, b: range_hash(a, b, lambda lv, i: nodes[node_position(lv, i)])
    )
    assert [h.hex() for h in path] == CT_INCLUSION[(index, size)]
    assert verify_inclusion_path(leaves[index], index, size, path, bytes.fromhex(CT_ROOTS[size]))


@pytest.mark.parametrize(("old", "new"), sorted(CT_CONSISTENCY))
def test_consistency_proofs_match_the_certificate_transparency_vectors(old, new) -> None:
    leaves = [leaf_hash(e) for e in CT_LEAVES]
    nodes = stored_nodes(leaves)
    path = consistency_path(
        old, new, lambda a, b: range_hash(a, b, lambda lv, i: nodes[node_position(lv, i)])
    )
    assert [h.hex() for h in path] == CT_CONSISTENCY[(old, new)]
    old_root, new_root = bytes.fromhex(CT_ROOTS[old]), bytes.fromhex(CT_ROOTS[new])
    assert verify_consistency_path(old, new, old_root, new_root, path)


def test_leaf_and_node_hashes_use_the_rfc_prefixes() -> None:
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert (
        node_hash(b"L" * 32, b"R" * 32) == hashlib.sha256(b"\x01" + b"L" * 32 + b"R" * 32).digest()
    )


def test_split_is_the_largest_power_of_two_below_n_not_the_midpoint() -> None:
    expected = {2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 8: 4, 9: 8, 1000: 512, 1 << 40: 1 << 39}
    assert {n: split_point(n) for n in expected} == expected


def test_post_order_store_positions_and_counts() -> None:
    assert len(NODES) == node_count(N)
    for size in range(N + 1):
        assert node_count(size) == len(stored_nodes(LEAVES[:size]))
    for i in range(N):
        assert NODES[node_position(0, i)] == LEAVES[i]
    for level in range(7):
        for i in range(N >> level):
            assert NODES[node_position(level, i)] == mth(i << level, (i + 1) << level)


# -- every size up to 64, every index and every pair ------------------------------------------


@pytest.mark.parametrize("size", range(N + 1))
def test_root_agrees_with_the_rfc_definition_and_pymerkle(size) -> None:
    assert root_from_leaves(LEAVES[:size]) == mth(0, size)
    assert from_store(0, size) == mth(0, size)
    assert pymerkle_tree(size).get_root() == mth(0, size)


@pytest.mark.parametrize("size", range(1, N + 1))
def test_every_inclusion_proof_agrees_with_the_rfc_and_pymerkle_and_verifies(size) -> None:
    root = mth(0, size)
    for index in range(size):
        path = inclusion_path(index, size, from_store)
        assert path == rfc_path(index, 0, size)
        # pymerkle's path starts with the leaf itself and counts leaves from one.
        assert pymerkle_tree(size).prove_inclusion(index + 1, size).path[1:] == path
        assert verify_inclusion_path(LEAVES[index], index, size, path, root)
        assert not verify_inclusion_path(LEAVES[index], index, size, path, mth(0, size - 1))
        if size > 1:
            other = (index + 1) % size
            assert not verify_inclusion_path(LEAVES[index], other, size, path, root)
            assert not verify_inclusion_path(LEAVES[other], index, size, path, root)


@pytest.mark.parametrize("new", range(1, N + 1))
def test_every_consistency_proof_agrees_with_the_rfc_and_verifies(new) -> None:
    for old in range(new + 1):
        path = consistency_path(old, new, from_store)
        expected = [] if old in (0, new) else rfc_subproof(old, 0, new, True)
        assert path == expected
        assert verify_consistency_path(old, new, mth(0, old), mth(0, new), path)
        if 0 < old < new:
            # pymerkle orders its path differently (RFC 9162 leaves that open), but its proof
            # must resolve to the same two roots.
            pymerkle.verify_consistency(
                mth(0, old), mth(0, new), pymerkle_tree(new).prove_consistency(old, new)
            )
            assert not verify_consistency_path(old, new, mth(0, old), mth(0, new - 1), path)
            assert not verify_consistency_path(old, new, mth(0, old - 1), mth(0, new), path)


def test_degenerate_consistency_cases() -> None:
    r4, r5 = mth(0, 4), mth(0, 5)
    assert verify_consistency_path(4, 4, r4, r4, [])
    assert not verify_consistency_path(4, 4, r4, r5, [])
    assert not verify_consistency_path(4, 4, r4, r4, [r4])
    assert verify_consistency_path(0, 5, EMPTY_ROOT, r5, [])
    assert not verify_consistency_path(0, 5, EMPTY_ROOT, r5, [r4])
    assert not verify_consistency_path(5, 4, r5, r4, [])
    assert not verify_consistency_path(3, 5, mth(0, 3), r5, [])


def test_inclusion_path_rejects_an_index_outside_the_tree() -> None:
    with pytest.raises(ValueError):
        inclusion_path(5, 5, from_store)
    assert not verify_inclusion_path(LEAVES[0], 5, 5, [], mth(0, 5))


def test_proofs_round_trip_through_their_published_form() -> None:
    proof = InclusionProof(3, 9, tuple(inclusion_path(3, 9, from_store)))
    assert InclusionProof.from_dict(proof.to_dict()) == proof
    cproof = ConsistencyProof(3, 9, tuple(consistency_path(3, 9, from_store)))
    assert ConsistencyProof.from_dict(cproof.to_dict()) == cproof


# -- properties over larger trees -----------------------------------------------------------

BIG = [hashlib.sha256(b"big %d" % i).digest() for i in range(1500)]
BIG_NODES = stored_nodes(BIG)


def big(start: int, end: int) -> bytes:
    return range_hash(start, end, lambda level, index: BIG_NODES[node_position(level, index)])


def flip(path: tuple[bytes, ...], which: int, bit: int) -> tuple[bytes, ...]:
    i = which % len(path)
    damaged = bytearray(path[i])
    damaged[bit % 32] ^= 1 << (bit % 8)
    return path[:i] + (bytes(damaged),) + path[i + 1 :]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_random_consistency_proofs_verify_and_tampered_ones_fail(data) -> None:
    new = data.draw(st.integers(1, len(BIG)))
    old = data.draw(st.integers(0, new))
    proof = ConsistencyProof(old, new, tuple(consistency_path(old, new, big)))
    old_root, new_root = big(0, old), big(0, new)
    assert verify_consistency_proof(proof, old_root, new_root)
    if proof.path:
        which, bit = data.draw(st.integers(0, 99)), data.draw(st.integers(0, 255))
        tampered = ConsistencyProof(old, new, flip(proof.path, which, bit))
        assert not verify_consistency_proof(tampered, old_root, new_root)
        assert not verify_consistency_proof(
            ConsistencyProof(old, new, proof.path[:-1]), old_root, new_root
        )
        assert not verify_consistency_proof(
            ConsistencyProof(old, new, proof.path + (new_root,)), old_root, new_root
        )
    if 0 < old < new < len(BIG):
        longer = ConsistencyProof(old, new + 1, proof.path)
        assert not verify_consistency_proof(longer, old_root, big(0, new + 1))
        assert not verify_consistency_proof(proof, big(0, old - 1), new_root)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_random_inclusion_proofs_verify_and_tampered_ones_fail(data) -> None:
    size = data.draw(st.integers(1, len(BIG)))
    index = data.draw(st.integers(0, size - 1))
    proof = InclusionProof(index, size, tuple(inclusion_path(index, size, big)))
    root = big(0, size)
    assert verify_inclusion_proof(BIG[index], proof, root)
    if proof.path:
        which, bit = data.draw(st.integers(0, 99)), data.draw(st.integers(0, 255))
        assert not verify_inclusion_proof(
            BIG[index], InclusionProof(index, size, flip(proof.path, which, bit)), root
        )
        assert not verify_inclusion_proof(
            BIG[index], InclusionProof(index, size, proof.path[:-1]), root
        )
        wrong = data.draw(st.integers(0, size - 1).filter(lambda i: i != index))
        assert not verify_inclusion_proof(BIG[index], InclusionProof(wrong, size, proof.path), root)
    assert not verify_inclusion_proof(
        BIG[index], InclusionProof(index, size, proof.path + (root,)), root
    )
