"""The careful user's Splink program (splink_evalworld.py) run as its own process, and the
training budgets it is given.

cruce's budget, as bench/RESULTS.md reports it (`cruce link --help` does not print it): u from
5 random pairs per record, at least 300k and at most 5M; EM on at most 2M pairs per pass.
Splink's documented defaults: estimate_u_using_random_sampling(max_pairs=1e6), EM on every pair
of its training block (max_pairs=None).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .splink_peer import SplinkRun

PROGRAM = Path(__file__).with_name("splink_evalworld.py")
DOC_THRESHOLD = 0.95
CRUCE_EM_PAIRS = 2e6


def cruce_u_pairs(records: int) -> float:
    """cruce's u sample: 5 pairs per record, 300k to 5M."""
    return float(min(max(5 * records, 300_000), 5_000_000))


@dataclass(frozen=True)
class Budget:
    label: str
    u_pairs: float
    em_pairs: float | None


def budgets(records: int) -> list[Budget]:
    """Equal to cruce's, then Splink's defaults."""
    return [Budget("equal budgets", cruce_u_pairs(records), CRUCE_EM_PAIRS),
            Budget("defaults", 1e6, None)]


def command(files: list[Path], pairs: Path, clusters: Path, budget: Budget,
            surnames_first: tuple[str, ...] = ()) -> list[str]:
    cmd = [sys.executable, str(PROGRAM), *map(str, files), "--pairs", str(pairs),
           "--clusters", str(clusters), "--u-pairs", repr(budget.u_pairs)]
    if budget.em_pairs is not None:
        cmd += ["--em-pairs", repr(budget.em_pairs)]
    if surnames_first:
        cmd += ["--surnames-first", ",".join(surnames_first)]
    return cmd


def run_process(files: list[Path], out_dir: Path, budget: Budget,
                surnames_first: tuple[str, ...] = ()) -> SplinkRun:
    """The program as a subprocess, timed whole; its CSV outputs as views `splink_pairs` and
    `splink_clusters` on the returned connection."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pairs, clusters = out_dir / "splink_pairs.csv", out_dir / "splink_clusters.csv"
    cmd = command(files, pairs, clusters, budget, surnames_first)
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    steps = json.loads(done.stdout.strip().splitlines()[-1])
    steps["start-up+imports"] = seconds - sum(steps.values())
    con = duckdb.connect()
    con.execute(f"""create or replace view splink_pairs as select * from read_csv('{pairs}',
        header=true, columns={{'left_id': 'VARCHAR', 'right_id': 'VARCHAR',
                               'probability': 'DOUBLE'}})""")
    con.execute(f"""create or replace view splink_clusters as select * from read_csv('{clusters}',
        header=true, columns={{'id': 'VARCHAR', 'cluster_id': 'VARCHAR'}})""")
    return SplinkRun(seconds, con, DOC_THRESHOLD, steps)
