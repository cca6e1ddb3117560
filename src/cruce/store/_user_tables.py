"""The node's users in its store: names, roles and token digests (never tokens).

Every change is an administrative event in the audit log, in the same transaction as the
change, and bumps the users' generation, so that a running server that keeps a table of
tokens in memory sees a change made by another process at its next request.

A user waiting for a supervisor's approval is stored disabled, with who added them kept in the
node's settings (`users_pending`, a JSON object of name -> adder), so no token of theirs works
until the approval. A name
is never reused: a disabled user's row stays, and its name stays taken.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from cruce.audit import AccessEvent, Actor, Justification, Operation
from cruce.errors import Conflict, NotFound, PermissionDenied

if TYPE_CHECKING:
    from cruce.store._base import AccessSink

GENERATION_KEY = "users_generation"
PENDING_KEY = "users_pending"


@dataclass(frozen=True, slots=True)
class UserRow:
    """A user as the store keeps it: the digest of their token, never the token.
    `added_by` is set while the user waits for a supervisor's approval."""

    name: str
    role: str
    token_digest: str
    is_disabled: bool
    added_by: str | None = None

    @property
    def is_pending(self) -> bool:
        return self.added_by is not None

    @property
    def status(self) -> str:
        if self.is_pending:
            return "pending"
        return "disabled" if self.is_disabled else "active"


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
        pending = _pending(self)
        rows = self._query("SELECT name, role, token_hash, disabled FROM users ORDER BY name")
        return [UserRow(str(n), str(r), str(t), bool(d), pending.get(str(n)))
                for n, r, t, d in rows]

    def find_user(self: _Backend, name: str) -> UserRow | None:
        rows = self._query(
            "SELECT name, role, token_hash, disabled FROM users WHERE name = ?", (name,))
        return next((UserRow(str(n), str(r), str(t), bool(d), _pending(self).get(str(n)))
                     for n, r, t, d in rows), None)

    def user_by_token_digest(self: _Backend, digest: str) -> UserRow | None:
        """The user whose token has this digest, disabled or not."""
        rows = self._query(
            "SELECT name, role, token_hash, disabled FROM users WHERE token_hash = ?", (digest,))
        return next((UserRow(str(n), str(r), str(t), bool(d), _pending(self).get(str(n)))
                     for n, r, t, d in rows), None)

    def users_generation(self: _Backend) -> int:
        """A number that changes with every change to the users."""
        return int(self.get_setting(GENERATION_KEY) or 0)

    def add_user(self: _Backend, name: str, role: str, token_digest: str, by: Actor,
                 why: str = "", *, pending: bool = False) -> None:
        """Add a user (Conflict if the name was ever taken, by a disabled user too); with
        `pending`, disabled until a supervisor approves them. Logged as an administrative
        event."""
        with self.transaction():
            rows = self._query("SELECT disabled FROM users WHERE name = ?", (name,))
            if rows and bool(rows[0][0]):
                raise Conflict(f"user {name!r} exists already (disabled: a name is never "
                               "reused; add the person under a new name)")
            if rows:
                raise Conflict(f"user {name!r} exists already")
            self._execute("INSERT INTO users VALUES (?, ?, ?, CURRENT_TIMESTAMP, ?)",
                          (name, role, token_digest, pending))
            details = {"user": name, "change": "add", "role": role}
            if pending:
                _set_pending(self, name, by.user)
                details["status"] = "pending approval"
            _changed(self, by, details, why)

    def approve_user(self: _Backend, name: str, token_digest: str, by: Actor,
                     why: str) -> None:
        """Activate a pending user with a new token (the one given at their adding, seen by
        whoever added them, never works). The approver must not be who added them."""
        with self.transaction():
            row = _require(self, name)
            added_by = _pending(self).get(name)
            if added_by is None:
                state = "disabled" if bool(row[0]) else "active"
                raise Conflict(f"user {name!r} is not waiting for approval ({state})")
            if added_by == by.user:
                raise PermissionDenied(f"user {name!r} was added by {by.user}: another person "
                                       "must approve them")
            self._execute("UPDATE users SET disabled = FALSE, token_hash = ? WHERE name = ?",
                          (token_digest, name))
            _set_pending(self, name, None)
            _changed(self, by, {"user": name, "change": "approve", "added_by": added_by},
                     why)

    def disable_user(self: _Backend, name: str, by: Actor, why: str = "") -> None:
        """Disable a user: their token stops working (a pending user can no longer be
        approved). Logged as an administrative event."""
        with self.transaction():
            _require(self, name)
            self._execute("UPDATE users SET disabled = TRUE WHERE name = ?", (name,))
            _set_pending(self, name, None)
            _changed(self, by, {"user": name, "change": "disable"}, why)

    def replace_user_token(self: _Backend, name: str, token_digest: str, by: Actor,
                           why: str = "") -> None:
        """Give a user a new token (the old one stops working). Logged as an administrative
        event; the digests are never logged."""
        with self.transaction():
            _require(self, name)
            self._execute("UPDATE users SET token_hash = ? WHERE name = ?", (token_digest, name))
            _changed(self, by, {"user": name, "change": "rotate token"}, why)


def _require(store: _Backend, name: str) -> tuple[Any, ...]:
    rows = store._query("SELECT disabled FROM users WHERE name = ?", (name,))
    if not rows:
        raise NotFound(f"no user {name!r}")
    return rows[0]


def _pending(store: _Backend) -> dict[str, str]:
    """Who added each user still waiting for approval."""
    return {str(k): str(v) for k, v in json.loads(store.get_setting(PENDING_KEY) or "{}").items()}


def _set_pending(store: _Backend, name: str, added_by: str | None) -> None:
    pending = _pending(store)
    if added_by is None and name not in pending:
        return
    if added_by is None:
        del pending[name]
    else:
        pending[name] = added_by
    store.set_setting(PENDING_KEY, json.dumps(pending, sort_keys=True))


def _changed(store: _Backend, by: Actor, details: dict[str, str], why: str) -> None:
    generation = int(store.get_setting(GENERATION_KEY) or 0) + 1
    store.set_setting(GENERATION_KEY, str(generation))
    text = f"user management: {details['change']}" + (f": {why}" if why else "")
    reason = Justification("administration", text=text)
    store.sink.emit(AccessEvent(Operation.ADMINISTRATION, by, reason, details=details))
