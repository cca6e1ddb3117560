"""Secondary suppression at scale: cruce's methods against the hypercube method and pytauargus
(run through bench/statistics.py, which issue 17 names; the code lives here, see that file).

    .venv/bin/python bench/statistics.py --scale 10,48,60,4 --method fast --method hypercube
    .venv/bin/python bench/statistics.py --scale 4,12,30,4 --method lp --method fast --tauargus

A synthetic, encounter-like world: counts by region x month x citizenship x demographic, Poisson
around `--rate` times a product of region, month, Zipf-distributed citizenship and demographic
effects (so the long tail of citizenships gives many small cells, as real border tables do).
Three linked tables are published from it: region x month x citizenship, region x citizenship x
demographic and month x citizenship x demographic (they share their citizenship margins and
more). Every cell of every table with its margins counts once in "cells". min_cell 11 (CTDC).

Each method runs in a child process of its own (wall and CPU seconds and peak RSS measured
there), one after the other, never two at once; on a shared machine CPU seconds are the figure
to read (the methods are single-threaded). The audit (the attacker's LP, `audit_suppression`)
of the whole publication takes two LPs per suppressed cell; with --audit-sample N it checks N
primary cells picked evenly (the LP bounds are those of the whole system either way).

pytauargus (--tauargus; where it installs: `pip install pytauargus`, 0.6.0 on Linux x86_64)
protects each table from microdata (one row per person counted, response 1, FREQ(11,0),
MOD(1) = its modular HiTaS method; OPT on tables this size does not finish) in its own child
with a time limit (--tauargus-timeout, default 600 s).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

DIMS = ("region", "month", "citizenship", "demographic")
TABLE_AXES = ((0, 1, 2), (0, 2, 3), (1, 2, 3))
MIN_CELL = 11


def world(seed: int, shape: tuple[int, int, int, int], rate: float = 1.5) -> np.ndarray:
    regions, months, citizenships, demographics = shape
    rng = np.random.default_rng(seed)
    popularity = rng.zipf(1.6, size=citizenships).clip(1, 2000).astype(float)
    region = rng.uniform(0.2, 3.0, size=regions)
    month = rng.uniform(0.6, 1.4, size=months)
    demographic = np.array([5.0, 2.0, 1.0, 0.5, 0.3, 0.2])[:demographics]
    counts: np.ndarray = rng.poisson(
        rate * np.einsum("r,m,c,d->rmcd", region, month, popularity, demographic))
    return counts


def names(shape: tuple[int, ...]) -> list[list[str]]:
    return [[f"R{i:02d}" for i in range(shape[0])],
            [f"{2016 + i // 12}-{i % 12 + 1:02d}" for i in range(shape[1])],
            [f"C{i:03d}" for i in range(shape[2])], [f"D{i}" for i in range(shape[3])]]


def tables(counts: np.ndarray) -> list[Any]:
    from cruce.stats import Table

    labels = names(counts.shape)
    out = []
    for axes in TABLE_AXES:
        summed = counts.sum(axis=tuple(a for a in range(4) if a not in axes))
        cells = {tuple(labels[a][i] for a, i in zip(axes, index, strict=True)): int(v)
                 for index, v in np.ndenumerate(summed)}
        out.append(Table(tuple(DIMS[a] for a in axes), cells))
    return out


def run_cruce(counts: np.ndarray, method: str, audit_sample: int) -> dict[str, Any]:
    from cruce.stats import audit_suppression, suppress_linked
    from cruce.stats._suppress_audit import CellRange

    linked = tables(counts)
    started, cpu = time.perf_counter(), time.process_time()
    published = suppress_linked(linked, min_cell=MIN_CELL, method=method)  # type: ignore[arg-type]
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    result = summary(published) | {"method": method, "seconds": round(seconds, 2),
                                   "cpu_seconds": round(cpu, 2)}
    started = time.perf_counter()
    audit = audit_suppression(published) if audit_sample == 0 else None
    if audit is not None:
        result |= {"audit": "all", "exposed": len(audit.exposed),
                   "small_published": len(audit.small_published)}
    else:
        ranges = sample_ranges(published, audit_sample)
        result |= {"audit": f"{len(ranges)} primary cells",
                   "exposed": sum(not r.is_protected for r in ranges)}
        assert all(isinstance(r, CellRange) for r in ranges)
    result["audit_seconds"] = round(time.perf_counter() - started, 1)
    return result


def summary(published: list[Any]) -> dict[str, Any]:
    from cruce.stats._suppress_audit import _cells

    dims = tuple(dict.fromkeys(d for t in published for d in t.dims))
    values, suppressed, primary = _cells(published, dims)[:3]
    return {"cells": len(values), "primary": len(primary),
            "secondary": len(suppressed - primary), "suppressed": len(suppressed),
            "suppressed_value": int(sum(values[k] for k in suppressed - primary))}


def sample_ranges(published: list[Any], n: int) -> list[Any]:
    """The attacker's bounds on n primary cells picked evenly, over the whole publication."""
    import highspy

    from cruce.stats import _suppress_audit as audit
    from cruce.stats._suppress import protection
    from cruce.stats._suppress_solver import new_solver

    dims = tuple(dict.fromkeys(d for t in published for d in t.dims))
    values, suppressed, primary = audit._cells(published, dims)[:3]
    hidden = sorted(suppressed)
    column = {key: i for i, key in enumerate(hidden)}
    rows = audit._relations(published, dims, values, column)
    picked = sorted(primary)[:: max(1, len(primary) // n)][:n]
    solver = new_solver()
    width = len(hidden)
    solver.addVars(width, np.zeros(width), np.full(width, highspy.kHighsInf))
    for coefficients, rhs in rows:
        solver.addRow(rhs, rhs, len(coefficients), np.asarray(list(coefficients), np.int32),
                      np.asarray(list(coefficients.values()), np.float64))
    out = []
    for key in picked:
        low = audit._bound(solver, column[key], highspy.ObjSense.kMinimize)
        high = audit._bound(solver, column[key], highspy.ObjSense.kMaximize)
        out.append(audit.CellRange(key, values[key], low, high, True,
                                   protection(values[key], MIN_CELL)))
    return out


def run_tauargus(counts: np.ndarray, workdir: Path, audit_sample: int) -> dict[str, Any]:
    from pytauargus import protect

    labels = names(counts.shape)
    microdata: dict[str, list[Any]] = {d: [] for d in DIMS}
    microdata["one"] = []
    for index, n in np.ndenumerate(counts):
        for axis, d in enumerate(DIMS):
            microdata[d].extend([labels[axis][index[axis]]] * int(n))
        microdata["one"].extend([1.0] * int(n))
    started, cpu = time.perf_counter(), time.process_time()
    result = protect(microdata, [[DIMS[a] for a in axes] for axes in TABLE_AXES], response="one",
                     safety_rules=f"FREQ({MIN_CELL},0)", suppress="MOD(1)",
                     workdir=str(workdir))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    frames = [t.dataframe() for t in result.tables]
    status = [f["status"].astype(str).str.upper().tolist() for f in frames]
    published = [as_suppression(f, [DIMS[a] for a in axes]) for f, axes in zip(frames, TABLE_AXES,
                                                                                  strict=True)]
    ranges = sample_ranges(published, audit_sample)
    return {"method": "pytauargus MOD", "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu, 2),
            "rows": len(microdata["one"]), "cells_per_table_summed": sum(len(f) for f in frames),
            "statuses": {s: sum(x.count(s) for x in status) for s in sorted({*sum(status, [])})},
            **summary(published), "audit": f"{len(ranges)} primary cells, cruce's rule",
            "exposed": sum(not r.is_protected for r in ranges),
            "exposed_exactly": sum(r.high - r.low < 1e-6 for r in ranges)}


def as_suppression(frame: Any, dims: list[str]) -> Any:
    """pytauargus' table (status U primary, M secondary) as cruce's Suppression, to audit."""
    from cruce.stats import Suppression

    values, primary, secondary = {}, set(), set()
    for row in frame.itertuples(index=False):
        key = tuple(str(getattr(row, d)) for d in dims)
        values[key] = int(row.freq)
        state = str(row.status).upper()
        if state == "U":
            primary.add(key)
        elif state == "M":
            secondary.add(key)
    return Suppression(tuple(dims), MIN_CELL, values, frozenset(primary), frozenset(secondary))


def child(args: argparse.Namespace) -> None:
    counts = world(args.seed, tuple(args.scale), args.rate)
    if args.child == "tauargus":
        result = run_tauargus(counts, Path(args.workdir), args.audit_sample or 100)
    else:
        result = run_cruce(counts, args.child, args.audit_sample)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=lambda s: [int(x) for x in s.split(",")],
                        default=[10, 48, 60, 4], help="regions,months,citizenships,demographics")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate", type=float, default=1.5, help="overall rate of the counts")
    parser.add_argument("--method", action="append", choices=["lp", "hypercube", "fast", "best"])
    parser.add_argument("--tauargus", action="store_true")
    parser.add_argument("--tauargus-timeout", type=int, default=600)
    parser.add_argument("--timeout", type=int, default=900, help="per cruce method, seconds")
    parser.add_argument("--audit-sample", type=int, default=200, help="0: audit every cell")
    parser.add_argument("--workdir", default="bench/out/tauargus")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    runs = [(m, args.timeout) for m in args.method or ["fast", "hypercube"]]
    if args.tauargus:
        runs.append(("tauargus", args.tauargus_timeout))
    for name, limit in runs:
        command = [sys.executable, __file__, "--child", name, "--scale",
                   ",".join(map(str, args.scale)), "--seed", str(args.seed), "--rate",
                   str(args.rate), "--audit-sample",
                   str(args.audit_sample), "--workdir", args.workdir]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=limit,
                                  check=False)
        except subprocess.TimeoutExpired:
            print(json.dumps({"method": name, "seconds": f"> {limit} (stopped)"}), flush=True)
            continue
        line = done.stdout.strip().splitlines()[-1:] or [done.stderr.strip()[-500:]]
        print(line[0], flush=True)


if __name__ == "__main__":
    main()
