"""cruce against Splink on the evaluation world (bench/_evalworld), same run.

    .venv/bin/python bench/link_evalworld.py --people 20000 --seed 1 --out bench/out/evalworld-20k

cruce through `cruce link FILES --out --clusters` (default threshold); Splink through
_linkbench/splink_peer.run_demo_process (the quickstart set-up bench/link.py uses on the demo
world, the same FtM fields flattened), scored at its documented and its best threshold.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import duckdb  # noqa: E402
from _evalworld.config import WorldConfig  # noqa: E402
from _evalworld.world import write  # noqa: E402
from _linkbench import cruce_cli, metrics, splink_peer  # noqa: E402


def _truth(path: Path) -> str:
    return (f"(select record_id, person_id as entity_id from read_csv('{path}', header=true,"
            f" all_varchar=true))")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--splink-u-pairs", type=float, default=1e7)
    args = parser.parse_args()
    world = write(WorldConfig(), args.people, args.seed, args.out)
    files = list(world.files.values())
    print(f"{world.people} people, {world.records} records", flush=True)
    print("cruce:", cruce_cli.command_text(cruce_cli.command(
        files, args.out / "cruce_pairs.csv", args.out / "cruce_clusters.csv", None)), flush=True)
    crun = cruce_cli.run_link(files, args.out)
    con = duckdb.connect()
    metrics.load_truth(con, "truth", _truth(world.truth))
    cruce_cli.load_outputs(con, crun)
    c = metrics.score_pairs(con, "cruce_pairs", "truth")
    cc = metrics.score_clusters(con, "cruce_clusters", "truth")
    print(f"cruce  P {c.precision:.4f} R {c.recall:.4f} F1 {c.f1:.4f} cluster F1 {cc.f1:.4f}"
          f" {crun.seconds:.1f}s", flush=True)
    srun = splink_peer.run_demo_process(files, args.out / "splink", args.splink_u_pairs)
    scon = srun.con
    metrics.load_truth(scon, "truth", _truth(world.truth))
    doc = metrics.score_pairs(scon, "splink_pairs", "truth", srun.doc_threshold)
    best = metrics.best_threshold(scon, "splink_pairs", "truth")
    print(f"splink docs {srun.doc_threshold:g}: P {doc.precision:.4f} R {doc.recall:.4f} "
          f"F1 {doc.f1:.4f}; best {best.threshold}: P {best.precision:.4f} "
          f"R {best.recall:.4f} F1 {best.f1:.4f}; {srun.seconds:.1f}s")
    err = (1 - c.f1) / (1 - best.f1) if best.f1 < 1 else float("nan")
    print(f"error ratio {err:.2f}  time ratio {crun.seconds / srun.seconds:.2f}")


if __name__ == "__main__":
    main()
