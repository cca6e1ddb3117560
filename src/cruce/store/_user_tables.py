"""The node's users in its store: names, roles and token digests (never tokens).

Every change is an administrative event in the audit log, in the same transaction as the
change, and bumps the users' generation, so that a running server that keeps a table of
tokens in memory sees a change made by another process at its next request.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from cruce.audit import AccessEvent, Actor, Justification, Operation
from cruce.errors import Conflict, NotFound

if TYPE_CHECKING:
    from cruce.store._base import AccessSink

GENERATION_KEY = "users_generation"


@dataclass(frozen=True, slots=True)
class UserRow:
    """A user as the store keeps it: the digest of their token, never the token."""

    name: str
    role: str
    token_digest: str
    is_disabled: bool


class _Backend(Protocol):
    """What the mixin needs of the store it is mixed into."""

    sink: AccessSink

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def transaction(self) -> AbstractContextManager[None]: ...

    def get_setting(self, key: str) -> str | None: ...

    def set_setting(self, key: str, value: str) -> None: ...


class UserTables:
    """The store's public methods for its users (a mixin of `Store`)."""

    def list_users(self: _Backend) -> list[UserRow]:
        """Every user, by name."""
        rows = self._query("SELECT name, role, token_hash, disabled FROM users ORDER BY name")
        return [UserRow(str(n), str(r), str(t), bool(d)) for n, r, t, d in rows]

    def find_user(self: _Backend, name: str) -> UserRow | None:
        rows = self._query(
            "SELECT name, role, token_hash, disabled FROM users WHERE name = ?", (name,))
        return next((UserRow(str(n), str(r), str(t), bool(d)) for n, r, t, d in rows), None)

    def user_by_token_digest(self: _Backend, digest: str) -> UserRow | None:
        """The user whose token has this digest, disabled or not."""
        rows = self._query(
            "SELECT name, role, token_hash, disabled FROM users WHERE token_hash = ?", (digest,))
        return next((UserRow(str(n), str(r), str(t), bool(d)) for n, r, t, d in rows), None)

    def users_generation(self: _Backend) -> int:
        """A number that changes with every change to the users."""
        return int(self.get_setting(GENERATION_KEY) or 0)

    def add_user(self: _Backend, name: str, role: str, token_digest: str, by: Actor) -> None:
        """Add a user (Conflict if the name is taken); logged as an administrative event."""
        with self.transaction():
            if self._query("SELECT 1 FROM users WHERE name = ?", (name,)):
                raise Conflict(f"user {name!r} exists already")
            self._execute("INSERT INTO users VALUES (?, ?, ?, CURRENT_TIMESTAMP, FALSE)",
                          (name, role, token_digest))
            _changed(self, by, {"user": name, "change": "add", "role": role})

    def disable_user(self: _Backend, name: str, by: Actor) -> None:
        """Disable a user: their token stops working. Logged as an administrative event."""
        with self.transaction():
            _require(self, name)
            self._execute("UPDATE users SET disabled = TRUE WHERE name = ?", (name,))
            _changed(self, by, {"user": name, "change": "disable"})

    def replace_user_token(self: _Backend, name: str, token_digest: str, by: Actor) -> None:
        """Give a user a new token (the old one stops working). Logged as an administrative
        event; the digests are never logged."""
        with self.transaction():
            _require(self, name)
            self._execute("UPDATE users SET token_hash = ? WHERE name = ?", (token_digest, name))
            _changed(self, by, {"user": name, "change": "rotate token"})


def _require(store: _Backend, name: str) -> None:
    if not store._query("SELECT 1 FROM users WHERE name = ?", (name,)):
        raise NotFound(f"no user {name!r}")


def _changed(store: _Backend, by: Actor, details: dict[str, str]) -> None:
    generation = int(store.get_setting(GENERATION_KEY) or 0) + 1
    store.set_setting(GENERATION_KEY, str(generation))
    why = Justification("administration", text=f"user management: {details['change']}")
    store.sink.emit(AccessEvent(Operation.ADMINISTRATION, by, why, details=details))
