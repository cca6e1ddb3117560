"""A peer's audit log cut short, forked or re-keyed is caught by the nodes that saw it before
(issue 10 #4): `AuditChainBroken` (PeerLogBroken), kept in the peer checks, an event in the
checker's own log, one line from the CLI with exit 2; only a network error is "peer down".

The first test runs real processes: gt_police's node served on 127.0.0.1, hn_police's CLI
cross-checking it, gt's files put back to an earlier copy between two checks.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from tests.nodes._harness import RunningNode, agency_export, form_compact, make_env

from cruce import Node
from cruce.api import create_app
from cruce.api._messaging import _check_peers
from cruce.audit import AccessEvent, Actor, Justification, Operation
from cruce.audit._errors import PeerLogBroken, PeerUnreachable
from cruce.errors import AuditChainBroken, SignatureInvalid
from cruce.share import Directory, Member, NodeKeys

WHY = {"X-Cruce-Purpose": "gangs_organized_crime", "X-Cruce-Case": "HN-2026-0042",
       "X-Cruce-Why": "joint investigation"}


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cruce", *args], capture_output=True,
                          text=True, env=env, timeout=120, check=False)


def copy_node(node: RunningNode, to: Path) -> None:
    """Every file of a stopped node: its store and its audit log (as an insider would)."""
    to.mkdir()
    shutil.copy2(node.db, to / "store.duckdb")
    shutil.copytree(node.audit_dir, to / "audit", ignore=shutil.ignore_patterns("lock"))


def put_back(node: RunningNode, copy: Path) -> None:
    shutil.copy2(copy / "store.duckdb", node.db)
    Path(node.db + ".wal").unlink(missing_ok=True)
    shutil.rmtree(node.audit_dir)
    shutil.copytree(copy / "audit", node.audit_dir)


@pytest.mark.slow
def test_a_peer_put_back_to_an_earlier_copy_is_reported_broken_by_the_cli(
    tmp_path: Path,
) -> None:
    nodes = []
    for agency in ("hn_police", "gt_police"):
        folder = tmp_path / agency
        nodes.append(RunningNode(agency=agency, backend="duckdb",
                                 db=str(folder / f"{agency}.duckdb"),
                                 audit_dir=folder / f"{agency}.duckdb.audit",
                                 log_file=folder / "server.log", env=make_env(None)))
        nodes[-1].prepare(agency_export(folder / "export", agency))
    hn, gt = nodes
    form_compact(nodes, tmp_path / "compact")
    earlier = tmp_path / "gt-earlier"
    copy_node(gt, earlier)
    gt.start()
    try:
        first = cli("audit", "check-peer", "gt_police", "--db", hn.db, env=hn.env)
        assert first.returncode == 0, first.stderr
        for _ in range(3):  # gt's log grows: consultations, each logged
            with gt.client("analyst", **WHY) as client:
                assert client.get("/api/v1/search", params={"q": "tzul"}).status_code == 200
        grown = cli("audit", "check-peer", "gt_police", "--db", hn.db, env=hn.env)
        assert grown.returncode == 0, grown.stderr
        seen = int(grown.stdout.split("->")[1].split()[0])

        gt.stop()
        put_back(gt, earlier)  # store and log together: gt's own pins cannot tell
        gt.start()
        broken = cli("audit", "check-peer", "gt_police", "--db", hn.db, env=hn.env)
    finally:
        gt.stop()
    assert broken.returncode == 2, broken.stdout + broken.stderr
    assert "Traceback" not in broken.stderr
    assert broken.stderr.count("\n") == 1, broken.stderr
    assert broken.stderr.startswith(
        f"Error: peer gt_police's audit log is broken: its log shrank from {seen} to ")

    peers = cli("audit", "peers", "--db", hn.db, "--json", env=hn.env)
    assert peers.returncode == 0, peers.stderr
    [state] = json.loads(peers.stdout)
    assert (state["agency"], state["last check"], state["entries seen"]) == (
        "gt_police", "broken", seen)
    assert "shrank" in state["broken"]
    exported = cli("audit", "export", "--db", hn.db, env=hn.env)
    events = [json.loads(line) for line in exported.stdout.splitlines()]
    [finding] = [e for e in events if e["details"].get("peer_audit") == "broken"]
    assert finding["op"] == "administration" and finding["details"]["peer"] == "gt_police"


# -- in process: every way a log fails to extend, and what counts as "down" --------------------

@dataclass
class Peers:
    hn: Node  # the checker
    gt: Node  # the peer whose log is checked
    gt_client: TestClient
    folder: Path

    def get(self, url: str, headers: dict[str, str]) -> tuple[bytes, str]:
        response = self.gt_client.get(url.removeprefix("http://gt_police.test"), headers=headers)
        assert response.status_code == 200, response.text
        return response.content, response.headers["X-Cruce-Answer-Signature"]

    def check(self) -> dict[str, object]:
        return self.hn.sharing.check_peer("gt_police", self.get)

    def reopen_gt(self, log_from: Path | None = None) -> None:
        """Close gt and open it again, with its store and log as in `log_from` if given."""
        keys, directory = self.gt.sharing.keys, self.gt.sharing.directory
        self.gt.close()
        if log_from is not None:
            shutil.copy2(log_from / "gt.duckdb", self.folder / "gt.duckdb")
            shutil.rmtree(self.folder / "gt.duckdb.audit")
            shutil.copytree(log_from / "gt.duckdb.audit", self.folder / "gt.duckdb.audit")
        self.gt = Node.open(self.folder / "gt.duckdb", agency="gt_police")
        self.gt.configure_sharing(keys, directory)
        self.gt_client = TestClient(create_app(self.gt, every=None),
                                    raise_server_exceptions=False)

    def snapshot(self, name: str) -> Path:
        """gt's store and log as they are now (gt closed and reopened around the copy)."""
        to = self.folder / name
        keys, directory = self.gt.sharing.keys, self.gt.sharing.directory
        self.gt.close()
        to.mkdir()
        shutil.copy2(self.folder / "gt.duckdb", to / "gt.duckdb")
        shutil.copytree(self.folder / "gt.duckdb.audit", to / "gt.duckdb.audit",
                        ignore=shutil.ignore_patterns("lock"))
        self.gt = Node.open(self.folder / "gt.duckdb", agency="gt_police")
        self.gt.configure_sharing(keys, directory)
        self.gt_client = TestClient(create_app(self.gt, every=None),
                                    raise_server_exceptions=False)
        return to

    def grow_gt(self, n: int, text: str = "lead") -> None:
        assert self.gt.audit is not None
        why = Justification("gangs_organized_crime", "", "GT-1", text)
        actor = Actor("gt_police", "ana", "analyst")
        for i in range(n):
            self.gt.audit.append(AccessEvent(Operation.CONSULTATION, actor, why,
                                             record_ids=(f"gt:{text}:{i}",)))


