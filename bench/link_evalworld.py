"""cruce against Splink on the evaluation world (bench/_evalworld), same run.

    .venv/bin/python bench/link_evalworld.py                       # 20k seeds 1, 2; 100k seed 1
    .venv/bin/python bench/link_evalworld.py --scenarios 20000:1 --out bench/out/evalworld

The world is written from a list of phenomena, never from cruce's code (bench/_evalworld); it
is regenerated here per scenario. cruce runs through `cruce link FILES --out --clusters`
(default threshold). Splink runs as a careful user's program (_linkbench/splink_evalworld.py:
every field flattened, Splink's documented person comparisons), twice:

- equal budgets: u sampled from as many pairs as cruce samples (5 per record, at least 300k,
  at most 5M) and each EM pass capped at cruce's 2M pairs (cruce's budget as bench/RESULTS.md
  reports it; `cruce link --help` does not print it);
- Splink's defaults: estimate_u_using_random_sampling's max_pairs=1e6, EM on every pair.

Each is scored at its documented threshold (0.95) and at its best (oracle) threshold. Both tools
run as their own process, timed whole from outside. The error table splits missed and false
pairs by agency pair (cruce at its default threshold, Splink with equal budgets at its best).
Splink's set-up was chosen on 20k people seed 1; the other scenarios are held out.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import duckdb  # noqa: E402
from _evalworld.config import WorldConfig  # noqa: E402
from _evalworld.world import write  # noqa: E402
from _linkbench import cruce_cli, metrics  # noqa: E402
from _linkbench.agency_errors import by_agency_pair, print_breakdown  # noqa: E402

SPLINK_PROGRAM = HERE / "_linkbench" / "splink_evalworld.py"
CRUCE_EM_PAIRS = 2e6


def cruce_u_pairs(records: int) -> float:
    """cruce's u sample: 5 pairs per record, 300k to 5M."""
    return float(min(max(5 * records, 300_000), 5_000_000))


@dataclass(frozen=True)
class SplinkProcess:
    label: str
    seconds: float
    pairs: Path
    clusters: Path
    steps: dict[str, float]


def run_splink(files: list[Path], out: Path, label: str, u_pairs: float,
               em_pairs: float | None) -> SplinkProcess:
    out.mkdir(parents=True, exist_ok=True)
    pairs, clusters = out / "splink_pairs.csv", out / "splink_clusters.csv"
    cmd = [sys.executable, str(SPLINK_PROGRAM), *map(str, files), "--pairs", str(pairs),
           "--clusters", str(clusters), "--u-pairs", repr(u_pairs)]
    if em_pairs is not None:
        cmd += ["--em-pairs", repr(em_pairs)]
    print(f"splink ({label}):", " ".join(cmd[1:2] + ["FILES..."] + cmd[2 + len(files):]),
          flush=True)
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"splink failed ({done.returncode}):\n{done.stderr[-2000:]}")
    steps = json.loads(done.stdout.strip().splitlines()[-1])
    steps["start-up+imports"] = seconds - sum(steps.values())
    return SplinkProcess(label, seconds, pairs, clusters, steps)


def _truth(path: Path) -> str:
    return (f"(select record_id, person_id as entity_id from read_csv('{path}', header=true,"
            f" all_varchar=true))")


def _pairs_view(con: duckdb.DuckDBPyConnection, name: str, path: Path) -> None:
    con.execute(f"""create or replace view {name} as select * from read_csv('{path}',
        header=true, columns={{'left_id': 'VARCHAR', 'right_id': 'VARCHAR',
                               'probability': 'DOUBLE'}})""")


def _clusters_view(con: duckdb.DuckDBPyConnection, name: str, path: Path) -> None:
    con.execute(f"""create or replace view {name} as select * from read_csv('{path}',
        header=true, columns={{'id': 'VARCHAR', 'cluster_id': 'VARCHAR'}})""")


def _line(tool: str, threshold: str, s: metrics.PairScore, cluster_f1: str, seconds: float,
          note: str = "") -> str:
    return (f"| {tool} | {threshold} | {s.precision:.4f} | {s.recall:.4f} | **{s.f1:.4f}** | "
            f"{cluster_f1} | {s.predicted} | {seconds:.1f} | {note} |")


