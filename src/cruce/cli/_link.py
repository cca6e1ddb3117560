"""`cruce link`: find the records that refer to the same person, with explanations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any

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
    retrain: Annotated[bool, typer.Option("--retrain", help="Node mode: also re-estimate m from the pairs reviewers judged the same (judgements always train the model's supervised layer).")] = False,
    review_n: Annotated[int, typer.Option("--review", help="Also write the N pairs whose judgement would teach the model most (--review-out).")] = 0,
    review_out: Annotated[Path | None, typer.Option("--review-out", help="Write the --review pairs here: left_id,right_id,probability, least sure first.")] = None,
    judgements: Annotated[Path | None, typer.Option("--judgements", help="CSV left_id,right_id,judgement (same, different, unsure): forced on the judged pairs and clusters, and learnt from for every pair.")] = None,
    learn: Annotated[bool, typer.Option("--learn/--no-learn", help="With --judgements: learn from them (default), or only force them on the judged pairs and clusters.")] = True,
    db: DbOption = "cruce.duckdb",
    as_json: JsonOption = False,
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
    if review_n < 0:
        raise InvalidInput(f"--review must be a number of pairs (0 or more), not {review_n}")
    if review_n and review_out is None:
        raise InvalidInput("--review N needs --review-out REVIEW.csv (where to write the pairs)")
    if not files:
        if review_n or judgements is not None:
            raise InvalidInput("--review and --judgements are for files; in a node use "
                               "`cruce review` and `cruce judge`, then `cruce link --db`")
        _link_node(db, threshold, engine, retrain, as_json)
        return
    if out is None:
        raise InvalidInput("linking files needs --out PAIRS.csv")
    asked = _Asked(explain, review_n, review_out, judgements, as_json, learn)
    _link_files(files, out, clusters, threshold, engine, asked)


@dataclass(frozen=True)
class _Asked:
    """What a file run writes and prints besides its pairs and clusters."""

    explain: int
    review: int
    review_out: Path | None
    judgements: Path | None
    as_json: bool
    learn: bool


def _link_node(db: str, threshold: float, engine: str, retrain: bool, as_json: bool) -> None:
    with open_node(db) as node, _spinner() as step:
        summary = node.linkage.run(threshold, engine=engine, retrain=retrain, progress=step)
    if as_json:
        print_json(asdict(summary) | {"threshold": threshold})
        return
    console.print(f"{summary.records} people: {summary.pairs} pairs at or above {threshold}, "
                  f"{summary.clusters} clusters ({summary.linked_records} records linked to "
                  f"another), model {summary.model_version}", highlight=False)
    if summary.learnt_from:
        console.print(f"learnt from {summary.learnt_from} judged pairs", highlight=False)
    _report_unparsed(summary.unparsed_names)


def _link_files(files: list[Path], out: Path, clusters: Path | None, threshold: float,
                engine: str, asked: _Asked) -> None:
    from cruce.link import link_files

    with _spinner() as step:
        try:
            result = link_files(files, threshold=threshold, engine=engine, progress=step,
                                judgements=asked.judgements, learn=asked.learn)
        except BadRow as exc:  # the file is not JSON lines: one line, file:line: field: why
            raise InvalidInput(f"{exc.file}:{exc.line}: {exc.column}: {exc.reason}") from None
        n_pairs = result.write_pairs(out)
        if clusters is not None:
            result.write_clusters(clusters)
        n_review = 0
        if asked.review and asked.review_out is not None:
            n_review = result.write_review(asked.review_out, asked.review)
    for bad in result.skipped:
        err_console.print(f"Warning: skipped {bad}", markup=False, highlight=False,
                          soft_wrap=True)
    explained = result.explained_pairs(asked.explain, "source_l <> source_r") \
        if asked.explain else []
    if asked.as_json:
        print_json({"records": result.records, "pairs": n_pairs, "threshold": threshold,
                    "model_version": result.model_version, "out": str(out),
                    "skipped_lines": result.skipped_lines,
                    "unparsed_names": result.unparsed_names,
                    "judgements": len(result.judgements), "learnt_from": result.learnt_from,
                    "review": n_review, "explained": [_explained(r) for r in explained]})
        return
    console.print(f"{result.records} records, {n_pairs} pairs at or above {threshold} "
                  f"(model {result.model_version}) -> {out}", highlight=False)
    if result.judgements:
        console.print(f"judgements: {len(result.judgements)} read, the model learnt from "
                      f"{result.learnt_from} judged pairs", highlight=False)
    if asked.review_out is not None and asked.review:
        console.print(f"review: {n_review} pairs to judge -> {asked.review_out}",
                      highlight=False)
    if result.skipped_lines:
        console.print(f"skipped_lines: {result.skipped_lines} (not valid FtM entities)",
                      highlight=False)
    _report_unparsed(result.unparsed_names)
    if explained:
        _print_explained(explained)


def _explained(row: dict[str, Any]) -> dict[str, Any]:
    """One explained pair for --json: ids, probability, both names, the evidence per field."""
    return {"left_id": row["unique_id_l"], "right_id": row["unique_id_r"],
            "probability": round(float(row["match_probability"]), 6),
            "left_name": _plain_name(row, "l"), "right_name": _plain_name(row, "r"),
            "left_source": row.get("source_l"), "right_source": row.get("source_r"),
            "explanation": row["explanation"]}


def _print_explained(explained: list[dict[str, Any]]) -> None:
    from cruce.link import summarise

    table = Table("probability", "left", "right", "evidence", title="Cross-file links")
    for row in explained:
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
    """Show the pairs whose judgement would teach the model most, least sure first: both
    records' names and fields side by side, with the evidence per field (match weight in bits
    per comparison). Judge them with `cruce judge`; the next `cruce link --db` learns from it."""
    if node:
        pairs = _remote.review(node, token, limit)
    else:
        with open_node(db) as opened:
            pairs = opened.linkage.review(limit)
    if as_json:
        print_json(pairs)
        return
    if not pairs:
        console.print("no pair to review: run `cruce link --db` first, or every scored pair "
                      "is judged or certain", highlight=False)
        return
    for number, p in enumerate(pairs, start=1):
        # The ids whole, on their own line: they are what `cruce judge` takes.
        console.print(f"{number}. probability {p['probability']:.3f}: {p['left_id']} "
                      f"{p['right_id']}", markup=False, highlight=False, soft_wrap=True)
        console.print(_pair_table(p))
    console.print("judge with: cruce judge LEFT RIGHT same|different|unsure --why '...'")


def _pair_table(pair: dict[str, Any]) -> Table:
    """One pair: a column per record, a row per field, then the evidence per comparison."""
    left, right = pair.get("left") or {}, pair.get("right") or {}
    table = Table("", "left", "right")
    table.add_row("agency", escape(str(left.get("agency") or "")),
                  escape(str(right.get("agency") or "")))
    for field in pair.get("fields", []):
        table.add_row(escape(field["property"]), escape(field["left"]), escape(field["right"]))
    if left.get("read") is False or right.get("read") is False:
        table.add_row("", "(not read: purpose)" if left.get("read") is False else "",
                      "(not read: purpose)" if right.get("read") is False else "")
    table.add_section()  # below: the evidence, one comparison a row (its level, its weight)
    for e in pair["explanation"]:
        table.add_row(f"[dim]{escape(e['field'])}[/dim]", escape(e["level"]),
                      f"{e['weight']:+.1f} bits")
    return table


@reports_errors
def evaluate(
    db: DbOption = "cruce.duckdb",
    threshold: Annotated[float, typer.Option("--threshold", help="Link pairs at or above this probability.")] = 0.5,
    as_json: JsonOption = False,
) -> None:
    """Precision, recall and F1 of the stored model's pairs against reviewers' judgements;
    what the judgements cannot measure yet is said, with why, never printed as nan."""
    with open_node(db) as node:
        r = node.linkage.evaluate(threshold)
    if as_json:
        print_json(r)
        return
    judged = r["tp"] + r["fp"] + r["fn"] + r["tn"]
    shown = [f"{name} {r[name]:.3f}" for name in ("precision", "recall", "f1")
             if r[name] is not None]
    console.print(f"against {judged} judged pairs: {', '.join(shown) or 'nothing measured'} "
                  f"(tp {r['tp']}, fp {r['fp']}, fn {r['fn']}, tn {r['tn']})", highlight=False)
    for why in r["why"]:
        console.print(f"cannot compute {why}" if ":" in why else f"nothing to compute: {why}",
                      highlight=False)


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


def _plain_name(row: dict[str, Any], side: str) -> str:
    parts = [row.get(f"given1_{side}"), row.get(f"surname1_{side}"), row.get(f"surname2_{side}")]
    return " ".join(str(p) for p in parts if p)


def _name(row: dict[str, Any], side: str) -> str:
    return escape(_plain_name(row, side))  # a name is data, never rich markup
