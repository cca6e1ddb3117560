"""The node's replay guard keeps what it promises: a share id, once remembered, is held in the
store (across a restart) and a second open of the same package is a replay."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from share_support import T0, make_record

from cruce.share import Directory, NodeKeys, ReplayDetected, open_package, seal
from cruce.share._inbox import StoreReplayGuard
from cruce.store import open_store


def test_a_remembered_share_id_is_seen_and_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "gt.duckdb"
    store = open_store(path)
    StoreReplayGuard(store).remember("share-1", T0 + timedelta(days=7))
    assert StoreReplayGuard(store).seen("share-1")
    assert not StoreReplayGuard(store).seen("share-2")
    store.close()
    reopened = open_store(path)
    guard = StoreReplayGuard(reopened)
    assert guard.seen("share-1")
    with pytest.raises(ReplayDetected):
        guard.remember("share-1", T0 + timedelta(days=7))
    reopened.close()


def test_an_id_remembered_in_a_transaction_that_fails_is_forgotten(tmp_path: Path) -> None:
    store = open_store(tmp_path / "gt.duckdb")
    guard = StoreReplayGuard(store)
    with pytest.raises(RuntimeError), store.transaction():
        guard.remember("share-1", T0)
        raise RuntimeError("keeping the records failed")
    assert not guard.seen("share-1")
    guard.remember("share-1", T0)  # the package can be taken when it comes again
    assert guard.seen("share-1")


def test_the_second_open_of_one_package_is_a_replay(
    tmp_path: Path, keys: dict[str, NodeKeys], directory: Directory
) -> None:
    store = open_store(tmp_path / "gt.duckdb")
    share_id = str(uuid.uuid4())
    package = seal([make_record("hn-1").to_dict()], keys["hn_police"], "hn_police",
                   [directory.member("gt_police")], share_id, T0)
    now = T0 + timedelta(minutes=1)
    opened = open_package(package, keys["gt_police"], "gt_police", directory,
                          StoreReplayGuard(store), now=now)
    assert opened.share_id == share_id
    with pytest.raises(ReplayDetected):
        open_package(package, keys["gt_police"], "gt_police", directory,
                     StoreReplayGuard(store), now=now)
