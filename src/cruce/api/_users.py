"""A node's users and roles. API tokens are random, shown once, and kept only as digests."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from cruce.audit import Actor
from cruce.errors import InvalidInput, NotAuthenticated, PermissionDenied
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


def _checked_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidInput(f"user name {name!r} must be 2 to 64 lower case letters, "
                           "digits, _ . - (starting with a letter)")
    return name


def _why(text: str) -> str:
    if len(text) > MAX_WHY:
        raise InvalidInput(f"a user change's justification is {len(text)} characters: "
                           f"at most {MAX_WHY}")
    return text.strip()


def role_named(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidInput(
            f"role {role!r} is not one of {', '.join(r.value for r in Role)}") from None


# Roles that read case data (or the audit log's record of it): an admin may not make one of
# these alone. Admins manage users and read nothing.
DATA_ROLES = frozenset({Role.ANALYST, Role.BORDER_OFFICER, Role.SUPERVISOR, Role.OVERSIGHT})
# Who acts with the node's files, not through the API: the CLI's operator (`--db`) and code
# that opens the store itself. Whoever holds the files can do anything regardless (see
# docs/threat-model.md), so their user changes take effect at once; each is logged.
FILE_HOLDERS = frozenset({"operator", "system"})
MAX_WHY = 1000  # characters of a user change's justification


class Users:
    """Adding, listing, disabling, approving users, rotating their tokens, and authenticating
    a bearer token. Every change is logged as an administrative event by `by` (default: the
    system), with its justification.

    The rules that keep admins from reading case data: an admin rotates only its own token;
    a user with a data role added by an admin waits, disabled, for a supervisor's approval,
    which gives them a token the admin never saw; a name is never reused.

    >>> from cruce.store import open_store
    >>> users = Users(open_store(":memory:"))
    >>> users.add("ana.lopez", "analyst").startswith("cruce_")
    True
    """

    def __init__(self, store: Store, by: Actor | None = None) -> None:
        self.store = store
        self.by = by or Actor(store.get_setting("agency") or "unknown", "system", "system")

    def needs_approval(self, role: str) -> bool:
        """Does a user of `role` added by this actor wait for a supervisor's approval?"""
        return self.by.role == Role.ADMIN.value and role_named(role) in DATA_ROLES

    def add(self, name: str, role: str, why: str = "") -> str:
        """Create an active user; returns the API token, which is not stored and cannot be
        shown again. An admin adding a data role must `propose` them instead."""
        if self.needs_approval(role):
            raise PermissionDenied(f"an admin may not make a {role} alone: the user waits "
                                   "for a supervisor's approval (propose)")
        token = new_token()
        self.store.add_user(_checked_name(name), role_named(role).value, token_digest(token),
                            self.by, _why(why))
        return token

    def propose(self, name: str, role: str, why: str = "") -> None:
        """Create a user who waits, disabled, for a supervisor's approval (no token yet)."""
        self.store.add_user(_checked_name(name), role_named(role).value,
                            token_digest(new_token()), self.by, _why(why), pending=True)

    def approve(self, name: str, why: str) -> str:
        """A supervisor (or the operator with the node's files) activates a pending user,
        who was not added by them; returns the user's first token, shown this once."""
        if self.by.role != Role.SUPERVISOR.value and self.by.role not in FILE_HOLDERS:
            raise PermissionDenied(f"the {self.by.role} role may not approve users "
                                   "(allowed: supervisor)")
        if not why.strip():
            raise InvalidInput("approving a user needs a justification (why this person "
                               "needs this role)")
        token = new_token()
        self.store.approve_user(name, token_digest(token), self.by, _why(why))
        return token

    def disable(self, name: str, why: str = "") -> None:
        """The user's token stops working (NotFound if there is no such user)."""
        self.store.disable_user(name, self.by, _why(why))

    def rotate(self, name: str, why: str = "") -> str:
        """A new token for the user; the old one stops working. Returns the new token. Over
        the API a user rotates only their own token: to replace another's, disable them and
        add the person under a new name."""
        if self.by.role not in FILE_HOLDERS and name != self.by.user:
            raise PermissionDenied(
                f"the {self.by.role} role may rotate only its own token: disable {name!r} "
                "and add the person under a new name")
        token = new_token()
        self.store.replace_user_token(name, token_digest(token), self.by, _why(why))
        return token

    def listing(self) -> list[dict[str, str | None]]:
        """Every user: name, role, status (active, pending, disabled), and who added a
        pending one; tokens and digests are never shown."""
        return [{"name": u.name, "role": u.role, "status": u.status, "added_by": u.added_by}
                for u in self.store.list_users()]

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
