"""The directory a node runs on: its own compact (listing it with its keys, in force), never
older than one it took, and memberships about to expire warned of."""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cruce import Node
from cruce.errors import InvalidInput
from cruce.share import Directory, Member, NodeKeys
from cruce.share._keys import raw_public

NOW = datetime.now(UTC)


class Compact:
    """One node (hn_police) on disk, an authority, and directories it signs for it."""

    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.db = folder / "hn.duckdb"
        Node.open(self.db, agency="hn_police").close()
        self.keys = NodeKeys.load_or_generate(Path(f"{self.db}.keys"))
        self.folder = folder
        self.monkeypatch = monkeypatch
        self.use_authority(Ed25519PrivateKey.generate())
        monkeypatch.setenv("CRUCE_DIRECTORY", str(folder / "directory.signed"))

    def use_authority(self, key: Ed25519PrivateKey) -> None:
        self.authority = key
        (self.folder / "authority.key").write_bytes(raw_public(key.public_key()))
        self.monkeypatch.setenv("CRUCE_AUTHORITY_KEY", str(self.folder / "authority.key"))

    def member(self, agency: str = "hn_police", keys: NodeKeys | None = None,
               until: timedelta = timedelta(days=365),
               since: timedelta = timedelta(days=-1)) -> Member:
        pub = (keys or self.keys).public()
        return Member(agency, agency[:2].upper(), f"https://{agency}.example/", pub.signing,
                      pub.encryption, NOW + since, NOW + until)

    def publish(self, *members: Member, serial: int = 1, at: datetime = NOW) -> None:
        (self.folder / "directory.signed").write_bytes(
            Directory.sign(members or (self.member(),), self.authority, serial=serial,
                           issued_at=at))

    def take(self) -> Directory:
        with Node.open(self.db) as node:
            return node.sharing.directory


@pytest.fixture()
def compact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Compact:
    return Compact(tmp_path, monkeypatch)


def test_a_directory_that_does_not_list_the_node_is_refused(compact: Compact) -> None:
    compact.publish(compact.member("gt_police", NodeKeys.generate()))
    with pytest.raises(InvalidInput) as caught:
        compact.take()
    assert str(caught.value) == (
        "the compact directory (serial 1) does not list this node (hn_police): it is another "
        "compact's, or the authority has not added this node yet; get the directory that lists it")


def test_a_directory_signed_for_other_keys_is_refused(compact: Compact) -> None:
    compact.publish(compact.member(keys=NodeKeys.generate()))
    with pytest.raises(InvalidInput, match="lists hn_police with other keys than this node's"):
        compact.take()


def test_an_expired_own_membership_is_warned_of_not_refused(
    compact: Compact, caplog: pytest.LogCaptureFixture
) -> None:
    """The node must still erase and queue its notices; /ready reports the lapse."""
    compact.publish(compact.member(until=timedelta(days=-1), since=timedelta(days=-30)))
    with caplog.at_level(logging.WARNING, logger="cruce.share.directory"):
        assert compact.take().serial == 1
    assert "this node's membership (hn_police) expired on " in caplog.text


