"""cruce on DuckDB against cruce on Spark (local[2]), one world, same process, one after the other.

    .venv/bin/python bench/evalworld.py --people 20000 --seed 1 --out /tmp/w20k-s1
    .venv/bin/python bench/link_spark.py /tmp/w20k-s1

Links every `*.jsonl` of the world with `link_files(engine=...)` at the default threshold on
each engine, scores each engine's pairs against the world's `truth.csv` (record_id, person_id)
and compares the two engines' pairs (issue 12 #5: within F1 0.005 of each other).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import duckdb  # noqa: E402
from _linkbench import metrics  # noqa: E402

from cruce.link import link_files  # noqa: E402


def main(world: Path) -> None:
    files = sorted(world.glob("*.jsonl"))
    con = duckdb.connect()
    truth = str(world / "truth.csv").replace("'", "''")
    con.execute("CREATE TABLE t0 AS SELECT record_id, person_id AS entity_id "
                f"FROM read_csv('{truth}', all_varchar = true)")
    metrics.load_truth(con, "truth", "t0")
    found: dict[str, set[tuple[str, str]]] = {}
    for engine in ("duckdb", "spark"):
        start = time.perf_counter()
        result = link_files(files, threshold=0.5, engine=engine)
        seconds = time.perf_counter() - start
        rows = result.con.execute(
            f"SELECT unique_id_l, unique_id_r FROM {result.pairs_table}").fetchall()
        pairs = {(min(a, b), max(a, b)) for a, b in rows}
        con.execute(f"CREATE TABLE p_{engine} (left_id VARCHAR, right_id VARCHAR)")
        con.executemany(f"INSERT INTO p_{engine} VALUES (?, ?)", sorted(pairs))
        score = metrics.score_pairs(con, f"p_{engine}", "truth")
        print(f"{engine}: {result.records} records, {seconds:.1f} s, {len(pairs)} pairs, "
              f"P {score.precision:.4f} R {score.recall:.4f} F1 {score.f1:.4f}", flush=True)
        found[engine] = pairs
    duck, spark = found["duckdb"], found["spark"]
    common = len(duck & spark)
    agreement = 2 * common / (len(duck) + len(spark)) if duck or spark else 1.0
    print(f"in common {common}, only duckdb {len(duck - spark)}, only spark {len(spark - duck)}, "
          f"F1 of spark's pairs against duckdb's {agreement:.4f}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: bench/link_spark.py WORLD_FOLDER")
    main(Path(sys.argv[1]))
