"""The durable log: appending, reopening, proofs served from disk, and the CLI's queries."""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime, timedelta

import pytest
from audit_support import ACTOR, WHY, make_event, public_key

from cruce.audit import (
    AccessEvent,
    AuditLog,
    Operation,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
    verify_log,
)
from cruce.audit._merkle import root_from_leaves
from cruce.errors import Conflict, CruceError, InvalidInput


def test_append_returns_consecutive_indices_that_survive_reopening(log_dir) -> None:
    with AuditLog.open(log_dir) as log:
        assert [log.append(make_event(i)) for i in range(5)] == list(range(5))
        assert log.append_many([make_event(i) for i in range(5, 9)]) == range(5, 9)
    with AuditLog.open(log_dir) as log:
        assert log.size == 9
        assert log.append(make_event(9)) == 9
        assert [entry.event["details"]["n"] for entry in log.iter_events()] == list(range(10))


def test_entries_are_the_canonical_event_encoding_and_the_root_is_their_merkle_root(
    log_dir,
) -> None:
    events = [make_event(i) for i in range(7)]
    with AuditLog.open(log_dir) as log:
        log.append_many(events)
        assert log.entry(3).raw == events[3].encode()
        assert log.head().root_hash == root_from_leaves([leaf_hash(e.encode()) for e in events])


def test_concurrent_writers_each_get_their_own_index(log_dir) -> None:
    results: dict[int, int] = {}

    def writer(base: int) -> None:
        for i in range(base, base + 100):
            results[i] = log.append(make_event(i))

    with AuditLog.open(log_dir) as log:
        threads = [threading.Thread(target=writer, args=(t * 100,)) for t in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results.values()) == list(range(800))
        for n, index in list(results.items())[::37]:
            assert log.entry(index).event["details"]["n"] == n
    assert verify_log(log_dir, public_key(log_dir)).tree_size == 800


def test_inclusion_and_consistency_proofs_from_disk_verify_against_signed_heads(log_dir) -> None:
    with AuditLog.open(log_dir) as log:
        log.append_many([make_event(i) for i in range(13)])
        old = log.head()
        log.append_many([make_event(i) for i in range(13, 40)])
        new = log.head()
        for index in range(40):
            proof = log.prove_inclusion(index)
            assert proof.tree_size == 40
            assert verify_inclusion(leaf_hash(log.entry(index).raw), proof, new.root_hash)
        proof13 = log.prove_inclusion(5, 13)
        assert verify_inclusion(log.leaf_hash(5), proof13, old.root_hash)
        consistency = log.prove_consistency(13)
        assert verify_consistency(consistency, old.root_hash, new.root_hash)
        assert log.root(13) == old.root_hash
        with pytest.raises(InvalidInput):
            log.prove_inclusion(40)
        with pytest.raises(InvalidInput):
            log.prove_consistency(41)


def test_who_saw_lists_consultations_and_disclosures_of_that_record_only(log_dir) -> None:
    def ev(op: Operation, *ids: str) -> AccessEvent:
        return AccessEvent(op, ACTOR, WHY, record_ids=ids, recipients=("sv_pnc",))

    with AuditLog.open(log_dir) as log:
        log.append(ev(Operation.COLLECTION, "r1", "r2"))
        log.append(ev(Operation.CONSULTATION, "r1"))
        log.append(ev(Operation.CONSULTATION, "r10"))  # a longer id containing "r1"
        log.append(ev(Operation.DISCLOSURE, "r2", "r1"))
        log.append(ev(Operation.ALTERATION, "r1"))
        log.append(ev(Operation.CONSULTATION, 'odd "quoted" ñ id'))
        assert [e.index for e in log.who_saw("r1")] == [1, 3]
        assert [e.index for e in log.who_saw("r2")] == [3]
        assert [e.index for e in log.who_saw('odd "quoted" ñ id')] == [5]
        assert log.who_saw("nobody") == []