def member(agency: str, keys: NodeKeys) -> Member:
    now = datetime.now(UTC)
    pub = keys.public()
    return Member(agency, agency[:2].upper(), f"http://{agency}.test/", pub.signing,
                  pub.encryption, now - timedelta(days=1), now + timedelta(days=365))


@pytest.fixture()
def peers(tmp_path: Path) -> Iterator[Peers]:
    authority = Ed25519PrivateKey.generate()
    keys = {a: NodeKeys.generate() for a in ("hn_police", "gt_police")}
    signed = Directory.sign([member(a, k) for a, k in keys.items()], authority, serial=1,
                            issued_at=datetime.now(UTC))
    directory = Directory.load(signed, authority.public_key())
    hn = Node.open(tmp_path / "hn.duckdb", agency="hn_police")
    gt = Node.open(tmp_path / "gt.duckdb", agency="gt_police")
    hn.configure_sharing(keys["hn_police"], directory)
    gt.configure_sharing(keys["gt_police"], directory)
    pair = Peers(hn, gt, TestClient(create_app(gt, every=None), raise_server_exceptions=False),
                 tmp_path)
    yield pair
    pair.hn.close()
    pair.gt.close()


def test_a_shrunk_log_is_broken_not_a_key_error(peers: Peers) -> None:
    earlier = peers.snapshot("earlier")
    peers.grow_gt(5)
    seen = peers.check()["tree_size"]
    peers.reopen_gt(log_from=earlier)
    with pytest.raises(PeerLogBroken, match=f"its log shrank from {seen} to "):
        peers.check()
    [state] = peers.hn.store.peer_states()
    assert (state.outcome, state.seen_size) == ("broken", seen)
    assert state.broken_at is not None and "shrank" in state.broken_detail