def scenario(people: int, seed: int, out: Path) -> dict[str, float]:
    folder = out / f"{people}-seed{seed}"
    world = write(WorldConfig(), people, seed, folder / "world")
    files = list(world.files.values())
    print(f"\n## {people} people, seed {seed}: {world.records} records "
          f"(bench/_evalworld, WorldConfig() defaults)\n", flush=True)
    load = os.getloadavg()
    crun = cruce_cli.run_link(files, folder / "cruce")
    runs = [
        run_splink(files, folder / "splink-equal", "equal budgets",
                   cruce_u_pairs(world.records), CRUCE_EM_PAIRS),
        run_splink(files, folder / "splink-defaults", "defaults", 1e6, None),
    ]
    load_after = os.getloadavg()
    con = duckdb.connect()
    metrics.load_truth(con, "truth", _truth(world.truth))
    cruce_cli.load_outputs(con, crun)
    c = metrics.score_pairs(con, "cruce_pairs", "truth")
    cc = metrics.score_clusters(con, "cruce_clusters", "truth")
    print("| tool | threshold | precision | recall | F1 | cluster F1 | pairs | seconds | note |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    print(_line("cruce", "0.5 (default)", c, f"{cc.f1:.4f}", crun.seconds))
    best_equal: metrics.PairScore | None = None
    for i, run in enumerate(runs):
        _pairs_view(con, f"splink_pairs_{i}", run.pairs)
        _clusters_view(con, f"splink_clusters_{i}", run.clusters)
        doc = metrics.score_pairs(con, f"splink_pairs_{i}", "truth", 0.95)
        best = metrics.best_threshold(con, f"splink_pairs_{i}", "truth")
        sc = metrics.score_clusters(con, f"splink_clusters_{i}", "truth")
        steps = ", ".join(f"{k} {v:.1f}s" for k, v in run.steps.items())
        print(_line(f"splink ({run.label})", "0.95 (docs)", doc, f"{sc.f1:.4f}", run.seconds,
                    steps))
        print(_line(f"splink ({run.label})", f"{best.threshold:.4g} (best)", best, "-",
                    run.seconds, "threshold chosen with the truth"))
        if i == 0:
            best_equal = best
    assert best_equal is not None and best_equal.threshold is not None
    err = (1 - c.f1) / (1 - best_equal.f1) if best_equal.f1 < 1 else float("nan")
    ratio = crun.seconds / runs[0].seconds
    print(f"\nerrors (1-F1) cruce / Splink best, equal budgets: **{err:.2f}** (goal <= 0.5); "
          f"time cruce / Splink (equal budgets): **{ratio:.2f}** (goal <= 1.2), "
          f"defaults: {crun.seconds / runs[1].seconds:.2f}; load average "
          f"{load[0]:.1f} at the start, {load_after[0]:.1f} at the end\n")
    rows = by_agency_pair(con, "truth", {
        "cruce": ("cruce_pairs", None),
        "splink": ("splink_pairs_0", best_equal.threshold)})
    print_breakdown(rows, ["cruce", "splink"],
                    "cruce at 0.5 (default); Splink equal budgets at its best threshold "
                    f"{best_equal.threshold:.4g}")
    return {"people": people, "seed": seed, "records": world.records, "cruce_f1": c.f1,
            "splink_best_f1": best_equal.f1, "error_ratio": err, "time_ratio": ratio}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scenarios", default="20000:1,20000:2,100000:1",
                        help="people:seed, comma separated")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "evalworld")
    parser.add_argument("--json", type=Path, help="also write the summaries as JSON here")
    args = parser.parse_args()
    ok, why = cruce_cli.link_available()
    if not ok:
        raise SystemExit(f"cruce link unavailable: {why}")
    summaries = []
    for item in args.scenarios.split(","):
        people, seed = (int(x) for x in item.split(":"))
        summaries.append(scenario(people, seed, args.out))
    print("\n| people | seed | records | cruce F1 | Splink best F1 (equal budgets) "
          "| error ratio (goal <= 0.5) | time ratio (goal <= 1.2) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for s in summaries:
        print(f"| {s['people']:,} | {s['seed']} | {s['records']:,} | {s['cruce_f1']:.4f} | "
              f"{s['splink_best_f1']:.4f} | {s['error_ratio']:.2f} | {s['time_ratio']:.2f} |")
    if args.json:
        args.json.write_text(json.dumps(summaries, indent=1))


if __name__ == "__main__":
    main()
