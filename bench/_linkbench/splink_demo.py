"""Splink on the demo world as a user's own program: the timed baseline of bench/link.py (b).

    python splink_demo.py A.jsonl [B.jsonl ...] --pairs P.csv --clusters C.csv [--u-pairs N]

The same steps as `splink_peer.run_demo` (the quickstart set-up: flatten and clean the JSON lines
in DuckDB, prior, u from `--u-pairs` random pairs, two EM passes, predict at match weight -5,
cluster at 0.95), then the pairs (left_id,right_id,probability) and clusters (id,cluster_id) are
written as CSV, as `cruce link` writes its own. bench/link.py times the whole process from
outside, start-up and imports included, as it times `cruce link`. The last line printed is the
JSON of the in-process step times.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

STARTED = time.perf_counter()

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _linkbench.splink_peer import run_demo  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--pairs", type=Path, required=True)
    parser.add_argument("--clusters", type=Path, required=True)
    parser.add_argument("--u-pairs", type=float, default=1e7)
    args = parser.parse_args()
    run = run_demo(args.files, args.u_pairs)
    started = time.perf_counter()
    run.con.execute(f"COPY (SELECT * FROM splink_pairs) TO '{args.pairs}' (HEADER)")
    run.con.execute(f"COPY (SELECT * FROM splink_clusters) TO '{args.clusters}' (HEADER)")
    run.steps["write"] = time.perf_counter() - started
    print(json.dumps(run.steps))


if __name__ == "__main__":
    main()
