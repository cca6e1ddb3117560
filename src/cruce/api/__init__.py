"""The node's HTTP API (FastAPI): authenticated, role-checked, every consultation justified."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cruce.api._users import Role, User, Users

if TYPE_CHECKING:
    from cruce.api._app import create_app
    from cruce.api._errors import error_body

__all__ = ["Role", "User", "Users", "create_app", "error_body"]


def __getattr__(name: str) -> Any:
    # The server (FastAPI and the Node facade) loads only when asked for: the CLI's client
    # commands and `cruce users` need none of it.
    if name == "create_app":
        from cruce.api._app import create_app

        return create_app
    if name == "error_body":
        from cruce.api._errors import error_body

        return error_body
    raise AttributeError(f"module 'cruce.api' has no attribute {name!r}")