def test_iter_events_since_filters_on_event_time(log_dir) -> None:
    start = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    with AuditLog.open(log_dir) as log:
        for minutes in (0, 5, 10, 15):
            at = start + timedelta(minutes=minutes)
            log.append(AccessEvent(Operation.CONSULTATION, ACTOR, WHY, record_ids=("x",), at=at))
        since = start + timedelta(minutes=5)
        assert [e.index for e in log.iter_events(since)] == [1, 2, 3]
        assert [e.at for e in log.iter_events(since)][0] == since
        assert len(list(log.iter_events())) == 4
        lines = [json.dumps(e.event) for e in log.iter_events(since)]
        assert json.loads(lines[0])["op"] == "consultation"
        with pytest.raises(ValueError):
            list(log.iter_events(datetime(2025, 1, 1)))


def test_a_second_process_cannot_open_the_same_log_for_writing(log_dir) -> None:
    with AuditLog.open(log_dir), pytest.raises(Conflict):
        AuditLog.open(log_dir)


def test_private_key_is_owner_only_and_never_appears_in_messages(log_dir) -> None:
    with AuditLog.open(log_dir) as log:
        log.append(make_event(1))
    assert os.stat(log_dir / "log-key.pem").st_mode & 0o777 == 0o600
    secret = (log_dir / "log-key.pem").read_text()
    assert "PRIVATE KEY" in secret
    body = "".join(secret.splitlines()[1:-1])
    with AuditLog.open(log_dir) as log:
        assert body not in repr(log.__dict__)
        assert body not in repr(log.head())


def test_appending_to_a_closed_log_fails(log_dir) -> None:
    log = AuditLog.open(log_dir)
    log.close()
    log.close()  # closing twice is harmless
    with pytest.raises(CruceError):
        log.append(make_event(0))


def test_entries_left_unsigned_get_a_head_within_the_interval(log_dir) -> None:
    with AuditLog.open(log_dir, head_interval=0.05) as log:
        log.append(make_event(0))
        for _ in range(100):
            if log.heads()[-1].tree_size == 1:
                break
            threading.Event().wait(0.02)
        assert log.heads()[-1].tree_size == 1


def test_the_log_is_an_access_sink_for_the_store(log_dir) -> None:
    with AuditLog.open(log_dir) as log:
        log.emit(make_event(0))
        assert log.size == 1


def test_a_failed_sync_fails_the_append_and_every_later_one_until_reopened(
    log_dir, monkeypatch
) -> None:
    import cruce.audit._log as log_module

    with AuditLog.open(log_dir) as log:
        log.append(make_event(0))

        def broken(fd: int) -> None:
            raise OSError(5, "Input/output error")

        monkeypatch.setattr(log_module, "fdatasync", broken)
        with pytest.raises(CruceError, match="write failed"):
            log.append(make_event(1))
        monkeypatch.undo()
        with pytest.raises(CruceError, match="reopen"):
            log.append(make_event(2))
    with AuditLog.open(log_dir) as log:  # the unsynced write is not trusted: it is re-read
        assert log.append(make_event(3)) == log.size - 1
    verify_log(log_dir, public_key(log_dir))


def test_proofs_spanning_whole_256_leaf_blocks_of_tree_bin_verify(log_dir) -> None:
    events = [make_event(i) for i in range(700)]
    leaves = [leaf_hash(e.encode()) for e in events]
    with AuditLog.open(log_dir, head_interval=3600) as log:
        log.append_many(events)
        for size in (1, 255, 256, 257, 511, 512, 513, 700):
            root = root_from_leaves(leaves[:size])
            assert log.root(size) == root
            for index in sorted({0, 1, 255, 256, 300, 511, 512, size - 1} & set(range(size))):
                proof = log.prove_inclusion(index, size)
                assert verify_inclusion(leaves[index], proof, root)
            for old in range(0, size + 1, 37):
                proof = log.prove_consistency(old, size)
                assert verify_consistency(proof, root_from_leaves(leaves[:old]), root)
