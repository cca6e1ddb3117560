"""Where `cruce link`'s time goes as the world grows: seconds per stage and peak memory.

    .venv/bin/python bench/link_scale.py --world bench/out/ew20k --world bench/out/ew100k
    .venv/bin/python bench/link_scale.py --people 20000 --people 100000 --out bench/out/scale

Each world is an evaluation world (bench/evalworld.py; written here with --people, seed 1).
cruce links all its agencies' files in a child process of its own, as `cruce link FILES --out
--clusters` does (default threshold, pairs and clusters written), and the child reports the
seconds between its progress steps and its peak RSS (its own and its name-parsing workers').
With --truth the pairs are scored against the world's truth.csv (pairwise F1), so a speed
change that moved an answer shows here too. A finer look: --profile writes a cProfile of the
whole run next to the pairs file.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# After the standard library: a bench module named like one of its modules must not shadow it.
sys.path.append(str(HERE))

_CHILD = "--child"


def _child(world: Path, out: Path, profile: bool) -> None:
    """Run one linkage in this process and print its stage times as one JSON line."""
    from cruce.link import link_files

    steps: list[tuple[str, float]] = []

    def progress(step: str) -> None:
        steps.append((step, time.perf_counter()))

    files = sorted(p for p in world.glob("*.jsonl"))
    start = time.perf_counter()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    result = link_files(files, progress=progress)
    steps.append(("writing pairs and clusters", time.perf_counter()))
    result.write_pairs(out / "pairs.csv")
    result.write_clusters(out / "clusters.csv")
    end = time.perf_counter()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(str(out / "link.prof"))
    marks = [("start", start), *steps, ("end", end)]
    stages = {name: round(marks[i + 1][1] - t, 2) for i, (name, t) in enumerate(marks[:-1])}
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"records": result.records, "seconds": round(end - start, 2),
                      "stages": stages, "peak_rss_mb": round(own), "worker_rss_mb": round(workers),
                      "pairs": result.pair_count()}))


def _score(world: Path, out: Path) -> float:
    import duckdb
    from _linkbench import metrics

    con = duckdb.connect()
    truth = world / "truth.csv"
    metrics.load_truth(con, "truth", f"(select record_id, person_id as entity_id from "
                       f"read_csv('{truth}', header = true, all_varchar = true))")
    con.execute(f"create view pairs as select * from read_csv('{out / 'pairs.csv'}', "
                "header = true, columns = {'left_id': 'VARCHAR', 'right_id': 'VARCHAR', "
                "'probability': 'DOUBLE'})")
    return metrics.score_pairs(con, "pairs", "truth").f1


def _run(world: Path, out: Path, profile: bool, truth: bool) -> dict[str, object]:
    out.mkdir(parents=True, exist_ok=True)
    # -P: the child does not put bench/ first on its path (see sys.path above).
    cmd = [sys.executable, "-P", __file__, _CHILD, str(world), str(out)] + (["--profile"] * profile)
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{world}: cruce link failed:\n{done.stderr[-3000:]}")
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    if truth:
        report["f1"] = round(_score(world, out), 4)
    return report


def _world(people: int, out: Path) -> Path:
    from _evalworld.config import WorldConfig
    from _evalworld.world import write

    path = out / f"world-{people}"
    if not (path / "truth.csv").exists():
        write(WorldConfig(), people, 1, path)
    return path


def _print(world: Path, report: dict[str, object]) -> None:
    print(f"\n{world}: {report['records']:,} records, {report['seconds']} s, peak RSS "
          f"{report['peak_rss_mb']} MB (name workers {report['worker_rss_mb']} MB), "
          f"{report['pairs']:,} pairs" + (f", F1 {report['f1']}" if "f1" in report else ""))
    stages = report["stages"]
    assert isinstance(stages, dict)
    for name, seconds in stages.items():
        print(f"  {seconds:8.2f} s  {name}")


def main() -> None:
    if len(sys.argv) >= 4 and sys.argv[1] == _CHILD:
        _child(Path(sys.argv[2]), Path(sys.argv[3]), "--profile" in sys.argv[4:])
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--world", type=Path, action="append", default=[],
                        help="an evaluation world's directory (its *.jsonl files)")
    parser.add_argument("--people", type=int, action="append", default=[],
                        help="write an evaluation world of this many people (seed 1)")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "link_scale")
    parser.add_argument("--truth", action="store_true", help="score pairs against truth.csv")
    parser.add_argument("--profile", action="store_true", help="cProfile the run (slower)")
    args = parser.parse_args()
    worlds = [*args.world, *(_world(n, args.out) for n in args.people)]
    for world in worlds:
        report = _run(world, args.out / world.name, args.profile, args.truth)
        _print(world, report)


if __name__ == "__main__":
    main()
