"""The server's table of valid tokens, held in memory so that authenticating a request never
waits for the store (a long ingest writes for minutes; `/me` must still answer).

Before every request the table asks the store for the users' generation and, if it moved,
reloads (the request waits for that reload, never going on with a table known to be stale). A
change made through this server has moved it before its answer leaves, so a disabled or rotated
token is refused from the next request on, by every thread; one made by another process
(another worker, `cruce users … --db` on PostgreSQL) at the next request after its commit.
What the question costs depends on the store: DuckDB answers from memory until a commit through
it (no other process may write its file), PostgreSQL reads one row.
"""

from __future__ import annotations

import threading

from cruce.api._users import TOKEN_PREFIX, UNAUTHENTICATED, Role, User, token_digest
from cruce.errors import NotAuthenticated
from cruce.store import Store


class TokenTable:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.lock = threading.Lock()  # one reload at a time
        self._generation: int | None = None
        self._users: dict[str, User] = {}
        self.refresh()

    def authenticate(self, token: str | None) -> User:
        """The enabled user a bearer token belongs to; one message for every failure."""
        if not token or not token.startswith(TOKEN_PREFIX):
            raise NotAuthenticated(UNAUTHENTICATED)
        self.refresh()
        user = self._users.get(token_digest(token))
        if user is None:
            raise NotAuthenticated(UNAUTHENTICATED)
        return user

    def is_known(self, token: str) -> bool:
        """Is this a known, enabled token as the table last read them? No store access: for
        checks on the event loop before a body is read (the route authenticates again)."""
        return token.startswith(TOKEN_PREFIX) and token_digest(token) in self._users

    def is_valid(self, token: str) -> bool:
        """`authenticate` as a yes or no (may read the store: not on the event loop)."""
        try:
            self.authenticate(token)
        except NotAuthenticated:
            return False
        return True

    def refresh(self) -> None:
        """Reload the users if their generation moved; returns once the table is at least as
        new as the store was when called (a caller never goes on with a table it knows is
        stale: it waits for a reload running meanwhile, then checks again)."""
        generation = self.store.users_generation()
        if generation == self._generation:
            return
        with self.lock:
            # Read again under the lock: the reload that held it may have taken this change.
            generation = self.store.users_generation()
            if generation == self._generation:
                return
            users = {row.token_digest: User(row.name, Role(row.role))
                     for row in self.store.list_users() if not row.is_disabled}
            # One assignment: a request reading the table meanwhile sees the old or the new one.
            self._users, self._generation = users, generation
