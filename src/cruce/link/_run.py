"""One linkage run: prepare features, train, score, explain, cluster."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from cruce._csvsafe import unsafe_cell, write_csv
from cruce.errors import LinkageConfigError
from cruce.link import _engine, _prepare
from cruce.link._backends import backend
from cruce.link._explain import Explainer
from cruce.link._input import BadLine

Progress = Callable[[str], None]


@dataclass
class LinkResult:
    """Scored pairs and clusters of one run, inside the run's DuckDB connection."""

    con: duckdb.DuckDBPyConnection
    pairs_table: str
    clusters_table: str
    model: dict[str, Any]
    model_version: str
    records: int
    threshold: float
    unparsed_names: int = 0  # records linked on their raw name: the parser could not read it
    skipped: list[BadLine] = field(default_factory=list)  # the first bad input lines skipped
    skipped_lines: int = 0  # every bad input line skipped
    explainer: Explainer = field(init=False)

    def __post_init__(self) -> None:
        self.explainer = Explainer(self.model)

    def pair_count(self) -> int:
        row = self.con.execute(f"SELECT count(*) FROM {self.pairs_table}").fetchall()[0]
        return int(row[0]) if row else 0

    def write_pairs(self, path: Path) -> int:
        """left_id,right_id,probability for every pair at or above the threshold (a private
        file; an id a spreadsheet would read as a formula is written with a leading ')."""
        cursor = self.con.execute(
            f"SELECT unique_id_l AS left_id, unique_id_r AS right_id, "
            f"round(match_probability, 6) AS probability FROM {self.pairs_table} "
            "ORDER BY probability DESC, left_id, right_id"
        )
        return write_csv(path, ("left_id", "right_id", "probability"), _batches(cursor))

    def write_clusters(self, path: Path) -> None:
        """id,cluster_id for every input record (private, formulas neutralised)."""
        cursor = self.con.execute(
            f"SELECT unique_id AS id, cluster_id FROM {self.clusters_table} ORDER BY id"
        )
        write_csv(path, ("id", "cluster_id"), _batches(cursor))

    def explained_pairs(self, limit: int = 10, where: str = "TRUE") -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = (
            self.con.sql(
                f"SELECT * FROM {self.pairs_table} WHERE {where} "
                f"ORDER BY match_probability DESC LIMIT {int(limit)}"
            )
            .to_arrow_table()
            .to_pylist()
        )
        for row in rows:
            row["explanation"] = self.explainer.explain(row)
        return rows


def link_files(
    files: Sequence[Path],
    *,
    threshold: float = 0.5,
    engine: str = "duckdb",
    progress: Progress = lambda step: None,
) -> LinkResult:
    """Link and dedupe FtM Person JSON lines, all files together."""
    con = duckdb.connect()
    progress("reading records")
    records, checks = _prepare.load_jsonl(con, files)
    result = _link(con, records, threshold, engine, progress)
    result.skipped = [bad for check in checks for bad in check.bad]
    result.skipped_lines = sum(check.skipped for check in checks)
    return result


def link_table(
    table: pa.Table,
    *,
    threshold: float = 0.5,
    engine: str = "duckdb",
    labels: list[tuple[str, str]] | None = None,
    progress: Progress = lambda step: None,
) -> LinkResult:
    """Link records given as an Arrow table (id, source, properties JSON)."""
    con = duckdb.connect()
    records = _prepare.load_table(con, table)
    return _link(con, records, threshold, engine, progress, labels)


def _link(
    con: duckdb.DuckDBPyConnection,
    records: int,
    threshold: float,
    engine: str,
    progress: Progress,
    labels: list[tuple[str, str]] | None = None,
) -> LinkResult:
    if records < 2:
        raise LinkageConfigError(f"linkage needs at least two Person records, found {records}")
    progress("standardising names, dates, documents")
    unparsed = _prepare.build_features(con)
    if engine != "duckdb":
        progress(f"starting {engine}")
    runner = backend(con, engine)
    linker, trained = _engine.train(runner, records, progress, labels)
    pairs, clusters = _engine.predict_and_cluster(runner, linker, threshold, progress)
    return LinkResult(con, pairs, clusters, trained.model, trained.version, records, threshold,
                      unparsed)


def read_pairs(path: Path) -> list[tuple[str, str, float]]:
    """The pairs of a file `write_pairs` wrote, ids as they were before neutralising."""
    with path.open(newline="", encoding="utf-8") as fh:
        return [(unsafe_cell(r["left_id"]), unsafe_cell(r["right_id"]), float(r["probability"]))
                for r in csv.DictReader(fh)]


def _batches(cursor: duckdb.DuckDBPyConnection, size: int = 50_000) -> Iterator[tuple[Any, ...]]:
    while batch := cursor.fetchmany(size):
        yield from batch
