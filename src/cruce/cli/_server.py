"""`cruce users …` and `cruce node serve`: who may use a node, and serving its API."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from cruce.cli._common import DbOption, console, open_node, reports_errors

users_app = typer.Typer(help="The node's users and their roles.", no_args_is_help=True)
node_app = typer.Typer(help="Run the node's API server.", no_args_is_help=True)


@users_app.command("add")
@reports_errors
def add_user(
    name: Annotated[str, typer.Argument(help="The user's name, e.g. ana.lopez")],
    role: Annotated[str, typer.Option(help="analyst, border_officer, supervisor, oversight or admin")],
    db: DbOption = "cruce.duckdb",
) -> None:
    """Add a user; prints the API token once (only its digest is kept)."""
    from cruce.api import Users

    with open_node(db) as node:
        token = Users(node.store).add(name, role)
    console.print(f"user {name} ({role}) added; API token (shown once, keep it safe):",
                  highlight=False)
    console.print(token, highlight=False, soft_wrap=True)


@users_app.command("list")
@reports_errors
def list_users(db: DbOption = "cruce.duckdb") -> None:
    """List users and roles (tokens are never shown)."""
    from cruce.api import Users

    with open_node(db) as node:
        rows = Users(node.store).list()
    table = Table("user", "role", "disabled")
    for name, role, disabled in rows:
        table.add_row(name, role, "yes" if disabled else "")
    console.print(table)


@users_app.command("disable")
@reports_errors
def disable_user(
    name: Annotated[str, typer.Argument(help="The user to disable")],
    db: DbOption = "cruce.duckdb",
) -> None:
    """Disable a user: their token stops working at once."""
    from cruce.api import Users

    with open_node(db) as node:
        Users(node.store).disable(name)
    console.print(f"user {name} disabled", highlight=False)


@node_app.command("serve")
@reports_errors
def serve(
    db: DbOption = "cruce.duckdb",
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8700,
) -> None:
    """Serve the node's API (OpenAPI at /docs and /openapi.json)."""
    import uvicorn

    from cruce.api import create_app

    with open_node(db) as node:
        uvicorn.run(create_app(node), host=host, port=port, log_level="warning")
