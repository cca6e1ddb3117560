"""Does cruce learn from its reviewers? 300 judgements, answered truthfully, on two worlds.

    .venv/bin/python bench/link_review.py --world eval --people 20000 --seed 2 --out OUT/eval
    .venv/bin/python bench/link_review.py --world demo --people 20000 --seed 2 --out OUT/demo

Through the outside contract only:
1. `cruce link FILES --out P0.csv --clusters C0.csv --review 300 --review-out R.csv`
2. a reviewer who knows the truth answers every pair of R.csv (same / different) -> J.csv
3. `cruce link FILES --out P1.csv --clusters C1.csv --judgements J.csv`
4. the judged pairs as constraints alone (same pairs joined, different pairs kept apart, in the
   pairs and the clusters, nothing learnt): `... --judgements J.csv --no-learn`.
Prints pairwise precision, recall, F1 and error (1 - F1) of the pairs file and of the clusters,
and the error ratios against run 1. The evaluation world (bench/_evalworld) was written from a
list of phenomena without reading cruce's model; the demo world is cruce's own generator.
"""

from __future__ import annotations

import argparse
import csv
import shlex
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import duckdb  # noqa: E402
from _linkbench import metrics  # noqa: E402
from _linkbench.cruce_cli import cruce_bin  # noqa: E402


def world_files(kind: str, people: int, seed: int, out: Path) -> tuple[list[Path], Path]:
    """The world's JSON-lines files and its truth CSV (record_id, person_id)."""
    if kind == "eval":
        from _evalworld.config import WorldConfig
        from _evalworld.world import write

        world = write(WorldConfig(), people, seed, out / "world")
        return sorted(world.files.values()), world.truth
    from cruce.demo import WorldSpec, write_people_jsonl

    written = write_people_jsonl(out / "world", WorldSpec(seed=seed, people=people))
    return sorted(written.values()), out / "world" / "truth" / "people.csv"


def run(cmd: list[str]) -> float:
    print("$", shlex.join(cmd), flush=True)
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {done.stderr.strip() or done.stdout}")
    print(done.stdout.strip(), flush=True)
    return time.perf_counter() - started


def answer(review: Path, truth: dict[str, str], out: Path) -> list[str]:
    """The truthful reviewer: same when both records are of one person."""
    judged = []
    with review.open(newline="") as fh, out.open("w", newline="") as wh:
        writer = csv.writer(wh)
        writer.writerow(["left_id", "right_id", "judgement"])
        for row in csv.DictReader(fh):
            a, b = row["left_id"], row["right_id"]
            same = a in truth and truth.get(a) == truth.get(b)
            writer.writerow([a, b, "same" if same else "different"])
            judged.append("same" if same else "different")
    return judged


def score(con: duckdb.DuckDBPyConnection, name: str, pairs: Path,
          clusters: Path) -> tuple[float, float]:
    for view, path in (("p", pairs), ("c", clusters)):
        con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM "
                    f"read_csv('{path}', all_varchar=true)")
    p = metrics.score_pairs(con, "p", "truth")
    c = metrics.score_clusters(con, "c", "truth")
    print(f"{name:<22} pairs P {p.precision:.4f} R {p.recall:.4f} F1 {p.f1:.4f} error "
          f"{1 - p.f1:.4f} | clusters P {c.precision:.4f} R {c.recall:.4f} F1 {c.f1:.4f} "
          f"error {1 - c.f1:.4f}", flush=True)
    return 1 - p.f1, 1 - c.f1


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--world", choices=["eval", "demo"], default="eval")
    parser.add_argument("--people", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--judgements", type=int, default=300)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    files, truth_csv = world_files(args.world, args.people, args.seed, args.out)
    with truth_csv.open(newline="") as fh:
        truth = {r["record_id"]: r["person_id"] for r in csv.DictReader(fh)}
    print(f"{args.world} world: {args.people} people, {len(truth)} records", flush=True)
    o = args.out
    exe, inputs = str(cruce_bin()), [str(f) for f in files]
    t0 = run([exe, "link", *inputs, "--out", str(o / "P0.csv"), "--clusters", str(o / "C0.csv"),
              "--review", str(args.judgements), "--review-out", str(o / "R.csv")])
    judged = answer(o / "R.csv", truth, o / "J.csv")
    same = judged.count("same")
    print(f"{len(judged)} judgements: {same} same, {len(judged) - same} different", flush=True)
    t1 = run([exe, "link", *inputs, "--out", str(o / "P1.csv"), "--clusters", str(o / "C1.csv"),
              "--judgements", str(o / "J.csv")])
    run([exe, "link", *inputs, "--out", str(o / "Pc.csv"), "--clusters", str(o / "Cc.csv"),
         "--judgements", str(o / "J.csv"), "--no-learn"])
    con = duckdb.connect()
    metrics.load_truth(con, "truth", f"(SELECT record_id, person_id AS entity_id FROM "
                                     f"read_csv('{truth_csv}', header=true, all_varchar=true))")
    base = score(con, "no judgements", o / "P0.csv", o / "C0.csv")
    alone = score(con, "judged pairs forced", o / "Pc.csv", o / "Cc.csv")
    learnt = score(con, "judgements learnt", o / "P1.csv", o / "C1.csv")
    for i, what in enumerate(("pairs", "clusters")):
        print(f"{what}: error with judgements learnt / without = {learnt[i] / base[i]:.3f} "
              f"(fall {1 - learnt[i] / base[i]:.1%}); judged pairs forced alone / without = "
              f"{alone[i] / base[i]:.3f} (fall {1 - alone[i] / base[i]:.1%})")
    print(f"time: run 1 {t0:.1f} s, run 2 {t1:.1f} s")


if __name__ == "__main__":
    main()
