"""The node's HTTP API (FastAPI): authenticated, role-checked, every consultation justified."""

from cruce.api._app import create_app, error_body
from cruce.api._users import Role, User, Users

__all__ = ["Role", "User", "Users", "create_app", "error_body"]