def test_a_log_of_the_same_size_with_another_root_is_broken(peers: Peers) -> None:
    earlier = peers.snapshot("earlier")
    peers.grow_gt(3, "original")
    seen = peers.check()["tree_size"]
    peers.reopen_gt(log_from=earlier)
    peers.grow_gt(3, "rewritten")  # as many entries, other content
    with pytest.raises(AuditChainBroken, match=f"two different logs of {seen} entries"):
        peers.check()


def test_a_longer_log_that_does_not_extend_the_one_seen_is_broken(peers: Peers) -> None:
    earlier = peers.snapshot("earlier")
    peers.grow_gt(3, "original")
    peers.check()
    peers.reopen_gt(log_from=earlier)
    peers.grow_gt(6, "rewritten")
    with pytest.raises(PeerLogBroken, match="not an extension"):
        peers.check()
    assert peers.hn.store.peer_states()[0].outcome == "broken"


def test_a_broken_peer_stays_broken_and_is_an_event_in_the_checkers_log(peers: Peers) -> None:
    earlier = peers.snapshot("earlier")
    peers.grow_gt(2)
    peers.check()
    peers.reopen_gt(log_from=earlier)
    for _ in range(2):  # the head seen is kept: every later check finds the same break
        with pytest.raises(PeerLogBroken):
            peers.check()
    assert peers.hn.audit is not None
    found = [e.event for e in peers.hn.audit.iter_events()
             if e.event["details"].get("peer_audit") == "broken"]
    assert len(found) == 2 and found[0]["details"]["peer"] == "gt_police"


def test_only_a_network_error_is_a_peer_down(peers: Peers, caplog: pytest.LogCaptureFixture) -> None:
    peers.check()

    def refused(url: str, headers: dict[str, str]) -> tuple[bytes, str]:
        raise httpx.ConnectError("connection refused")

    with pytest.raises(PeerUnreachable):
        peers.hn.sharing.check_peer("gt_police", refused)
    assert peers.hn.store.peer_states()[0].outcome == "down"

    def forged(url: str, headers: dict[str, str]) -> tuple[bytes, str]:
        body, _ = peers.get(url, headers)
        return body, "AAAA"

    with caplog.at_level(logging.ERROR), pytest.raises(SignatureInvalid):
        peers.hn.sharing.check_peer("gt_police", forged)
    assert peers.hn.store.peer_states()[0].outcome == "failed"
    assert any("failed" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)


def test_the_servers_background_check_reports_a_broken_peer_loudly(
    peers: Peers, caplog: pytest.LogCaptureFixture
) -> None:
    earlier = peers.snapshot("earlier")
    peers.grow_gt(4)
    peers.check()
    peers.reopen_gt(log_from=earlier)
    with caplog.at_level(logging.ERROR):
        _check_peers(peers.hn, peers.get)  # raises nothing: one round
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert any("gt_police's audit log is broken" in r.getMessage() for r in errors)
    assert peers.hn.store.peer_states()[0].outcome == "broken"


def test_cruce_audit_peers_lists_a_broken_peer_loudly(peers: Peers) -> None:
    from typer.testing import CliRunner

    from cruce.cli import app

    earlier = peers.snapshot("earlier")
    peers.grow_gt(2)
    peers.check()
    peers.reopen_gt(log_from=earlier)
    with pytest.raises(PeerLogBroken):
        peers.check()
    peers.hn.close()
    try:
        result = CliRunner().invoke(app, ["audit", "peers", "--db", str(peers.folder / "hn.duckdb")])
    finally:
        peers.hn = Node.open(peers.folder / "hn.duckdb")
    assert result.exit_code == 0, result.output
    assert "gt_police" in result.output and "broken" in result.output
    assert "gt_police: audit log BROKEN (found " in result.output and "shrank" in result.output


def test_a_signed_answer_with_a_key_that_is_no_key_is_a_failed_check(peers: Peers) -> None:
    from cruce.errors import InvalidInput
    from cruce.share._requests import sign_answer

    def garbled(url: str, headers: dict[str, str]) -> tuple[bytes, str]:
        body, _ = peers.get(url, headers)
        data = json.loads(body)
        data["log_public_key"] = "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----"
        forged = json.dumps(data).encode()
        return forged, sign_answer(peers.gt.sharing.keys, forged)

    with pytest.raises(InvalidInput):
        peers.hn.sharing.check_peer("gt_police", garbled)
    assert peers.hn.store.peer_states()[0].outcome == "failed"
