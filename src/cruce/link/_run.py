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
from cruce.link import _engine, _judged, _prepare
from cruce.link._backends import backend
from cruce.link._explain import Explainer
from cruce.link._input import BadLine
from cruce.link._judgements import Judgement, read_judgements
from cruce.link._review import select_for_review

Progress = Callable[[str], None]
# Every run scores every blocked pair down to this probability (reviewing and learning need
# them: the pairs a judgement could still lift above the threshold are among them).
SCORE_FLOOR = 0.001


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
    scored_table: str  # every scored pair down to the run's floor
    unparsed_names: int = 0  # records linked on their raw name: the parser could not read it
    skipped: list[BadLine] = field(default_factory=list)  # the first bad input lines skipped
    skipped_lines: int = 0  # every bad input line skipped
    judgements: list[Judgement] = field(default_factory=list)
    learnt_from: int = 0  # judged pairs the supervised layer was fitted on (0: none)
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

    def review(self, n: int) -> list[tuple[str, str, float]]:
        """The n pairs whose judgement would teach the model most (not yet judged)."""
        judged = [(j.left_id, j.right_id) for j in self.judgements]
        return select_for_review(self.con, self.scored_table, n, judged)

    def write_review(self, path: Path, n: int) -> int:
        """left_id,right_id,probability of the n pairs to judge next, least sure first."""
        rows = [(a, b, round(p, 6)) for a, b, p in self.review(n)]
        return write_csv(path, ("left_id", "right_id", "probability"), rows)

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
    judgements: Path | None = None,
    learn: bool = True,
) -> LinkResult:
    """Link and dedupe FtM Person JSON lines, all files together; with `judgements` (a CSV
    file left_id,right_id,judgement) reviewers' answers train the model and constrain the
    clusters (with `learn` false: constrain only); every pair down to SCORE_FLOOR stays
    scored for `LinkResult.review`."""
    con = duckdb.connect()
    progress("reading records")
    records, checks = _prepare.load_jsonl(con, files)
    judged: list[Judgement] = []
    if judgements is not None:
        known = {str(r[0]) for r in con.execute("SELECT id FROM entities").fetchall()}
        judged = read_judgements(judgements, known)
    result = _link(con, records, threshold, engine, progress, None, judged, SCORE_FLOOR, learn)
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
    judgements: Sequence[Judgement] = (),
    floor: float | None = None,
) -> LinkResult:
    """Link records given as an Arrow table (id, source, properties JSON); with `floor`
    every pair down to that probability stays scored, and `judgements` train and constrain."""
    con = duckdb.connect()
    records = _prepare.load_table(con, table)
    return _link(con, records, threshold, engine, progress, labels, judgements, floor)


def _link(
    con: duckdb.DuckDBPyConnection,
    records: int,
    threshold: float,
    engine: str,
    progress: Progress,
    labels: list[tuple[str, str]] | None = None,
    judgements: Sequence[Judgement] = (),
    floor: float | None = None,
    learn: bool = True,
) -> LinkResult:
    if records < 2:
        raise LinkageConfigError(f"linkage needs at least two Person records, found {records}")
    progress("standardising names, dates, documents")
    unparsed = _prepare.build_features(con)
    if engine != "duckdb":
        progress(f"starting {engine}")
    runner = backend(con, engine)
    linker, trained = _engine.train(runner, records, progress, labels)
    # Every run scores down to the floor and clusters the same way, judgements or not, so that
    # asking for a review file never changes the clusters: connected components at the
    # threshold chained father and son through one strong link (evaluation world, 20k people,
    # seed 2: cluster F1 0.896 with components, 0.935 with the agreement across; 17 s -> 22 s).
    scored = _engine.predict_all(runner, linker, min(floor or SCORE_FLOOR, threshold), progress)
    if judgements:
        progress("learning from reviewers' judgements")
    ids = [str(r[0]) for r in con.execute("SELECT unique_id FROM features").fetchall()]
    done = _judged.apply(con, scored, ids, list(judgements), threshold, learn)
    model = trained.model
    if done.layer is not None:  # the layer is part of the model: its version names it
        model = {**model, "cruce_judgements_layer": done.layer.to_json()}
    result = LinkResult(con, done.pairs_table, done.clusters_table, model,
                        _engine.model_version(model), records, threshold, done.scored_table,
                        unparsed, judgements=list(judgements),
                        learnt_from=done.layer.labels if done.layer else 0)
    return result


def read_pairs(path: Path) -> list[tuple[str, str, float]]:
    """The pairs of a file `write_pairs` wrote, ids as they were before neutralising."""
    with path.open(newline="", encoding="utf-8") as fh:
        return [(unsafe_cell(r["left_id"]), unsafe_cell(r["right_id"]), float(r["probability"]))
                for r in csv.DictReader(fh)]


def _batches(cursor: duckdb.DuckDBPyConnection, size: int = 50_000) -> Iterator[tuple[Any, ...]]:
    while batch := cursor.fetchmany(size):
        yield from batch
