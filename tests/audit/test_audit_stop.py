"""A served node's log, stopped by SIGTERM or killed, cannot then be put back to an earlier copy
unseen (issue 10 #4): SIGTERM closes the node (final head signed, its size pinned in the store)
and every head is pinned as soon as it is signed, so a SIGKILL loses none either.

Real processes: `cruce node serve` on 127.0.0.1, the CLI for everything else.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from tests.nodes._harness import RunningNode, agency_export, make_env

WHY = {"X-Cruce-Purpose": "gangs_organized_crime", "X-Cruce-Case": "HN-2026-0042",
       "X-Cruce-Why": "lead from the Choloma arrest"}


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cruce", *args], capture_output=True,
                          text=True, env=env, timeout=300, check=False)


@pytest.fixture()
def node(tmp_path: Path) -> RunningNode:
    running = RunningNode(agency="hn_police", backend="duckdb", db=str(tmp_path / "hn.duckdb"),
                          audit_dir=tmp_path / "hn.duckdb.audit",
                          log_file=tmp_path / "server.log", env=make_env(None))
    running.prepare(agency_export(tmp_path / "export", "hn_police"))
    return running


def serve_and_consult(node: RunningNode, times: int = 3) -> int:
    """Start the node, consult `times` times; the size of the head it signed after them."""
    node.start(timeout=180)
    for _ in range(times):
        with node.client("analyst", **WHY) as client:
            assert client.get("/api/v1/search", params={"q": "tzul"}).status_code == 200
    with node.client("oversight") as client:  # signs (and pins) a head over them
        return int(client.get("/api/v1/audit/head").json()["tree_size"])


def put_back(node: RunningNode, earlier: Path) -> None:
    shutil.rmtree(node.audit_dir)
    shutil.copytree(earlier, node.audit_dir)


def assert_refused(node: RunningNode, signed: int) -> None:
    """`audit verify` and a restart both refuse the log put back to an earlier copy."""
    verify = cli("audit", "verify", "--db", node.db, env=node.env)
    assert verify.returncode == 1, verify.stdout + verify.stderr
    assert verify.stderr.startswith("Error: audit log entry ") and (
        f"missing: the node's store pinned {signed} signed entries" in verify.stderr), verify.stderr
    restart = subprocess.run(
        [sys.executable, "-m", "cruce", "node", "serve", "--db", node.db, "--port",
         str(node.port)], capture_output=True, text=True, env=node.env, timeout=300, check=False)
    assert restart.returncode == 1, restart.stdout + restart.stderr
    assert f"the node's store pinned {signed} signed entries" in restart.stderr
    assert "Traceback" not in restart.stderr


@pytest.mark.slow
def test_sigterm_closes_the_node_so_a_log_put_back_afterwards_is_refused(
    node: RunningNode, tmp_path: Path
) -> None:
    earlier = tmp_path / "earlier.audit"
    shutil.copytree(node.audit_dir, earlier, ignore=shutil.ignore_patterns("lock"))
    signed = serve_and_consult(node)
    process = node.process
    assert process is not None
    process.send_signal(signal.SIGTERM)
    assert process.wait(120) == 0, node.log_file.read_text(errors="replace")
    node.process = None
    assert "node stopped; audit log closed" in node.log_file.read_text(errors="replace")
    verify = cli("audit", "verify", "--db", node.db, env=node.env)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "after the last signed head" not in verify.stdout, "the final head covers them all"
    put_back(node, earlier)
    assert_refused(node, signed)


@pytest.mark.slow
def test_every_signed_head_is_pinned_at_once_so_a_kill_loses_none(
    node: RunningNode, tmp_path: Path
) -> None:
    earlier = tmp_path / "earlier.audit"
    shutil.copytree(node.audit_dir, earlier, ignore=shutil.ignore_patterns("lock"))
    signed = serve_and_consult(node)
    node.stop(kill=True)  # SIGKILL: nothing of the node's close runs
    put_back(node, earlier)
    assert_refused(node, signed)


# -- in process: the pin follows every head, on DuckDB and PostgreSQL -------------------------

def test_each_signed_head_is_pinned_at_once_and_no_rollback_takes_it_back(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cruce import Node
    from cruce.audit import AccessEvent, Actor, Justification, Operation
    from cruce.audit._pins import pinned_size

    monkeypatch.setenv("CRUCE_AUDIT_DIR", str(tmp_path / "audit"))  # a server store's log
    why = Justification("gangs_organized_crime", "", "HN-1", "lead")

    def consult(n: int) -> AccessEvent:
        return AccessEvent(Operation.CONSULTATION, Actor("hn_police", "ana", "analyst"), why,
                           record_ids=(f"hn:{n}",))

    with Node.open(store_url, agency="hn_police") as node:
        assert node.audit is not None
        node.audit.append_many([consult(n) for n in range(3)])
        head = node.audit.head()
        assert pinned_size(node.store) == head.tree_size >= 3
        with pytest.raises(RuntimeError), node.store.transaction():  # e.g. a failed ingest
            node.audit.append(consult(9))  # logged before the operation it describes
            inside = node.audit.head()
            raise RuntimeError("the operation fails after its event")
        assert pinned_size(node.store) == inside.tree_size == head.tree_size + 1
