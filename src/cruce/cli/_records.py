"""Creating a node and bringing records in: init, ingest (the reads are in `_reads`)."""

from __future__ import annotations

import json
from datetime import date
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
from cruce.errors import CruceError, InvalidInput
from cruce.records import ENVELOPE_FIELDS, POLICY_FIELDS
from cruce.records._vocab import nearest_key

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
    # Only on a terminal: elsewhere (a pipe, a log) a transient bar leaves a blank line.
    with Progress(*columns, console=console, transient=True,
                  disable=not console.is_terminal) as bar:
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


# What --envelope may give: every field of the envelope (the one list, records._envelope) and,
# as in a mapping's envelope, `retention` ('5y', '18m', '90d') for `retain_until`. The fields
# the node keeps per record are refused by the ingest's own check, with why.
_ENVELOPE_OPTION_KEYS = (*ENVELOPE_FIELDS, "retention")
_SUGGESTED_KEYS = (*POLICY_FIELDS, "retention")


def _envelope_defaults(text: str | None, agency: str | None) -> dict[str, str]:
    try:
        values = json.loads(text) if text else {}
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"--envelope is not JSON: {exc.msg}") from None
    if not isinstance(values, dict):
        raise InvalidInput("--envelope must be a JSON object of envelope fields")
    for name in values:
        if name not in _ENVELOPE_OPTION_KEYS:
            raise InvalidInput(f"--envelope: {name[:60]}: unknown field"
                               + nearest_key(name, _SUGGESTED_KEYS))
    retention = values.pop("retention", None)
    if retention is not None and "retain_until" not in values:
        from cruce.ingest._mapping import retain_until  # the mapping's own rule, read lazily

        try:
            values["retain_until"] = retain_until("--envelope", str(retention), date.today())
        except CruceError as exc:
            raise InvalidInput(exc.message) from None
    if agency:
        values["agency"] = agency
    return values


def _print_result(r: IngestResult) -> None:
    rejected = f", {r.rejected} rows rejected" if r.rejected else ""
    console.print(
        f"{Path(r.file).name}: {r.rows} rows -> {r.inserted} new, {r.updated} changed, "
        f"{r.unchanged} unchanged records in {r.dataset} ({r.agency}){rejected}",
        highlight=False, soft_wrap=True,  # one line per file, for grep as for people
    )
