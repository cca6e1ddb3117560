"""The PostgreSQL store's connection pool: a connection the server dropped is replaced (reads go
on), and a statement that finds every connection taken fails with "the store is busy" after a
bounded wait instead of hanging."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import psycopg
import pytest

from cruce.store import MemorySink, _postgres, open_store
from cruce.store._postgres import PostgresStore, StoreBusy

pytestmark = pytest.mark.postgres


@pytest.fixture()
def store(store_url: str) -> Iterator[PostgresStore]:
    if not store_url.startswith("postgres"):
        pytest.skip("about the PostgreSQL store only")
    opened = open_store(store_url, MemorySink())
    assert isinstance(opened, PostgresStore)
    yield opened
    opened.close()


def test_reads_go_on_after_the_server_drops_every_connection(store: PostgresStore) -> None:
    store.set_setting("k", "v")
    with store.pool.connection() as one, store.pool.connection() as two:
        pids = [one.info.backend_pid, two.info.backend_pid]  # the pool's, and only those
    with psycopg.connect(store.conn.info.dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", (pids,))
    assert [store.get_setting("k") for _ in range(5)] == ["v"] * 5
    store.set_setting("k", "w")  # and writes, on replaced connections
    assert store.get_setting("k") == "w"


def test_a_statement_that_finds_no_free_connection_is_told_the_store_is_busy(
    store_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not store_url.startswith("postgres"):
        pytest.skip("about the PostgreSQL store only")
    monkeypatch.setattr(_postgres, "POOL_SIZE", 1)
    monkeypatch.setattr(_postgres, "POOL_WAIT", 0.2)
    store = open_store(store_url, MemorySink())
    held, done = threading.Event(), threading.Event()
    outcome: list[BaseException] = []

    def other() -> None:
        held.wait()
        try:
            store.get_setting("k")
        except StoreBusy as exc:
            outcome.append(exc)
        done.set()

    thread = threading.Thread(target=other)
    thread.start()
    try:
        with store.transaction():  # holds the pool's one connection
            store.set_setting("k", "v")
            held.set()
            done.wait()
    finally:
        thread.join()
        store.close()
    assert len(outcome) == 1 and outcome[0].status == 503
    assert "the store is busy" in str(outcome[0])
