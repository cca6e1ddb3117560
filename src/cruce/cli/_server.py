"""`cruce users …` and `cruce node serve`: who may use a node, and serving its API.

The user commands work on a running node through its API (`--node URL --token T`, an admin's
token; CRUCE_NODE and CRUCE_TOKEN) or on a stopped node's store (`--db`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from cruce.cli import _remote
from cruce.cli._common import (
    DbOption,
    JsonOption,
    console,
    open_node,
    print_json,
    print_table,
    reports_errors,
)
from cruce.cli._remote import NodeOption

if TYPE_CHECKING:
    from cruce._node import Node
    from cruce.api._users import Users
    from cruce.audit import Justification

users_app = typer.Typer(help="The node's users and their roles.", no_args_is_help=True)
node_app = typer.Typer(help="Run the node's API server.", no_args_is_help=True)

TokenOption = Annotated[str, typer.Option(
    "--token", envvar="CRUCE_TOKEN",
    help="An API token (with --node): an admin's; a supervisor's for approve.")]
UserWhyOption = Annotated[str, typer.Option("--why", help="Why this change (logged with it).")]


def _users(node: Node) -> Users:
    """The store's users, each change logged as made by the operator (who holds the node's
    files, so their changes take effect at once: see docs/threat-model.md)."""
    from cruce.api import Users

    return Users(node.store, node.actor)


def _print_token(name: str, what: str, token: str) -> None:
    console.print(f"user {name} {what}; API token (shown once, keep it safe):", highlight=False)
    console.print(token, highlight=False, soft_wrap=True)


@users_app.command("add")
@reports_errors
def add_user(
    name: Annotated[str, typer.Argument(help="The user's name, e.g. ana.lopez")],
    role: Annotated[str, typer.Option(help="analyst, border_officer, supervisor, oversight or admin")],
    db: DbOption = "cruce.duckdb", node: NodeOption = "", token: TokenOption = "",
    why: UserWhyOption = "",
) -> None:
    """Add a user; prints the API token once (only its digest is kept). Added by an admin
    over --node, a user with a data role waits for a supervisor's approval (no token yet)."""
    if node:
        with _remote.client(node, token) as client:
            answer = client.post("/api/v1/users", {"name": name, "role": role},
                                 why=_stated(why))
        if answer["token"] is None:
            console.print(f"user {name} ({role}) added, waiting for a supervisor's approval "
                          f"(cruce users approve {name})", highlight=False)
            return
        new = str(answer["token"])
    else:
        with open_node(db) as opened:
            new = _users(opened).add(name, role, why)
    _print_token(name, f"({role}) added", new)


@users_app.command("approve")
@reports_errors
def approve_user(
    name: Annotated[str, typer.Argument(help="The user waiting for approval")],
    why: UserWhyOption = "",
    db: DbOption = "cruce.duckdb", node: NodeOption = "", token: TokenOption = "",
) -> None:
    """Approve a user an admin added (a supervisor over --node, or the operator with --db;
    never whoever added them): prints the user's first token once, to hand over."""
    if node:
        with _remote.client(node, token) as client:
            new = str(client.post(f"/api/v1/users/{_path(name)}/approve",
                                  why=_stated(why))["token"])
    else:
        with open_node(db) as opened:
            new = _users(opened).approve(name, why)
    _print_token(name, "approved", new)


@users_app.command("list")
@reports_errors
def list_users(
    db: DbOption = "cruce.duckdb", node: NodeOption = "", token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """List users, roles and status (tokens are never shown)."""
    if node:
        with _remote.client(node, token) as client:
            rows = [{"name": u["name"], "role": u["role"], "status": u["status"],
                     "added_by": u.get("added_by")} for u in client.get("/api/v1/users")]
    else:
        with open_node(db) as opened:
            rows = _users(opened).listing()
    if as_json:
        print_json(rows)
        return
    print_table(rows, ["name", "role", "status", "added_by"], ids=["name"])


@users_app.command("disable")
@reports_errors
def disable_user(
    name: Annotated[str, typer.Argument(help="The user to disable")],
    db: DbOption = "cruce.duckdb", node: NodeOption = "", token: TokenOption = "",
    why: UserWhyOption = "",
) -> None:
    """Disable a user: their token stops working at once (on a running node too); the name
    stays taken."""
    if node:
        with _remote.client(node, token) as client:
            client.post(f"/api/v1/users/{_path(name)}/disable", why=_stated(why))
    else:
        with open_node(db) as opened:
            _users(opened).disable(name, why)
    console.print(f"user {name} disabled", highlight=False)


@users_app.command("rotate")
@reports_errors
def rotate_token(
    name: Annotated[str, typer.Argument(help="The user whose token is replaced")],
    db: DbOption = "cruce.duckdb", node: NodeOption = "", token: TokenOption = "",
    why: UserWhyOption = "",
) -> None:
    """Give a user a new API token (printed once); the old one stops working at once. Over
    --node only your own token; with --db (the operator) any user's."""
    if node:
        with _remote.client(node, token) as client:
            new = str(client.post(f"/api/v1/users/{_path(name)}/rotate",
                                  why=_stated(why))["token"])
    else:
        with open_node(db) as opened:
            new = _users(opened).rotate(name, why)
    _print_token(name, "has a new token", new)


def _stated(why: str) -> Justification | None:
    """A user change's justification, sent as X-Cruce-Why (the users routes read only it)."""
    from cruce.audit import Justification

    return Justification("administration", text=why) if why else None


def _path(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


@node_app.command("serve")
@reports_errors
def serve(
    db: DbOption = "cruce.duckdb",
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8700,
) -> None:
    """Serve the node's API (OpenAPI at /docs and /openapi.json).

    SIGTERM or Ctrl-C stops it cleanly: requests in flight are answered, then the node is
    closed (the audit log's final head signed and its size pinned in the store).
    """
    from cruce.api import create_app
    from cruce.api._serving import serve_api, stopping_gracefully

    with stopping_gracefully(), open_node(db) as node:
        serve_api(create_app(node), host, port)
    console.print("node stopped; audit log closed", highlight=False)
