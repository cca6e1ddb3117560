"""`cruce alerts …`: the node's agency's border alerts (documents, persons, vehicles)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cruce.cli._common import (
    DbOption,
    JsonOption,
    console,
    err_console,
    open_node,
    print_json,
    print_table,
    reports_errors,
)

app = typer.Typer(help="Border alerts: stolen, lost or invalidated documents, wanted or missing "
                       "persons, stolen vehicles.", no_args_is_help=True)


@app.command("import")
@reports_errors
def import_(
    file: Annotated[Path, typer.Argument(help="JSON lines: one alert a line.")],
    db: DbOption = "cruce.duckdb",
    as_json: JsonOption = False,
) -> None:
    """Import the node's agency's alerts, one JSON object a line (kind document, person or
    vehicle). One file is one transaction: if any line is bad, each is named (FILE:LINE: field:
    why) and nothing is stored. An alert already held is changed only by its issuer."""
    from cruce.checks import BadAlertFile, import_alerts

    with open_node(db) as node:
        try:
            counts = import_alerts(node, file)
        except BadAlertFile as exc:
            for problem in exc.problems:
                err_console.print(problem, markup=False, highlight=False, soft_wrap=True)
            raise
    if as_json:
        print_json(counts)
        return
    console.print(f"{counts['added']} alerts added, {counts['changed']} changed, "
                  f"{counts['unchanged']} unchanged", highlight=False)


@app.command()
@reports_errors
def withdraw(
    alert_id: Annotated[str, typer.Argument(help="The alert's id, as its issuer gave it.")],
    db: DbOption = "cruce.duckdb",
    why: Annotated[str, typer.Option("--why", help="Why it is withdrawn.")] = "",
) -> None:
    """Withdraw one of the node's agency's alerts: it never hits again."""
    from cruce.checks import withdraw_alert

    with open_node(db) as node:
        withdraw_alert(node, alert_id, why)
    console.print(f"alert {alert_id} withdrawn", highlight=False, markup=False)


@app.command("list")
@reports_errors
def list_(db: DbOption = "cruce.duckdb", as_json: JsonOption = False) -> None:
    """Every alert the node holds (its own and those shared with it), withdrawn ones too."""
    with open_node(db) as node:
        alerts = node.store.list_alerts()
    rows = [{"id": a.alert_id, "kind": a.kind, "issuer": a.issuer, "reason": a.body["reason"],
             "expires": a.expires.isoformat(), "withdrawn": a.is_withdrawn} for a in alerts]
    if as_json:
        print_json(rows)
        return
    print_table(rows, ["id", "kind", "issuer", "reason", "expires", "withdrawn"], ids=("id",))
