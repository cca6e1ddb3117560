"""Opening a node does not import Splink (0.5 s): only a linkage run loads it (issue 11 #6)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROBE = """
import sys
import cruce
from cruce import Node
from cruce.link import Explainer, summarise
node = Node.open(sys.argv[1], agency="hn_police")
node.linkage.judgements(), node.linkage.review(5), node.linkage.cluster_of("x")
loaded = sorted(m for m in sys.modules if m == "splink" or m.startswith("splink."))
print(",".join(loaded) or "none")
"""


def _loaded_after_opening(db: Path) -> str:
    done = subprocess.run([sys.executable, "-c", PROBE, str(db)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_opening_a_duckdb_node_leaves_splink_unimported(tmp_path: Path) -> None:
    assert _loaded_after_opening(tmp_path / "hn.duckdb") == "none"


def test_a_linkage_run_is_what_imports_splink() -> None:
    done = subprocess.run([sys.executable, "-c", "import sys\nfrom cruce.link import link_files\n"
                           "print('splink' in sys.modules)"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.stdout.strip() == "True", done.stderr
