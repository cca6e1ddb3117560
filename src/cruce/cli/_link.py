"""`cruce link`: find the records that refer to the same person, with explanations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from cruce.cli import _remote
from cruce.cli._common import (
    DbOption,
    JsonOption,
    console,
    err_console,
    open_node,
    print_json,
    reports_errors,
)
from cruce.cli._remote import NodeOption, TokenOption
from cruce.errors import BadRow, InvalidInput


@reports_errors
def link(
    files: Annotated[list[Path] | None, typer.Argument(help="FtM Person entities as JSON lines; all files are linked together. Without files: the node's own people (--db).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write left_id,right_id,probability here.")] = None,
    clusters: Annotated[Path | None, typer.Option("--clusters", help="Write id,cluster_id for every record here.")] = None,
    threshold: Annotated[float, typer.Option("--threshold", help="Keep pairs at or above this match probability.")] = 0.5,
    explain: Annotated[int, typer.Option("--explain", help="Print this many cross-file pairs with their evidence.")] = 0,
    engine: Annotated[str, typer.Option("--engine", help="duckdb (this machine) or spark (local[2] here; a cluster at national scale).")] = "duckdb",
    retrain: Annotated[bool, typer.Option("--retrain", help="Node mode: also train m on the pairs reviewers judged the same.")] = False,
    db: DbOption = "cruce.duckdb",
) -> None:
    """Link and dedupe people: scored pairs with explanations, clusters (Splink model).

    With files: `cruce link A.jsonl B.jsonl --out pairs.csv --clusters clusters.csv`.
    Without: links the node's own people, stores pairs (with the model version) and clusters
    with stable canonical ids, honouring reviewers' judgements.

    Bad input: one bad record never sinks a run. A line that is not a valid FtM entity is
    skipped with a warning (FILE:LINE: field: why) and counted (skipped_lines: N); a name the
    parser cannot read is linked on its raw words and counted (unparsed_names: N). A file
    that is not JSON lines at all (its first line is not a JSON object, or no line is a valid
    entity) stops the run with one line, Error: FILE:LINE: field: why, and exit code 2.
    """
    if not 0.0 < threshold <= 1.0:
        raise InvalidInput(f"--threshold must be in (0, 1], not {threshold}")
    if engine not in ("duckdb", "spark"):
        raise InvalidInput(f"--engine must be duckdb or spark, not {engine!r}")
    if not files:
        _link_node(db, threshold, engine, retrain)
        return
    if out is None:
        raise InvalidInput("linking files needs --out PAIRS.csv")
    _link_files(files, out, clusters, threshold, explain, engine)


def _link_node(db: str, threshold: float, engine: str, retrain: bool) -> None:
    with open_node(db) as node, _spinner() as step:
        summary = node.linkage.run(threshold, engine=engine, retrain=retrain, progress=step)
    console.print(f"{summary.records} people: {summary.pairs} pairs at or above {threshold}, "
                  f"{summary.clusters} clusters ({summary.linked_records} records linked to "
                  f"another), model {summary.model_version}", highlight=False)
    _report_unparsed(summary.unparsed_names)


def _link_files(files: list[Path], out: Path, clusters: Path | None, threshold: float,
                explain: int, engine: str) -> None:
    from cruce.link import link_files, summarise

    with _spinner() as step:
        try:
            result = link_files(files, threshold=threshold, engine=engine, progress=step)
        except BadRow as exc:  # the file is not JSON lines: one line, file:line: field: why
            raise InvalidInput(f"{exc.file}:{exc.line}: {exc.column}: {exc.reason}") from None
        n_pairs = result.write_pairs(out)
        if clusters is not None:
            result.write_clusters(clusters)
    for bad in result.skipped:
        err_console.print(f"Warning: skipped {bad}", markup=False, highlight=False,
                          soft_wrap=True)
    console.print(f"{result.records} records, {n_pairs} pairs at or above {threshold} "
                  f"(model {result.model_version}) -> {out}", highlight=False)
    if result.skipped_lines:
        console.print(f"skipped_lines: {result.skipped_lines} (not valid FtM entities)",
                      highlight=False)
    _report_unparsed(result.unparsed_names)
    if explain:
        table = Table("probability", "left", "right", "evidence", title="Cross-file links")
        for row in result.explained_pairs(explain, "source_l <> source_r"):
            table.add_row(f"{row['match_probability']:.3f}", _name(row, "l"), _name(row, "r"),
                          summarise(row["explanation"]))
        console.print(table)


def _report_unparsed(count: int) -> None:
    """Names the parser could not read were linked on their normalised raw words."""
    if count:
        console.print(f"unparsed_names: {count} (linked on the raw name)", highlight=False)


@contextmanager
def _spinner() -> Iterator[Callable[[str], None]]:
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    # No spinner where nobody watches (a pipe, a log): it would leave a blank line there.
    with Progress(*columns, console=err_console, transient=True,
                  disable=not err_console.is_terminal) as bar:
        task = bar.add_task("starting", total=None)
        yield lambda step: bar.update(task, description=step)


@reports_errors
def review(
    db: DbOption = "cruce.duckdb",
    limit: Annotated[int, typer.Option(help="How many pairs to show.")] = 10,
    node: NodeOption = "",
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """Show the pairs the model is least sure of, most uncertain first, with their evidence."""
    from cruce.link import summarise

    if node:
        pairs = _remote.review(node, token, limit)
    else:
        with open_node(db) as opened:
            pairs = opened.linkage.review(limit)
    if as_json:
        print_json(pairs)
        return
    table = Table("p", title="Pairs to review")
    # The ids whole, one per line: they are what `cruce judge` takes.
    table.add_column("left / right", no_wrap=True, overflow="fold")
    table.add_column("evidence", overflow="fold")
    for p in pairs:
        table.add_row(f"{p['probability']:.3f}",
                      escape(p["left_id"]) + "\n" + escape(p["right_id"]),
                      summarise(p["explanation"]))
    console.print(table)
    console.print("judge with: cruce judge LEFT RIGHT same|different|unsure --why '...'")


@reports_errors
def evaluate(
    db: DbOption = "cruce.duckdb",
    threshold: Annotated[float, typer.Option("--threshold", help="Link pairs at or above this probability.")] = 0.5,
) -> None:
    """Precision and recall of the stored model's pairs against reviewers' judgements."""
    with open_node(db) as node:
        r = node.linkage.evaluate(threshold)
    console.print(f"against {r['tp'] + r['fp'] + r['fn'] + r['tn']} judged pairs: precision "
                  f"{r['precision']:.3f}, recall {r['recall']:.3f} (tp {r['tp']}, fp {r['fp']}, "
                  f"fn {r['fn']}, tn {r['tn']})", highlight=False)


@reports_errors
def judge(
    left: Annotated[str, typer.Argument(help="One record's id.")],
    right: Annotated[str, typer.Argument(help="The other record's id.")],
    verdict: Annotated[str, typer.Argument(help="same, different or unsure.")],
    why: Annotated[str, typer.Option("--why", help="The reason, kept with the judgement.")] = "",
    db: DbOption = "cruce.duckdb",
    node: NodeOption = "",
    token: TokenOption = "",
) -> None:
    """Record a reviewer's judgement on a pair; it overrides the model from the next run on."""
    if node:
        kept = _remote.judge(node, token, left, right, verdict, why)
    else:
        with open_node(db) as opened:
            j = opened.linkage.judge(left, right, verdict, why)
        kept = {"left_id": j.left_id, "right_id": j.right_id, "verdict": j.verdict.value,
                "user": j.user}
    console.print(f"{kept['left_id']} {kept['verdict']} {kept['right_id']} (by {kept['user']})",
                  highlight=False)


def _name(row: dict[str, object], side: str) -> str:
    parts = [row.get(f"given1_{side}"), row.get(f"surname1_{side}"), row.get(f"surname2_{side}")]
    return escape(" ".join(str(p) for p in parts if p))  # a name is data, never rich markup
