"""A process killed (SIGKILL) during a large ingest leaves none or all of that file."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.conftest import HEADER, MAPPING

from cruce import Node

ROWS = 200_000


def big_csv(path: Path, rows: int, tag: str) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        fh.write(HEADER + "\n")
        for i in range(rows):
            fh.write(f"{tag}-{i},PEREZ LOPEZ JUAN {i},05/03/1990,9988{i % 10000:04d},IMPUTADO,"
                     f"Clica {i % 50},soldado,Honduras,M,\n")
    return path


def start_ingest(folder: Path, db: Path, csv_name: str) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "cruce", "ingest", str(folder / csv_name),
           "--mapping", str(folder / "mapping.yml"), "--db", str(db), "--create"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def persons(db: Path) -> int:
    with Node.open(db) as node:
        return dict(node.stats("schema")).get("Person", 0)


@pytest.mark.slow
def test_sigkill_mid_ingest_leaves_none_or_all_of_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "hn"
    folder.mkdir()
    (folder / "mapping.yml").write_text(MAPPING.replace("personas.csv", "big.csv"))
    big_csv(folder / "big.csv", ROWS, "A")
    db = tmp_path / "node.duckdb"

    started = time.monotonic()
    proc = start_ingest(folder, db, "big.csv")
    assert proc.wait(timeout=300) == 0, proc.stderr.read() if proc.stderr else ""
    full = time.monotonic() - started
    assert persons(db) == ROWS

    # A second file, killed at several points of its run: the first file must stay whole and
    # the second must be all there or not there at all.
    big_csv(folder / "big.csv", ROWS, "B")
    killed_while_running = 0
    for fraction in (0.2, 0.45, 0.7, 0.9):
        proc = start_ingest(folder, db, "big.csv")
        time.sleep(full * fraction)
        running = proc.poll() is None
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        count = persons(db)
        assert count in (ROWS, 2 * ROWS), f"killed at {fraction:.0%}: {count} persons"
        killed_while_running += running
        if count == 2 * ROWS:
            break
    # Otherwise every kill came after the ingest had finished and nothing above was tested.
    assert killed_while_running >= 1
