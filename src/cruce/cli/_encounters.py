"""`cruce encounters …`: border encounter statistics from the public CBP layout, with their
definitions. The statistics store (--db) holds aggregate counts only, never a node's records."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cruce._csvsafe import csv_writer
from cruce.cli._common import err_console, print_json, reports_errors
from cruce.errors import InvalidInput
from cruce.stats import (
    BadEncounterFile,
    HighestSince,
    StatStore,
    encounter_table,
    highest_since,
    import_encounters,
)
from cruce.stats._encounter_table import DEFAULT_MIN_CELL

app = typer.Typer(help="Border encounter statistics (CBP Nationwide Encounters layout).",
                  no_args_is_help=True)

# Never CRUCE_DB: that names a node's store, which holds case data.
StatsDbOption = Annotated[Path, typer.Option(
    "--db", envvar="CRUCE_STATS_DB",
    help="The statistics store: a DuckDB file of aggregate counts only.")]
RegionOption = Annotated[str, typer.Option(
    "--region", help="Land border region, as in the file (e.g. 'Southwest Land Border').")]
MeasureOption = Annotated[str, typer.Option(
    "--measure", help="encounters (all), apprehensions (Title 8, Border Patrol), inadmissibles "
                      "(Title 8, ports of entry) or expulsions (Title 42).")]


@app.command("import")
@reports_errors
def import_(
    file: Annotated[Path, typer.Argument(help="A Nationwide Encounters CSV file.")],
    db: StatsDbOption = Path("stats.duckdb"),
) -> None:
    """Import a Nationwide Encounters CSV into the statistics store (created if missing).

    One file is one transaction: if any row is bad, every bad row is named
    (FILE:LINE: field 'X': why) and nothing is written. A file's figures for a fiscal year and
    region replace those the store held for that fiscal year and region (CBP revises its
    figures monthly), so importing the same file again changes nothing.
    """
    with StatStore.open(db, create=True) as store:
        try:
            result = import_encounters(store, file)
        except BadEncounterFile as exc:
            for problem in exc.problems:
                err_console.print(problem, markup=False, highlight=False, soft_wrap=True)
            raise
    years = result.fiscal_years
    span = f"{years[0]}" if len(years) == 1 else f"{years[0]} to {years[-1]}"
    typer.echo(f"imported {result.rows} rows from {file.name}: fiscal years {span}, "
               f"regions {', '.join(result.regions)}")
    if result.replaced_rows:
        again = " (the same file again: nothing changed)" if result.is_same_file_again else ""
        typer.echo(f"replaced the {result.replaced_rows} rows held for those fiscal years and "
                   f"regions{again}")


@app.command("highest-since")
@reports_errors
def highest_since_(
    month: Annotated[str, typer.Argument(help="The calendar month, YYYY-MM (e.g. 2019-02).")],
    region: RegionOption,
    db: StatsDbOption = Path("stats.duckdb"),
    measure: MeasureOption = "encounters",
    same_month: Annotated[bool, typer.Option(
        "--same-month", help="Compare only with the same calendar month of earlier years.")]
        = False,
    format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """The latest earlier month whose figure was at least as high ("the highest since ..."),
    with the measure's definition, the fiscal-year basis and the region."""
    _check_format(format, ("text", "json"))
    with StatStore.open(db) as store:
        answer = highest_since(store, month, region=region, measure=measure,
                               same_month=same_month)
    if format == "json":
        print_json(answer.to_dict())
    else:
        _print_highest(answer)


def _print_highest(answer: HighestSince) -> None:
    typer.echo(answer.statement)
    typer.echo(f"measure: {answer.measure}: {answer.definition}")
    typer.echo(f"counting: {answer.counting_unit}")
    typer.echo(f"fiscal year: {answer.fiscal_year} ({answer.fiscal_year_basis})"
               + ("; still open when the file was published" if answer.is_provisional else ""))
    typer.echo(f"compared with {answer.months_compared} earlier months held"
               + (f", from {answer.compared_from}" if answer.compared_from else ""))


@app.command()
@reports_errors
def table(
    rows: Annotated[str, typer.Option("--rows", help="The column whose values head the rows.")],
    cols: Annotated[str, typer.Option("--cols", help="The column whose values head the columns.")],
    db: StatsDbOption = Path("stats.duckdb"),
    region: Annotated[str | None, typer.Option("--region", help="Only this region.")] = None,
    fiscal_year: Annotated[int | None, typer.Option(
        "--fiscal-year", help="Only this fiscal year (October to September).")] = None,
    measure: MeasureOption = "encounters",
    min_cell: Annotated[int, typer.Option(
        "--min-cell", help="Suppress cells under this count, and those that would reveal "
                           "them.")] = DEFAULT_MIN_CELL,
    format: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
) -> None:
    """A cross-table of encounters with a Total column and a Total row; suppressed cells are
    written x. Rows and columns: month, fiscal_year, component, region, aor, demographic,
    citizenship, authority, encounter_type."""
    _check_format(format, ("csv", "json"))
    with StatStore.open(db) as store:
        published = encounter_table(store, rows=rows, cols=cols, region=region,
                                    fiscal_year=fiscal_year, measure=measure, min_cell=min_cell)
    if format == "json":
        print_json(published.to_dict())
        return
    csv_writer(sys.stdout, lineterminator="\n").writerows(published.grid)
    data = published.to_dict()
    err_console.print(f"{published.measure}: {data['definition']}; {data['fiscal_year_basis']}; "
                      f"counted as {data['counting_unit']}; cells under {min_cell} and those "
                      f"that would reveal them written x ({published.suppressed_cells})",
                      markup=False, highlight=False, soft_wrap=True)


def _check_format(given: str, allowed: tuple[str, ...]) -> None:
    if given not in allowed:
        raise InvalidInput(f"--format must be {' or '.join(allowed)}, not {given!r}")
