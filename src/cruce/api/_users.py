"""A node's users and roles. API tokens are random, shown once, and kept only as digests."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from cruce.audit import Actor
from cruce.errors import InvalidInput, NotAuthenticated
from cruce.store import Store

_NAME = re.compile(r"^[a-z][a-z0-9_.\-]{1,63}$")
TOKEN_PREFIX = "cruce_"
UNAUTHENTICATED = "a valid API token is required (Authorization: Bearer …)"


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


def token_digest(token: str) -> str:
    """What the store keeps of a token. Tokens carry 256 random bits: a plain SHA-256 is
    enough (there is no dictionary to guess from)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def role_named(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidInput(
            f"role {role!r} is not one of {', '.join(r.value for r in Role)}") from None


class Users:
    """Adding, listing, disabling users, rotating their tokens, and authenticating a bearer
    token. Every change is logged as an administrative event by `by` (default: the system).

    >>> from cruce.store import open_store
    >>> users = Users(open_store(":memory:"))
    >>> users.add("ana.lopez", "analyst").startswith("cruce_")
    True
    """

    def __init__(self, store: Store, by: Actor | None = None) -> None:
        self.store = store
        self.by = by or Actor(store.get_setting("agency") or "unknown", "system", "system")

    def add(self, name: str, role: str) -> str:
        """Create a user; returns the API token, which is not stored and cannot be shown again."""
        if not _NAME.match(name):
            raise InvalidInput(f"user name {name!r} must be 2 to 64 lower case letters, "
                               "digits, _ . - (starting with a letter)")
        token = new_token()
        self.store.add_user(name, role_named(role).value, token_digest(token), self.by)
        return token

    def disable(self, name: str) -> None:
        """The user's token stops working (NotFound if there is no such user)."""
        self.store.disable_user(name, self.by)

    def rotate(self, name: str) -> str:
        """A new token for the user; the old one stops working. Returns the new token."""
        token = new_token()
        self.store.replace_user_token(name, token_digest(token), self.by)
        return token

    def list(self) -> list[tuple[str, str, bool]]:
        """(name, role, is disabled) for every user, by name; tokens are never shown."""
        return [(u.name, u.role, u.is_disabled) for u in self.store.list_users()]

    def authenticate(self, token: str | None) -> User:
        """The user a bearer token belongs to; one message for every failure (no oracle)."""
        if token and token.startswith(TOKEN_PREFIX):
            row = self.store.user_by_token_digest(token_digest(token))
            if row is not None and not row.is_disabled:
                return User(row.name, Role(row.role))
        raise NotAuthenticated(UNAUTHENTICATED)
