"""An erasure and its notices are one transaction, and a node without the compact directory
queues the notices all the same (issue 10 #9): before, it answered "0 recipients notified"
and its recipients kept the record for good."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cruce import Node
from cruce._why import justification
from cruce.share._notice import open_notice

WHY = justification("gangs_organized_crime", "HN-2026-0042", "wrongly recorded")


def lines(path: Path, *ids: str) -> Path:
    envelope = {"agency": "hn_police", "dataset": "personas", "purpose": "gangs_organized_crime",
                "handling_code": "H2", "tlp": "AMBER", "source_reliability": "B",
                "information_accuracy": "2", "retain_until": "2031-01-01",
                "subject_category": "suspect"}
    path.write_text("".join(json.dumps({"id": i, "schema": "Person",
                                        "properties": {"name": [f"Persona {i}"]},
                                        "envelope": envelope}) + "\n" for i in ids),
                    encoding="utf-8")
    return path


@pytest.fixture()
def shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Node:
    """hn's node, outside the compact for now, holding records it once disclosed to gt."""
    monkeypatch.delenv("CRUCE_DIRECTORY", raising=False)
    monkeypatch.delenv("CRUCE_AUTHORITY_KEY", raising=False)
    monkeypatch.delenv("CRUCE_KEYS_DIR", raising=False)
    node = Node.open(tmp_path / "hn.duckdb", agency="hn_police", user="hn.supervisor",
                     role="supervisor")
    node.ingest(lines(tmp_path / "hn.jsonl", "HN-1", "HN-2", "HN-3"))
    node.store.note_disclosed(["HN-1", "HN-3"], "gt_police", "share-1")
    yield node
    node.close()


def test_without_the_directory_the_notice_is_queued_with_the_erasure(shared: Node) -> None:
    assert not shared.is_sharing
    done = shared.erase(["HN-1"], WHY)
    assert done == {"erased": 1, "notices": 1}
    [waiting] = shared.store.outbox_waiting()
    assert (waiting.recipient, waiting.kind) == ("gt_police", "erasure")
    assert not shared.store.held(["HN-1"])


def test_a_notice_that_cannot_be_queued_undoes_the_erasure(
    shared: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> bytes:
        raise OSError("disk full")

    monkeypatch.setattr("cruce.share._erasure.seal_notice", broken)
    with pytest.raises(OSError):
        shared.erase(["HN-3"], WHY)
    assert set(shared.store.held(["HN-3"])) == {"HN-3"}  # nothing half-done
    assert shared.store.outbox_waiting() == []


def test_the_queued_notice_is_signed_by_the_nodes_own_keys(shared: Node, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from cruce.share import Directory, Member, NodeKeys

    shared.erase(["HN-1", "HN-3"], WHY)
    [waiting] = shared.store.outbox_waiting()
    keys = NodeKeys.load(tmp_path / "hn.duckdb.keys")
    now, pub = datetime.now(UTC), keys.public()
    authority = Ed25519PrivateKey.generate()
    members = [Member("hn_police", "HN", "http://hn.test/", pub.signing, pub.encryption,
                      now - timedelta(days=1), now + timedelta(days=1))]
    directory = Directory.load(Directory.sign(members, authority, serial=1, issued_at=now),
                               authority.public_key())
    notice = open_notice(waiting.package, "gt_police", directory)
    assert notice.sender == "hn_police" and sorted(notice.record_ids) == ["HN-1", "HN-3"]
