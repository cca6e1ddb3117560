"""The server's table of valid tokens, held in memory so that authenticating a request never
waits for the store (a long ingest holds the store lock; `/me` must still answer).

The table is read again whenever the store's users generation has moved: at once after a
change made through this server (it refreshes under the store lock before answering), and,
for a change made by another process (`cruce users … --db` on a PostgreSQL store), at the
first request that finds the store free.
"""

from __future__ import annotations

import threading

from cruce.api._users import TOKEN_PREFIX, UNAUTHENTICATED, Role, User, token_digest
from cruce.errors import NotAuthenticated
from cruce.store import Store


class TokenTable:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.lock = threading.Lock()  # one refresh at a time; the others use the table as is
        self._generation: int | None = None
        self._users: dict[str, User] = {}
        self.refresh()

    def authenticate(self, token: str | None) -> User:
        """The enabled user a bearer token belongs to; one message for every failure."""
        if not token or not token.startswith(TOKEN_PREFIX):
            raise NotAuthenticated(UNAUTHENTICATED)
        if self.lock.acquire(blocking=False):
            try:
                self.refresh()
            finally:
                self.lock.release()
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
        """Read the users again if they changed (the caller holds the store lock)."""
        generation = self.store.users_generation()
        if generation == self._generation:
            return
        # One assignment: a request reading the table meanwhile sees the old or the new one.
        self._users = {row.token_digest: User(row.name, Role(row.role))
                       for row in self.store.list_users() if not row.is_disabled}
        self._generation = generation
