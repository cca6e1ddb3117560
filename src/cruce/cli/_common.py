"""What every command shares: the console, error reporting at the edge, common options."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from cruce._files import is_server_url
from cruce.errors import CruceError, InvalidInput, NotFound
from cruce.settings import Settings

if TYPE_CHECKING:
    from cruce._node import Node

console = Console()
err_console = Console(stderr=True)
P = ParamSpec("P")
R = TypeVar("R")

# A string, not a Path: a PostgreSQL URL (postgresql://…) must reach the store untouched.
DbOption = Annotated[
    str,
    typer.Option("--db", envvar="CRUCE_DB",
                 help="The node's store: a DuckDB file, or a postgresql:// URL."),
]
PurposeOption = Annotated[
    str | None,
    typer.Option("--purpose", envvar="CRUCE_PURPOSE",
                 help="Purpose area that justifies the consultation."),
]
CaseOption = Annotated[
    str | None,
    typer.Option("--case", envvar="CRUCE_CASE", help="Case reference that justifies it."),
]
WhyOption = Annotated[str, typer.Option("--why", help="Free-text justification.")]


def reports_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn cruce's own errors into one `Error: …` line and its exit code; bugs still trace."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except CruceError as exc:
            _error_line(exc.message)
            raise typer.Exit(exit_code(exc)) from None
        except OSError as exc:
            # One naming a path is the caller's to fix (a folder given for a file, a file in
            # the way of a folder, no permission): the path and why. Any other still traces.
            if exc.filename is None:
                raise
            _error_line(f"{exc.filename}: {exc.strerror or exc}")
            raise typer.Exit(2) from None

    return wrapper


def _error_line(message: str) -> None:
    err_console.print(f"Error: {message}", markup=False, highlight=False, soft_wrap=True)


def exit_code(exc: CruceError) -> int:
    """2 for everything the caller can fix (every 4xx: bad data or usage, a name taken, the log
    held by another process), the error's own code (1) for a bug or a broken state."""
    return 2 if 400 <= exc.status < 500 else exc.exit_code


def open_node(db: str | Path, agency: str | None = None, *, create: bool = False) -> Node:
    """Open the node the operator named. A store file that does not exist is refused unless the
    command creates nodes (`init`, `ingest --create`): a mistyped --db must not start a new,
    empty node with keys and a log of its own."""
    from cruce._node import Node

    if not create:
        must_exist(db)
    return Node.open(db, agency=agency, user=operator(), role=OPERATOR_ROLE)


# The CLI consults as the person at the keyboard, with a role of its own: not `admin` (admins
# read no case data), not any API role (those are the server's users).
OPERATOR_ROLE = "operator"
_operator: list[str] = []  # set by `cruce --user …` for this invocation


def set_operator(user: str | None) -> None:
    _operator[:] = [user] if user and user.strip() else []


_OPERATOR_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")


def operator() -> str:
    """`--user`, else CRUCE_USER, else the login name: a name fit for the audit log (letters,
    digits, _ . @ -, at most 64), since every access is logged under it."""
    name = _operator[0] if _operator else Settings.from_env().user
    if not _OPERATOR_NAME.fullmatch(name):
        raise InvalidInput(f"--user / CRUCE_USER {name[:64]!r} is not a user name (letters, "
                           "digits, _ . @ -, at most 64 characters)")
    return name


def must_exist(db: str | Path) -> None:
    text = str(db)
    if text == ":memory:" or is_server_url(text) or Path(text).exists():
        return
    raise NotFound(f"no node at {text}: check --db (or CRUCE_DB), or create it with "
                   f"cruce init --db {text} --agency <agency>")


JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def print_json(data: Any) -> None:
    """Machine-readable output: one JSON document on stdout, never wrapped or coloured."""
    typer.echo(json.dumps(data, ensure_ascii=False, default=str))


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], *,
                ids: Sequence[str] = (), title: str | None = None) -> None:
    """A table that cuts nothing: id columns stay on one line, whole, and the other columns
    fold (never shortened with …) when the terminal is narrow; if even folding cannot fit it,
    each row is shown as its `field  value` lines instead (as psql's expanded display); --json
    for scripts."""
    if rows and not _fits(rows, columns, ids, console.width):
        _print_blocks(rows, columns, title)
        return
    table = Table(title=title)
    for name in columns:
        table.add_column(name, overflow="fold", no_wrap=name in ids)
    for row in rows:
        table.add_row(*[_cell(row.get(name)) for name in columns])
    console.print(table)


# Folded narrower than this, a column reads one letter or three per line ('Per/son').
_NARROWEST_FOLD = 10


def _fits(rows: Sequence[dict[str, Any]], columns: Sequence[str], ids: Sequence[str],
          width: int) -> bool:
    need = 3 * len(columns) + 1  # the borders and each cell's padding
    for name in columns:
        natural = max(len(name), *(len(_cell(row.get(name))) for row in rows))
        need += natural if name in ids else min(natural, _NARROWEST_FOLD)
    return need <= width


def _print_blocks(rows: Sequence[dict[str, Any]], columns: Sequence[str],
                  title: str | None) -> None:
    label = max(len(name) for name in columns)
    if title:
        console.print(title, markup=False, highlight=False)
    for n, row in enumerate(rows):
        if n:
            console.print()
        for name in columns:
            console.print(f"{name:<{label}}  {_cell(row.get(name))}", markup=False,
                          highlight=False, soft_wrap=True)


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)
