"""The server's in-memory token table under threads, on DuckDB and PostgreSQL (issue 13): a
token disabled or rotated through the store is refused by every thread from the next request
on, and a new user's token works at once. No sleeps: threads meet at events."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from cruce.api import Users
from cruce.api._tokens import TokenTable
from cruce.errors import NotAuthenticated
from cruce.store import MemorySink, Store, open_store

THREADS = 6


@pytest.fixture()
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url, MemorySink())
    yield opened
    opened.close()


def test_a_disabled_token_is_refused_by_every_thread_at_once(store: Store) -> None:
    users = Users(store)
    token = users.add("ana.lopez", "analyst")
    table = TokenTable(store)
    disabled = threading.Event()
    accepted_after: list[str] = []
    started = threading.Barrier(THREADS + 1)
    failures: list[BaseException] = []

    def caller() -> None:
        try:
            started.wait()
            refused = 0
            while refused < 20:  # keep going until this thread was refused a few times
                after = disabled.is_set()  # read before the request is made
                try:
                    user = table.authenticate(token)
                except NotAuthenticated:
                    refused += 1
                    continue
                if after:
                    accepted_after.append(user.name)
        except BaseException as exc:  # a failure in a thread must fail the test
            failures.append(exc)

    threads = [threading.Thread(target=caller) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    started.wait()
    users.disable("ana.lopez")  # through the store, not the table: as another process would
    disabled.set()
    for thread in threads:
        thread.join()
    assert not failures and accepted_after == []


def test_a_rotated_token_is_refused_and_the_new_one_accepted(store: Store) -> None:
    users = Users(store)
    old = users.add("ana.lopez", "analyst")
    table = TokenTable(store)
    assert table.authenticate(old).name == "ana.lopez"
    new = users.rotate("ana.lopez")
    with pytest.raises(NotAuthenticated):
        table.authenticate(old)
    assert table.authenticate(new).name == "ana.lopez"
    other = users.add("bo.ruiz", "supervisor")
    assert table.is_valid(other) and table.authenticate(other).role.value == "supervisor"


def test_the_users_generation_moves_with_every_change(store: Store) -> None:
    users = Users(store)
    seen = [store.users_generation()]
    users.add("ana.lopez", "analyst")
    seen.append(store.users_generation())
    assert store.users_generation() == seen[-1]  # asked again without a change: the same
    users.disable("ana.lopez")
    seen.append(store.users_generation())
    assert len(set(seen)) == 3
