"""The `cruce` command line: parse, call the Node facade, print."""

from __future__ import annotations

from typing import Annotated

import typer

from cruce import __version__
from cruce._files import restrict_umask
from cruce.cli import (
    _alerts,
    _audit,
    _checks,
    _encounters,
    _flows,
    _node_ops,
    _pprl,
    _reads,
    _records,
    _requests,
    _server,
    _share,
)
from cruce.cli._common import set_operator
from cruce.cli._demo import demo
from cruce.cli._link import evaluate, judge, link, review
from cruce.cli._network import network

app = typer.Typer(
    name="cruce",
    help="cruce: records in handling envelopes, cross-border linkage, rule-bound sharing, audit.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _show_version(asked: bool) -> None:
    if asked:
        typer.echo(f"cruce {__version__}")
        raise typer.Exit()


@app.callback()
def _start(
    user: Annotated[str | None, typer.Option(
        "--user", envvar="CRUCE_USER",
        help="Who is consulting: the name every access is logged under (default: your login "
             "name; role 'operator').")] = None,
    version: Annotated[bool, typer.Option(
        "--version", callback=_show_version, is_eager=True,
        help="Print cruce's version and exit.")] = False,
) -> None:
    # Everything cruce writes from here on is private to this account (0600 / 0700).
    restrict_umask()
    set_operator(user)


app.command()(_records.init)
app.command()(_records.ingest)
app.command()(_reads.show)
app.command()(_reads.search)
app.command()(_reads.export)
app.command()(_reads.stats)
app.command()(network)
app.command()(link)
app.command()(review)
app.command()(judge)
app.command()(evaluate)
app.command()(demo)
app.add_typer(_audit.app, name="audit")
app.add_typer(_server.users_app, name="users")
app.add_typer(_server.node_app, name="node")
_server.node_app.command("backup")(_node_ops.backup)
_server.node_app.command("restore")(_node_ops.restore)
_server.node_app.command("reconciled")(_node_ops.reconciled)
app.command()(_share.share)
app.command()(_share.inbox)
app.command()(_share.outbox)
app.command()(_share.keys)
app.command()(_share.erase)
app.command()(_share.expire)
app.add_typer(_share.directory_app, name="directory")
app.add_typer(_requests.request_app, name="request")
app.add_typer(_requests.consent_app, name="consent")
app.add_typer(_alerts.app, name="alerts")
app.add_typer(_checks.app, name="check")
app.add_typer(_flows.app, name="flows")
app.add_typer(_encounters.app, name="encounters")
app.add_typer(_pprl.app, name="pprl")


def main() -> None:
    app()


__all__ = ["app", "main"]
