"""`cruce flows`: import partners' flow counts into the statistics store, and summarise them."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cruce.cli._common import JsonOption, console, print_json, reports_errors
from cruce.errors import InvalidInput

if TYPE_CHECKING:
    from cruce.stats._flow_summary import FlowSummary, PlaceSummary

app = typer.Typer(help="Flow monitoring: daily headcounts at monitoring points (no personal data).",
                  no_args_is_help=True)
StatsDbOption = Annotated[Path, typer.Option("--db", envvar="CRUCE_STATS_DB",
                                             help="The statistics store (a DuckDB file).")]


class Format(StrEnum):
    text = "text"
    json = "json"


@app.command("import")
@reports_errors
def import_(
    file: Annotated[Path, typer.Argument(help="A flow CSV: date, point, corridor, direction, "
                                              "adults, minors [, families, nationality_group].")],
    db: StatsDbOption = Path("stats.duckdb"),
) -> None:
    """Import a flow file in one transaction (creating the store); a bad row and nothing is
    written. A row replaces an earlier count of its day, point, direction and group."""
    from cruce.stats._flows import import_flows

    if not file.is_file():
        raise InvalidInput(f"{file}: no such file")
    done = import_flows(file, db)
    span = f", {done.first_day} to {done.last_day}" if done.rows else ""
    console.print(f"{file.name}: {done.rows} counts imported into {db}{span} "
                  f"({done.replaced} replaced earlier counts)", highlight=False)


@app.command()
@reports_errors
def summary(
    db: StatsDbOption = Path("stats.duckdb"),
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Last day of the windows, YYYY-MM-DD (default: the last day reported).")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.text,
    plots: Annotated[Path | None, typer.Option(
        help="Write flows_by_day and flows_by_point (PNG and SVG) into this folder.")] = None,
    as_json: JsonOption = False,
) -> None:
    """The last 7 and 28 days by corridor and point, week-on-week change, and surges (the
    method is printed with them)."""
    from cruce.stats._flow_summary import daily_by_corridor, summarise_store
    from cruce.stats._flows import flow_store

    day = _day(as_of)
    with flow_store(db) as store:
        result = summarise_store(store, day)
        daily = daily_by_corridor(store, result.as_of) if plots else {}
    written = []
    if plots is not None:
        from cruce.stats._plots import plot_flows

        written = plot_flows(result, daily, plots)
    if fmt is Format.json or as_json:  # --json as every table-printing command takes it
        print_json({**result.to_dict(), "plots": [str(p) for p in written]})
        return
    print_summary(result)
    for path in written:
        console.print(f"plot: {path}", highlight=False)


def _day(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"--as-of {text!r} is not a date YYYY-MM-DD") from None


def print_summary(result: FlowSummary) -> None:
    """The summary as tables: corridors, points, demographics, then the surges and method."""
    from cruce.stats._flow_summary import windows
    from cruce.stats._surges import METHOD

    w = windows(result.as_of)
    console.print(f"Movements as of {result.as_of}: last 7 days {w['last_7'][0]}..{w['last_7'][1]}, "
                  f"last 28 days {w['last_28'][0]}..{w['last_28'][1]}", highlight=False)
    console.print(_places("By corridor", result.corridors, with_corridor=False))
    console.print(_places("By monitoring point", result.points, with_corridor=True))
    demo = result.demographics
    table = Table("window", "people", "adults", "minors", "families", "inbound", "outbound",
                  "transit", title="Who is moving (aggregate)")
    for window in ("last_7", "last_28"):
        d, r = demo[window], result.directions[window]
        table.add_row(window.replace("_", " "), *(str(d[k]) for k in
                      ("people", "adults", "minors", "families")),
                      *(str(r.get(k, 0)) for k in ("inbound", "outbound", "transit")))
    console.print(table)
    if result.surges:
        surges = Table("day", "corridor or point", "people", "baseline", "robust z",
                       title="Surges")
        for s in result.surges:
            surges.add_row(s.day.isoformat(), f"{s.where} ({s.level})", str(s.people),
                           f"{s.baseline:g}",
                           f"{s.z:.1f}")
        console.print(surges)
    else:
        console.print("Surges: none in the last 7 days.")
    console.print(f"Surge method: {METHOD}.", highlight=False)


def _places(title: str, places: list[PlaceSummary], *, with_corridor: bool) -> Table:
    columns = ["point", "corridor"] if with_corridor else ["corridor"]
    table = Table(*columns, "7 days", "prev 7", "w/w", "28 days", "a day", "minors",
                  title=f"{title} (minors and a day: 28 days)")
    for p in places:
        change = "n/a" if p.week_on_week is None else f"{p.week_on_week:+.0%}"
        first = [p.name, p.corridor] if with_corridor else [p.name]
        table.add_row(*first, str(p.last_7), str(p.previous_7), change, str(p.last_28),
                      f"{p.daily_28:.1f}", str(p.minors_28))
    return table


__all__ = ["app", "print_summary"]
