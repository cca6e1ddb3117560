"""Creating a node and bringing records in: init, ingest (the reads are in `_reads`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from cruce._files import redact_url
from cruce.cli._common import (
    DbOption,
    console,
    open_node,
    reports_errors,
)
from cruce.errors import InvalidInput

if TYPE_CHECKING:
    from cruce._node import Node
    from cruce.ingest import IngestResult


@reports_errors
def init(
    db: DbOption = "cruce.duckdb",
    agency: Annotated[str, typer.Option(help="The agency this node belongs to, e.g. hn_police.")] = "",
) -> None:
    """Create a node's store (or check an existing one) and bind it to its agency."""
    if not agency:
        raise InvalidInput("init needs --agency (e.g. --agency hn_police)")
    with open_node(db, agency, create=True) as node:
        console.print(f"node {node.agency} ready in {redact_url(str(db))}", highlight=False)


@reports_errors
def ingest(
    files: Annotated[list[Path], typer.Argument(help="CSV/XLSX files, FtM JSON lines, or a mapping YAML.")],
    db: DbOption = "cruce.duckdb",
    mapping: Annotated[Path | None, typer.Option(help="FtM mapping YAML with a cruce: block.")] = None,
    dataset: Annotated[str | None, typer.Option(help="Dataset of the mapping (or of JSON lines).")] = None,
    agency: Annotated[str | None, typer.Option(help="Owning agency, for JSON lines.")] = None,
    envelope: Annotated[str | None, typer.Option(help="Envelope defaults for JSON lines, as JSON.")] = None,
    rejects: Annotated[Path | None, typer.Option(help="Write bad rows here and store the rest.")] = None,
    create: Annotated[bool, typer.Option("--create", help="Create the node if --db names none yet (else refused: a mistyped path must not start a new node).")] = False,
) -> None:
    """Ingest files; each file is one transaction (all of it or nothing)."""
    defaults = _envelope_defaults(envelope, agency)
    with open_node(db, create=create) as node:
        jobs = _jobs(node, files, mapping)
        for path, map_file in jobs:
            result = _ingest_one(node, path, map_file, dataset, defaults, rejects)
            _print_result(result)


def _jobs(node: Node, files: list[Path], mapping: Path | None) -> list[tuple[Path, Path | None]]:
    jobs: list[tuple[Path, Path | None]] = []
    for path in files:
        if path.suffix.lower() in (".yml", ".yaml"):
            jobs += [(src, path) for _, src in node.sources_of(path)]
        else:
            jobs.append((path, mapping))
    return jobs


def _ingest_one(node: Node, path: Path, mapping: Path | None, dataset: str | None,
                defaults: dict[str, str], rejects: Path | None) -> IngestResult:
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    steps = ["reading", "cleaning", "mapping", "writing"]
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(f"{path.name}: starting", total=len(steps))

        def progress(step: str) -> None:
            done = steps.index(step) if step in steps else 0
            bar.update(task, completed=done, description=f"{path.name}: {step}")

        ds = dataset
        if mapping is not None and ds is None:
            named = [d for d, src in node.sources_of(mapping) if src.name == path.name]
            ds = named[0] if len(named) == 1 else None
        return node.ingest(path, mapping=mapping, dataset=ds, envelope=defaults or None,
                           rejects=rejects, progress=progress)


def _envelope_defaults(text: str | None, agency: str | None) -> dict[str, str]:
    try:
        values = json.loads(text) if text else {}
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"--envelope is not JSON: {exc.msg}") from None
    if not isinstance(values, dict):
        raise InvalidInput("--envelope must be a JSON object of envelope fields")
    if agency:
        values["agency"] = agency
    return values


def _print_result(r: IngestResult) -> None:
    rejected = f", {r.rejected} rows rejected" if r.rejected else ""
    console.print(
        f"{Path(r.file).name}: {r.rows} rows -> {r.inserted} new, {r.updated} changed, "
        f"{r.unchanged} unchanged records in {r.dataset} ({r.agency}){rejected}",
        highlight=False,
    )
