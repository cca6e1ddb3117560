"""Many threads on one store: readers running while writers commit keep the store contract.

No lost write, no torn read (a reader sees a whole transaction or none of it), reads-your-writes
inside a transaction, and a failed transaction leaves nothing. No sleeps: threads meet at
barriers and events, and the checks are on what each thread saw.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from cruce.store import MemorySink, Store, open_store

WRITERS, READERS, ROUNDS = 4, 4, 25


@pytest.fixture()
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url, MemorySink())
    yield opened
    opened.close()


def run_threads(targets: list[Callable[[], None]]) -> None:
    """Run every target in its own thread; re-raise the first failure in the test's thread."""
    failures: list[BaseException] = []

    def guarded(target: Callable[[], None]) -> None:
        try:
            target()
        except BaseException as exc:  # any failure in a thread must fail the test
            failures.append(exc)

    threads = [threading.Thread(target=guarded, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def test_no_lost_write_and_no_torn_read(store: Store) -> None:
    start = threading.Barrier(WRITERS + READERS)
    done = threading.Event()
    torn: list[tuple[str | None, str | None]] = []

    def writer(w: int) -> Callable[[], None]:
        def write() -> None:
            start.wait()
            for r in range(ROUNDS):
                # Both halves of a pair commit together: a reader must never see one alone.
                with store.transaction():
                    store.set_setting(f"a.{w}", str(r))
                    store.set_setting(f"b.{w}", str(r))
        return write

    def reader() -> None:
        start.wait()
        while not done.is_set():
            for w in range(WRITERS):
                # Both keys are read in one snapshot: a transaction, as a reader's would be.
                with store.transaction():
                    pair = (store.get_setting(f"a.{w}"), store.get_setting(f"b.{w}"))
                if pair[0] != pair[1]:
                    torn.append(pair)

    writers = [writer(w) for w in range(WRITERS)]

    def writers_then_done() -> None:
        run_threads(writers)
        done.set()

    run_threads([writers_then_done, *[reader] * READERS])
    assert torn == []
    for w in range(WRITERS):
        assert store.get_setting(f"a.{w}") == str(ROUNDS - 1)
        assert store.get_setting(f"b.{w}") == str(ROUNDS - 1)


def test_every_thread_keeps_its_own_writes(store: Store) -> None:
    start = threading.Barrier(8)

    def writer(t: int) -> Callable[[], None]:
        def write() -> None:
            start.wait()
            for r in range(ROUNDS):
                store.set_setting(f"k.{t}.{r}", str(t * r))
        return write

    run_threads([writer(t) for t in range(8)])
    for t in range(8):
        for r in range(ROUNDS):
            assert store.get_setting(f"k.{t}.{r}") == str(t * r)


def test_a_transaction_reads_its_own_writes_and_others_do_not(store: Store) -> None:
    written, checked = threading.Event(), threading.Event()
    seen_outside: list[str | None] = []

    def outsider() -> None:
        written.wait()
        seen_outside.append(store.get_setting("pending"))
        checked.set()

    other = threading.Thread(target=outsider)
    other.start()
    with store.transaction():
        store.set_setting("pending", "yes")
        assert store.get_setting("pending") == "yes"
        written.set()
        checked.wait()
    other.join()
    assert seen_outside == [None]
    assert store.get_setting("pending") == "yes"


def test_a_failed_transaction_leaves_nothing_while_others_commit(store: Store) -> None:
    start = threading.Barrier(2)

    def failing() -> None:
        start.wait()
        for r in range(ROUNDS):
            with pytest.raises(RuntimeError), store.transaction():
                store.set_setting(f"failed.{r}", "x")
                raise RuntimeError("abandoned")

    def committing() -> None:
        start.wait()
        for r in range(ROUNDS):
            store.set_setting(f"kept.{r}", "x")

    run_threads([failing, committing])
    for r in range(ROUNDS):
        assert store.get_setting(f"failed.{r}") is None
        assert store.get_setting(f"kept.{r}") == "x"
