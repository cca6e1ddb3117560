"""What every command shares: the console, error reporting at the edge, common options."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console

from cruce.errors import CruceError
from cruce.settings import Settings

if TYPE_CHECKING:
    from cruce._node import Node

console = Console()
err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

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


def reports_errors(func: F) -> F:
    """Turn cruce's own errors into one `Error: …` line and its exit code; bugs still trace."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CruceError as exc:
            err_console.print(f"Error: {exc.message}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


def open_node(db: str | Path, agency: str | None = None) -> Node:
    from cruce._node import Node

    settings = Settings.from_env()
    return Node.open(db, agency=agency, user=settings.user, role="admin")
