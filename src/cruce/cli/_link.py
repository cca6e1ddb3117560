"""`cruce link`: find the records that refer to the same person, with explanations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from cruce.cli._common import console, err_console, reports_errors
from cruce.errors import InvalidInput


@reports_errors
def link(
    files: Annotated[list[Path], typer.Argument(help="FtM Person entities as JSON lines; all files are linked together.")],
    out: Annotated[Path, typer.Option("--out", help="Write left_id,right_id,probability here.")],
    clusters: Annotated[Path | None, typer.Option("--clusters", help="Write id,cluster_id for every record here.")] = None,
    threshold: Annotated[float, typer.Option("--threshold", help="Keep pairs at or above this match probability.")] = 0.5,
    explain: Annotated[int, typer.Option("--explain", help="Print this many cross-file pairs with their evidence.")] = 0,
) -> None:
    """Link and dedupe people across files: scored pairs and clusters (Splink model)."""
    from cruce.link import link_files, summarise

    if not 0.0 < threshold <= 1.0:
        raise InvalidInput(f"--threshold must be in (0, 1], not {threshold}")
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("starting", total=None)
        result = link_files(files, threshold=threshold,
                            progress=lambda step: bar.update(task, description=step))
        n_pairs = result.write_pairs(out)
        if clusters is not None:
            result.write_clusters(clusters)
    console.print(f"{result.records} records, {n_pairs} pairs at or above {threshold} "
                  f"(model {result.model_version}) -> {out}", highlight=False)
    if explain:
        table = Table("probability", "left", "right", "evidence", title="Cross-file links")
        for row in result.explained_pairs(explain, "source_l <> source_r"):
            table.add_row(f"{row['match_probability']:.3f}", _name(row, "l"), _name(row, "r"),
                          summarise(row["explanation"]))
        console.print(table)


def _name(row: dict[str, object], side: str) -> str:
    parts = [row.get(f"given1_{side}"), row.get(f"surname1_{side}"), row.get(f"surname2_{side}")]
    return " ".join(str(p) for p in parts if p)