def test_a_directory_that_does_not_verify_stops_the_server_at_start(compact: Compact) -> None:
    compact.publish()
    compact.use_authority(Ed25519PrivateKey.generate())  # a foreign authority's key
    done = subprocess.run(
        [sys.executable, "-m", "cruce", "node", "serve", "--db", str(compact.db), "--port", "1"],
        capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines() + done.stdout.strip().splitlines()
    assert len(lines) == 1, lines
    assert "does not verify under the compact authority key" in lines[0]


def test_a_foreign_directory_stops_the_server_at_start(compact: Compact) -> None:
    compact.publish(compact.member("gt_police", NodeKeys.generate()))
    done = subprocess.run(
        [sys.executable, "-m", "cruce", "node", "serve", "--db", str(compact.db), "--port", "1"],
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() + done.stdout.strip().splitlines() == [
        "Error: the compact directory (serial 1) does not list this node (hn_police): it is "
        "another compact's, or the authority has not added this node yet; get the directory "
        "that lists it"]


# -- anti-rollback ------------------------------------------------------------------------------
def test_a_directory_older_than_one_taken_is_refused(compact: Compact) -> None:
    compact.publish(serial=11)
    assert compact.take().serial == 11
    compact.publish(serial=10)
    with pytest.raises(InvalidInput) as caught:
        compact.take()
    assert str(caught.value) == (
        "the compact directory (serial 10) is older than serial 11, which this node has taken: "
        "a directory is never rolled back; use the newest one the authority signed")
    compact.publish(serial=12)
    assert compact.take().serial == 12


def test_the_same_serial_signed_again_with_other_content_is_refused(compact: Compact) -> None:
    compact.publish(serial=3)
    compact.take()
    compact.take()  # the same directory again is fine
    compact.publish(compact.member(), compact.member("gt_police", NodeKeys.generate()), serial=3)
    with pytest.raises(InvalidInput, match="differs from the serial 3 this node has taken"):
        compact.take()


def test_a_new_authority_starts_a_new_history(compact: Compact,
                                              caplog: pytest.LogCaptureFixture) -> None:
    compact.publish(serial=40)
    compact.take()
    compact.use_authority(Ed25519PrivateKey.generate())
    compact.publish(serial=1)
    with caplog.at_level(logging.WARNING, logger="cruce.share.directory"):
        assert compact.take().serial == 1
    assert "the compact authority's key changed" in caplog.text


# -- expiry warnings --------------------------------------------------------------------------
def test_memberships_about_to_expire_are_warned_of(compact: Compact,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    compact.publish(compact.member(until=timedelta(days=10, hours=1)),
                    compact.member("gt_police", NodeKeys.generate(), until=timedelta(days=-2),
                                   since=timedelta(days=-40)),
                    compact.member("sv_police", NodeKeys.generate(), until=timedelta(days=200)))
    with caplog.at_level(logging.WARNING, logger="cruce.share.directory"):
        compact.take()
    warned = [r.getMessage() for r in caplog.records if r.name == "cruce.share.directory"]
    assert len(warned) == 2
    assert warned[0].startswith("this node's membership (hn_police) expires in 10 days (")
    assert warned[1].startswith("the membership of gt_police expired on ")


# -- a newly signed directory, taken while the node runs ------------------------------------
def test_a_directory_resigned_without_a_member_is_taken_without_restart(
    compact: Compact, caplog: pytest.LogCaptureFixture
) -> None:
    from cruce.share._directory_watch import DirectoryWatch

    gt = compact.member("gt_police", NodeKeys.generate())
    compact.publish(compact.member(), gt, serial=1)
    with Node.open(compact.db) as node:
        assert node.sharing.directory.get("gt_police") is not None
        watch = DirectoryWatch(node)
        assert watch.refresh() is False  # unchanged
        compact.publish(compact.member(), serial=2)  # gt_police left the compact
        with caplog.at_level(logging.WARNING, logger="cruce.share.directory"):
            assert watch.refresh() is True
        assert "took the compact directory serial 2 (was 1) without a restart" in caplog.text
        assert node.sharing.directory.get("gt_police") is None
        view = node.as_user("ana", "analyst")  # what each request acts through
        assert view.sharing.directory.serial == 2
        # A rolled-back or broken file is reported once and the directory in force stays.
        compact.publish(compact.member(), gt, serial=1)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="cruce.share.directory"):
            assert watch.refresh() is False
            assert watch.refresh() is False
        errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
        assert errors == [
            "kept the directory in force (serial 2): the compact directory (serial 1) is older "
            "than serial 2, which this node has taken: a directory is never rolled back; use "
            "the newest one the authority signed"]
        (compact.folder / "directory.signed").write_bytes(b"not a directory")
        assert watch.refresh() is False
        assert node.sharing.directory.serial == 2
