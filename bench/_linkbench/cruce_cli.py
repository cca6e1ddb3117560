"""cruce's linkage, called only through its CLI contract:

    cruce link FILE.jsonl [FILE.jsonl ...] --out PAIRS.csv [--clusters CLUSTERS.csv] [--threshold P]

It reads FtM Person JSON lines (all files together: link and dedupe), writes
`left_id,right_id,probability` for every pair at or above P (default 0.5) and `id,cluster_id` for
every record. The wall time is that of the whole subprocess.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb


def cruce_bin() -> Path:
    return Path(sys.executable).parent / "cruce"


def link_available() -> tuple[bool, str]:
    """Whether `cruce link` exists here; else why not."""
    exe = cruce_bin()
    if not exe.exists():
        return False, f"{exe} not found (is the package installed in this venv?)"
    try:
        done = subprocess.run(
            [str(exe), "link", "--help"], capture_output=True, text=True, timeout=120
        )
    except subprocess.TimeoutExpired:
        return False, "`cruce link --help` did not answer in 120 s"
    if done.returncode != 0:
        text = done.stderr + done.stdout
        if "No such command" in text:
            return False, "this cruce has no `link` command yet"
        lines = [ln.strip(" │╭╮╰╯─") for ln in text.splitlines()]
        said = [ln for ln in lines if ln]
        return False, f"`cruce link --help` failed: {said[-1] if said else done.returncode}"
    return True, ""


def command(files: list[Path], pairs: Path, clusters: Path, threshold: float | None) -> list[str]:
    cmd = [str(cruce_bin()), "link", *map(str, files), "--out", str(pairs)]
    cmd += ["--clusters", str(clusters)]
    if threshold is not None:
        cmd += ["--threshold", str(threshold)]
    return cmd


def command_text(cmd: list[str]) -> str:
    return shlex.join(cmd)


@dataclass(frozen=True)
class CruceRun:
    seconds: float
    pairs: Path
    clusters: Path


def run_link(
    files: list[Path], out_dir: Path, threshold: float | None = None,
    timeout: float | None = None,
) -> CruceRun:
    """Run `cruce link` on the files, outputs under `out_dir`; raise if it fails, and
    subprocess.TimeoutExpired (the process killed) past `timeout` seconds."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pairs, clusters = out_dir / "cruce_pairs.csv", out_dir / "cruce_clusters.csv"
    for stale in (pairs, clusters):
        stale.unlink(missing_ok=True)
    cmd = command(files, pairs, clusters, threshold)
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(
            f"{command_text(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}"
        )
    return CruceRun(seconds, pairs, clusters)


_PAIRS = {"left_id": "VARCHAR", "right_id": "VARCHAR", "probability": "DOUBLE"}
_CLUSTERS = {"id": "VARCHAR", "cluster_id": "VARCHAR"}


def _csv(path: Path, columns: dict[str, str]) -> str:
    """A relation over the CSV file, with or without a header line (empty if the file is
    empty or missing)."""
    first = ""
    if path.exists():
        with path.open(encoding="utf-8") as fh:
            first = fh.readline().strip().lower()
    if not first:
        cols = ", ".join(f"null::{kind} as {name}" for name, kind in columns.items())
        return f"(select {cols} where false)"
    header = [c.strip().strip('"') for c in first.split(",")][: len(columns)] == list(columns)
    spec = ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items())
    return f"read_csv('{path}', header={str(header).lower()}, columns={{{spec}}})"


def load_outputs(con: duckdb.DuckDBPyConnection, run: CruceRun) -> None:
    """Create views `cruce_pairs` and `cruce_clusters` over the run's CSV files."""
    con.execute(
        f"create or replace view cruce_pairs as select * from "
        f"{_csv(run.pairs, _PAIRS)}"
    )
    con.execute(
        f"create or replace view cruce_clusters as select * from "
        f"{_csv(run.clusters, _CLUSTERS)}"
    )
