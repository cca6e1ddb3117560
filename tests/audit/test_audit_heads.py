"""Signed tree heads, and cross-checking a peer's heads so a rewritten history is caught."""

from __future__ import annotations

import shutil

import pytest
from audit_support import make_event, public_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cruce.audit import (
    AuditLog,
    ConsistencyProof,
    SignedTreeHead,
    check_peer_head,
    load_public_key,
)
from cruce.errors import AuditChainBroken, SignatureInvalid


def test_a_head_verifies_with_only_the_public_key_in_any_published_form(log_dir) -> None:
    with AuditLog.open(log_dir) as log:
        log.append(make_event(1))
        head = log.head()
    pem = public_key(log_dir)
    raw = load_public_key(pem).public_bytes_raw()
    for key in (pem, pem.decode(), raw, log_dir / "log-key.pub.pem", load_public_key(raw)):
        assert head.verify(key)
    published = SignedTreeHead.from_dict(head.to_dict())
    assert published == head
    assert SignedTreeHead.from_bytes(head.to_bytes()) == head
    assert head.tree_size == 1


def test_a_head_signed_by_another_key_or_altered_is_rejected(log_dir) -> None:
    with AuditLog.open(log_dir) as log:
        log.append(make_event(1))
        head = log.head()
    forged = SignedTreeHead.sign(Ed25519PrivateKey.generate(), 1, head.root_hash, head.timestamp)
    assert not forged.verify(public_key(log_dir))
    altered = SignedTreeHead(2, head.root_hash, head.timestamp, head.signature)
    assert not altered.verify(public_key(log_dir))
    assert not SignedTreeHead(1, head.root_hash, head.timestamp + 1, head.signature).verify(
        public_key(log_dir)
    )


def test_heads_only_grow_and_a_new_one_is_signed_only_when_entries_were_added(log_dir) -> None:
    with AuditLog.open(log_dir, head_interval=3600) as log:
        log.append(make_event(1))
        first = log.head()
        assert log.head() == first
        log.append(make_event(2))
        second = log.head()
        assert (first.tree_size, second.tree_size) == (1, 2)
        assert second.timestamp >= first.timestamp
        assert log.heads()[-2:] == [first, second]


def test_check_peer_head_accepts_an_honest_extension(log_dir) -> None:
    with AuditLog.open(log_dir) as log:
        log.append_many([make_event(i) for i in range(5)])
        old = log.head()
        log.append_many([make_event(i) for i in range(5, 12)])
        new = log.head()
        proof = log.prove_consistency(old.tree_size, new.tree_size)
    check_peer_head(public_key(log_dir), old, new, proof)
    check_peer_head(public_key(log_dir), new, new, ConsistencyProof(12, 12, ()))


def test_check_peer_head_detects_a_rewritten_history(log_dir, tmp_path) -> None:
    """The peer re-creates its log with the same key but a changed entry 2: any node that
    kept the peer's earlier head rejects every later head of the rewritten log."""
    with AuditLog.open(log_dir) as log:
        log.append_many([make_event(i) for i in range(5)])
        seen = log.head()
    key_files = [log_dir / "log-key.pem", log_dir / "log-key.pub.pem"]
    rewritten = tmp_path / "rewritten.audit"
    rewritten.mkdir()
    for f in key_files:
        shutil.copy(f, rewritten / f.name)
    with AuditLog.open(rewritten) as log:
        events = [make_event(i) for i in range(9)]
        events[2] = make_event(200)
        log.append_many(events[:5])
        fork = log.head()
        log.append_many(events[5:])
        new = log.head()
        honest_looking = log.prove_consistency(5)
    key = public_key(log_dir)
    assert new.verify(key) and fork.verify(key)  # validly signed: only consistency catches it
    with pytest.raises(AuditChainBroken, match="rewritten"):
        check_peer_head(key, seen, new, honest_looking)
    with pytest.raises(AuditChainBroken, match="rewritten"):
        check_peer_head(key, seen, fork, ConsistencyProof(5, 5, ()))


def test_check_peer_head_rejects_bad_signatures_shrinking_logs_and_mismatched_proofs(
    log_dir,
) -> None:
    with AuditLog.open(log_dir) as log:
        log.append_many([make_event(i) for i in range(6)])
        old = log.head()
        log.append_many([make_event(i) for i in range(6, 10)])
        new = log.head()
        proof = log.prove_consistency(6)
        other = log.prove_consistency(5)
    key = public_key(log_dir)
    forged = SignedTreeHead.sign(Ed25519PrivateKey.generate(), 10, new.root_hash, new.timestamp)
    with pytest.raises(SignatureInvalid):
        check_peer_head(key, old, forged, proof)
    with pytest.raises(AuditChainBroken, match="shrank"):
        check_peer_head(key, new, old, proof)
    with pytest.raises(AuditChainBroken, match="sizes"):
        check_peer_head(key, old, new, other)
    fork = SignedTreeHead.sign(Ed25519PrivateKey.generate(), 6, b"\x00" * 32, old.timestamp)
    with pytest.raises(SignatureInvalid):
        check_peer_head(key, fork, new, proof)


def test_a_log_can_be_signed_with_a_key_kept_elsewhere_and_verified_with_its_public_half(
    log_dir, tmp_path
) -> None:
    from cruce.audit import verify_log
    from cruce.errors import InvalidInput, NotFound

    node_key = Ed25519PrivateKey.generate()
    with AuditLog.open(log_dir, private_key=node_key) as log:
        log.append(make_event(1))
    assert not (log_dir / "log-key.pem").exists()
    assert verify_log(log_dir, node_key.public_key()).tree_size == 1
    assert load_public_key(public_key(log_dir)).public_bytes_raw() == (
        node_key.public_key().public_bytes_raw()
    )
    with pytest.raises(InvalidInput, match="another key"):
        AuditLog.open(log_dir, private_key=Ed25519PrivateKey.generate())
    with pytest.raises(NotFound):
        verify_log(tmp_path / "nothing-here", node_key.public_key())
