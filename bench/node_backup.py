"""Backup and restore of a node: `cruce node backup` and `cruce node restore` on a node holding
the ingest benchmark's records, and the store's own validation of a million rows.

    .venv/bin/python bench/node_backup.py --rows 200000

Each figure is the whole command as an operator runs it (a new process: imports, opening the
node and its log, the copy, the manifest's digests; for restore also the log's verification).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE))


def run(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run([str(BIN / "cruce"), *args], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def time_validation(rows: int) -> float:
    """cruce.store._limits.refuse_unstorable on `rows` typical record rows (best of 3)."""
    import pyarrow as pa

    from cruce.store._limits import refuse_unstorable

    props = json.dumps({"name": ["Hernandez Garcia Jose Luis"], "birthDate": ["1990-03-05"]})
    table = pa.table({"id": [f"{i:040x}" for i in range(rows)],
                      "caption": ["Hernandez Garcia Jose Luis"] * rows,
                      "properties": [props] * rows, "agency": ["hn_police"] * rows,
                      "dataset": ["hn_police_personas"] * rows})
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        refuse_unstorable(table)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    from ingest import prepare

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=HERE / "out" / "node_backup")
    args = parser.parse_args()
    csv_path, mapping = prepare(args.out, args.rows, args.seed)
    db, backup, restored = args.out / "node.duckdb", args.out / "backup", args.out / "new.duckdb"
    for path in (db, backup, restored):
        for extra in ("", ".wal", ".audit", ".keys"):
            target = Path(f"{path}{extra}")
            shutil.rmtree(target, ignore_errors=True) if target.is_dir() else \
                target.unlink(missing_ok=True)
    run("ingest", str(csv_path), "--mapping", str(mapping), "--db", str(db), "--create")
    size = sum(p.stat().st_size for p in args.out.glob("node.duckdb*") if p.is_file())
    backup_s = run("node", "backup", "--db", str(db), "--out", str(backup))
    restore_s = run("node", "restore", str(backup), "--db", str(restored))
    print(f"node: {args.rows} rows ingested, store and log {size / 1e6:.0f} MB")
    print(f"cruce node backup   {backup_s:6.1f} s")
    print(f"cruce node restore  {restore_s:6.1f} s  (digests checked, log verified)")
    print(f"store validation of 1,000,000 rows: {time_validation(1_000_000) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
