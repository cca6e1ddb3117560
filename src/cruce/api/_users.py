"""A node's users and roles. API tokens are random, shown once, and kept only as digests."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from cruce.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from cruce.store import Store

_NAME = re.compile(r"^[a-z][a-z0-9_.\-]{1,63}$")
TOKEN_PREFIX = "cruce_"


class Role(StrEnum):
    ANALYST = "analyst"
    BORDER_OFFICER = "border_officer"
    SUPERVISOR = "supervisor"
    OVERSIGHT = "oversight"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: Role


def _digest(token: str) -> str:
    # Tokens carry 256 random bits: a plain SHA-256 is enough (no dictionary to guess from).
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Users:
    """Adding, listing, disabling users, and authenticating a bearer token."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, name: str, role: str) -> str:
        """Create a user; returns the API token, which is not stored and cannot be shown again."""
        if not _NAME.match(name):
            raise InvalidInput(f"user name {name!r} must be lower case letters, digits, _ . -")
        try:
            value = Role(role)
        except ValueError:
            raise InvalidInput(
                f"role {role!r} is not one of {', '.join(r.value for r in Role)}"
            ) from None
        if self.store._query("SELECT 1 FROM users WHERE name = ?", (name,)):
            raise Conflict(f"user {name!r} exists already")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self.store._execute(
            "INSERT INTO users VALUES (?, ?, ?, CURRENT_TIMESTAMP, FALSE)",
            (name, value.value, _digest(token)),
        )
        return token

    def disable(self, name: str) -> None:
        if not self.store._query("SELECT 1 FROM users WHERE name = ?", (name,)):
            raise NotFound(f"no user {name!r}")
        self.store._execute("UPDATE users SET disabled = TRUE WHERE name = ?", (name,))

    def list(self) -> list[tuple[str, str, bool]]:
        rows = self.store._query("SELECT name, role, disabled FROM users ORDER BY name")
        return [(str(r[0]), str(r[1]), bool(r[2])) for r in rows]

    def authenticate(self, token: str | None) -> User:
        """The user a bearer token belongs to; one message for every failure (no oracle)."""
        if not token or not token.startswith(TOKEN_PREFIX):
            raise NotAuthenticated("a valid API token is required (Authorization: Bearer …)")
        digest = _digest(token)
        for name, role, stored, disabled in self.store._query(
            "SELECT name, role, token_hash, disabled FROM users WHERE token_hash = ?", (digest,)
        ):
            if hmac.compare_digest(str(stored), digest) and not disabled:
                return User(str(name), Role(str(role)))
        raise NotAuthenticated("a valid API token is required (Authorization: Bearer …)")
