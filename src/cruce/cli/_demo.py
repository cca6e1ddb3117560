"""`cruce demo`: build the synthetic world, give each agency its node, ingest, and report."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cruce._node import Node
from cruce.cli._common import console, reports_errors


@reports_errors
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the world's files and the node stores.")] = Path("demo-out"),
    people: Annotated[int, typer.Option(help="How many true people the world holds.")] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the world: same seed, same world.")] = 2019,
) -> None:
    """Build the demo world, ingest every agency into its own node, and summarise."""
    from cruce.demo import WorldSpec, generate_world

    if out.exists():
        shutil.rmtree(out)
    world_dir = out / "world"
    nodes_dir = out / "nodes"
    nodes_dir.mkdir(parents=True)
    with console.status("generating the synthetic world"):
        generate_world(world_dir, WorldSpec(seed=seed, people=people))
    agencies = sorted(p.name for p in world_dir.iterdir() if (p / "mapping.yml").exists())
    for agency in agencies:
        _ingest_agency(agency, world_dir / agency / "mapping.yml", nodes_dir / f"{agency}.duckdb")
    _summarise(agencies, nodes_dir)


def _ingest_agency(agency: str, mapping: Path, db: Path) -> None:
    with Node.open(db, agency=agency, user="demo") as node:
        for dataset, source in node.sources_of(mapping):
            with console.status(f"{agency}: ingesting {source.name}"):
                node.ingest(source, mapping=mapping, dataset=dataset)


def _summarise(agencies: list[str], nodes_dir: Path) -> None:
    totals = Table("agency", "records", "people", "by schema", title="Records per agency")
    detail = Table("agency", "purpose area", "handling", "TLP", "records",
                   title="How the records may be used")
    for agency in agencies:
        with Node.open(nodes_dir / f"{agency}.duckdb") as node:
            by_schema = node.stats("schema")
            people = sum(n for s, n in by_schema if s == "Person")
            total = sum(n for _, n in by_schema)
            totals.add_row(agency, str(total), str(people),
                           ", ".join(f"{s} {n}" for s, n in by_schema))
            for purpose, code, tlp, n in node.stats("purpose", "handling_code", "tlp"):
                detail.add_row(agency, purpose, code, tlp, str(n))
    console.print(totals)
    console.print(detail)
