"""Commands on a node's own records: init, ingest, show, search, export, stats."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from cruce._files import private_dir, private_file, redact_url
from cruce._why import justification
from cruce.cli._common import (
    CaseOption,
    DbOption,
    PurposeOption,
    WhyOption,
    console,
    open_node,
    reports_errors,
)
from cruce.errors import InvalidInput

if TYPE_CHECKING:
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


def _jobs(node: object, files: list[Path], mapping: Path | None) -> list[tuple[Path, Path | None]]:
    jobs: list[tuple[Path, Path | None]] = []
    for path in files:
        if path.suffix.lower() in (".yml", ".yaml"):
            jobs += [(src, path) for _, src in node.sources_of(path)]  # type: ignore[attr-defined]
        else:
            jobs.append((path, mapping))
    return jobs


def _ingest_one(node: object, path: Path, mapping: Path | None, dataset: str | None,
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
            named = [d for d, src in node.sources_of(mapping) if src.name == path.name]  # type: ignore[attr-defined]
            ds = named[0] if len(named) == 1 else None
        return node.ingest(path, mapping=mapping, dataset=ds, envelope=defaults or None,  # type: ignore[attr-defined, no-any-return]
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


@reports_errors
def show(
    record_id: Annotated[str, typer.Argument(help="The record's id.")],
    db: DbOption = "cruce.duckdb",
    purpose: PurposeOption = None,
    case: CaseOption = None,
    why: WhyOption = "",
) -> None:
    """Show one record with its envelope (a logged consultation)."""
    with open_node(db) as node:
        record = node.get(record_id, justification(purpose, case, why))
        console.print_json(json.dumps(record.to_dict(), ensure_ascii=False))


@reports_errors
def search(
    name: Annotated[str, typer.Argument(help="Name, alias or identifier words to look for.")],
    db: DbOption = "cruce.duckdb",
    schema: Annotated[str | None, typer.Option(help="Only this FtM schema.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many results.")] = 20,
    purpose: PurposeOption = None,
    case: CaseOption = None,
    why: WhyOption = "",
) -> None:
    """Find records by name words (a logged consultation)."""
    with open_node(db) as node:
        records = node.search(name, justification(purpose, case, why), schema=schema, limit=limit)
        table = Table("id", "schema", "caption", "agency", "category", "handling", "TLP")
        for r in records:
            e = r.envelope
            table.add_row(r.id, r.schema, r.caption, e.agency,
                          e.subject_category.value if e.subject_category else "",
                          e.handling_code.value, e.tlp.value)
        console.print(table)
        console.print(f"{len(records)} records")


@reports_errors
def export(
    db: DbOption = "cruce.duckdb",
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write; - for stdout.")] = Path("-"),
    schema: Annotated[str | None, typer.Option(help="Only this FtM schema.")] = None,
    dataset: Annotated[str | None, typer.Option(help="Only this dataset.")] = None,
    purpose: PurposeOption = None,
    case: CaseOption = None,
    why: WhyOption = "",
) -> None:
    """Export records as FtM JSON lines, each with its envelope (a logged consultation)."""
    with open_node(db) as node:
        records = node.export(justification(purpose, case, why), schema=schema, dataset=dataset)
        fh = sys.stdout if str(out) == "-" else private_file(private_dir(out.parent) / out.name)
        try:
            for record in records:
                fh.write(json.dumps(record.to_dict(), ensure_ascii=False, sort_keys=True) + "\n")
        finally:
            if fh is not sys.stdout:
                fh.close()


@reports_errors
def stats(
    db: DbOption = "cruce.duckdb",
    by: Annotated[list[str] | None, typer.Option(help="Group by: agency, schema, purpose, handling_code, tlp, subject_category, dataset.")] = None,
) -> None:
    """Aggregate counts of the node's records (no record is read)."""
    groups = by or ["schema"]
    with open_node(db) as node:
        table = Table(*groups, "records")
        for row in node.stats(*groups):
            table.add_row(*[str(v) if v is not None else "-" for v in row])
        console.print(table)
