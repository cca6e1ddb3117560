"""`cruce demo` serves the five agency nodes on 127.0.0.1 talking over HTTP (a request answered
with a share, a refused victim, an H2 record passed on after consent), and ends with the audit
log of the node the story followed: its signed head, a verification, and who saw the record."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_the_demo_serves_five_nodes_that_share_and_answer_a_request(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cruce", "demo", "--out", str(tmp_path / "out"), "--people", "300"],
        capture_output=True, text=True, timeout=900, check=False, cwd=tmp_path,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "Nodes serving: gt_police http://127.0.0.1:" in out
    assert "hn_police sees the thread answered" in out
    assert "with gt's envelope (provider gt_police" in out
    assert "refused" in out and "never shared without a supervisor's release" in out
    assert "H2: not to be passed on without the provider's consent" in out
    assert "sv_police -> us_border again: sent 1 record(s)" in out
    assert "What each side sees" in out
    assert "border checks: 50 travellers checked at 3 nodes, 5 with hits (document 2, " \
           "person 2, vehicle 1)" in out  # the manifest's planted hits (tests/demo/test_demo_checks.py)
    assert (tmp_path / "out" / "RESULTS.csv").read_text().startswith("traveller_id,kind,alert_id,score")
    for agency in ("gt_police", "hn_police", "mx_migration", "sv_police", "us_border"):
        assert (tmp_path / "out" / "nodes" / f"{agency}.server.log").exists()
    ending = out[out.index("The audit log of hn_police"):]
    assert "What each side sees" not in ending  # the audit log comes last
    assert "verify: ok" in ending and "signed heads recomputed with the published key" in ending
    seen = ending[ending.index("who saw"):]
    assert "consultation by demo (hn_police" in seen  # linked, so looked at
    assert "disclosure to sv_police by" in seen  # the share of the story, and to whom
