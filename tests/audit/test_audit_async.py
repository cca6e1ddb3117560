"""Asyncio writers: `await append_async` resumes only once the event is durable, one loop
wake-up per batch, failures and closing reach every waiter, threads and tasks mix."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest
from audit_support import ACTOR, HEADER, WHY, make_event, public_key, read_records
from test_audit_crash import run_and_kill

import cruce.audit._log as log_module
from cruce.audit import AccessEvent, AuditLog, Operation, verify_log
from cruce.errors import CruceError, InvalidInput

TIMEOUT = 60  # a hung waiter fails the test instead of the run


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    async def bounded() -> Any:
        return await asyncio.wait_for(coro, TIMEOUT)

    return asyncio.run(bounded())


def record_ends(log_dir: Path) -> list[int]:
    """End offset in entries.log of each record, by index."""
    ends, pos = [], HEADER
    for record in read_records(log_dir):
        pos += len(record)
        ends.append(pos)
    return ends


def test_every_awaited_append_is_durable_when_it_resumes_and_in_index_order(
    log_dir, monkeypatch
) -> None:
    synced = [HEADER]  # bytes of entries.log covered by the latest fdatasync
    real_sync = log_module.fdatasync

    def tracking_sync(fd: int) -> None:
        real_sync(fd)
        if fd == log._entries_fd:
            synced[0] = os.fstat(fd).st_size

    monkeypatch.setattr(log_module, "fdatasync", tracking_sync)
    acks: list[tuple[int, int, int, int]] = []  # (index, task, n, synced bytes at the ack)

    async def writer(task: int) -> None:
        last = -1
        for n in range(15):
            index = await log.append_async(make_event(task * 1000 + n))
            assert index > last  # a task's own appends are in its order
            assert index < log.size  # acknowledged, so counted
            last = index
            acks.append((index, task, n, synced[0]))

    async def main() -> None:
        await asyncio.gather(*[writer(t) for t in range(100)])

    with AuditLog.open(log_dir) as log:
        run(main())
        assert log.size == 1500
        assert log.commits < 1500  # grouped
        for index, task, n, _ in acks[::7]:
            assert log.entry(index).event["details"]["n"] == task * 1000 + n
    assert sorted(index for index, *_ in acks) == list(range(1500))
    ends = record_ends(log_dir)
    for index, _, _, durable in acks:
        assert ends[index] <= durable, f"entry {index} was acknowledged before its fdatasync"
    report = verify_log(log_dir, public_key(log_dir))
    assert report.tree_size == 1500
    with AuditLog.open(log_dir) as log:  # and it reopens with every entry in place
        seen = {(e.event["details"]["n"]) for e in log.iter_events()}
        assert seen == {t * 1000 + n for t in range(100) for n in range(15)}


def test_append_encoded_async_returns_consecutive_ranges(log_dir) -> None:
    events = [make_event(i) for i in range(30)]

    async def main() -> list[range]:
        async def one(chunk: int) -> range:
            return await log.append_encoded_async([e.encode() for e in events[chunk : chunk + 3]])

        return await asyncio.gather(*[one(c) for c in range(0, 30, 3)])

    with AuditLog.open(log_dir) as log:
        ranges = run(main())
        assert sorted(i for r in ranges for i in r) == list(range(30))
        assert all(len(r) == 3 for r in ranges)
        for chunk, r in zip(range(0, 30, 3), ranges, strict=True):
            assert [log.entry(i).raw for i in r] == [e.encode() for e in events[chunk : chunk + 3]]
        assert run(log.append_encoded_async([])) == range(30, 30)
        assert run(log.emit_async(make_event(99))) is None
        assert log.size == 31
    assert verify_log(log_dir, public_key(log_dir)).tree_size == 31


def test_a_batch_wakes_each_event_loop_once(log_dir, monkeypatch) -> None:
    wakeups = 0

    async def main() -> None:
        nonlocal wakeups
        loop = asyncio.get_running_loop()
        real = loop.call_soon_threadsafe

        def counting(callback: Any, *args: Any) -> Any:
            nonlocal wakeups
            wakeups += 1
            return real(callback, *args)

        monkeypatch.setattr(loop, "call_soon_threadsafe", counting)

        async def writer(task: int) -> None:
            for n in range(20):
                await log.append_async(make_event(task * 100 + n))

        await asyncio.gather(*[writer(t) for t in range(50)])

    with AuditLog.open(log_dir, head_interval=3600) as log:
        run(main())
        assert log.size == 1000
        assert 0 < wakeups <= log.commits  # at most one per batch, not one per append
        assert wakeups < 1000 / 2


def tagged(tag: str) -> AccessEvent:
    return AccessEvent(Operation.CONSULTATION, ACTOR, WHY, record_ids=(tag,))


def test_writers_in_several_event_loops_and_threads_at_once(log_dir) -> None:
    results: dict[str, int] = {}
    lock = threading.Lock()

    def note(tag: str, index: int) -> None:
        with lock:
            results[tag] = index

    def loop_writer(loop_no: int) -> None:
        async def task(t: int) -> None:
            for n in range(10):
                tag = f"L{loop_no}-{t}-{n}"
                note(tag, await log.append_async(tagged(tag)))

        async def main() -> None:
            await asyncio.gather(*[task(t) for t in range(20)])

        run(main())

    def thread_writer(t: int) -> None:
        for n in range(25):
            tag = f"T{t}-{n}"
            note(tag, log.append(tagged(tag)))

    with AuditLog.open(log_dir) as log:
        pool = [threading.Thread(target=loop_writer, args=(i,)) for i in range(3)]
        pool += [threading.Thread(target=thread_writer, args=(t,)) for t in range(8)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        total = 3 * 20 * 10 + 8 * 25
        assert len(results) == total
        assert sorted(results.values()) == list(range(total))
        for tag, index in results.items():
            assert log.entry(index).event["record_ids"] == [tag]
    assert verify_log(log_dir, public_key(log_dir)).tree_size == total


def test_a_failed_sync_fails_every_waiter_of_the_batch_and_later_appends(
    log_dir, monkeypatch
) -> None:
    with AuditLog.open(log_dir) as log:
        assert run(log.append_async(make_event(0))) == 0

        everyone_queued = threading.Event()

        def broken(fd: int) -> None:
            everyone_queued.wait(30)  # the failing sync is under way while all 40 are queued
            raise OSError(5, "Input/output error")

        monkeypatch.setattr(log_module, "fdatasync", broken)

        async def main() -> list[BaseException | int]:
            waiters = [asyncio.ensure_future(log.append_async(make_event(i)))
                       for i in range(1, 41)]
            await asyncio.sleep(0)  # one turn of the loop: each waiter queues its event
            everyone_queued.set()
            return await asyncio.gather(*waiters, return_exceptions=True)

        outcomes = run(main())
        assert all(isinstance(o, CruceError) for o in outcomes), outcomes
        assert any("write failed" in str(o) for o in outcomes)
        assert len({id(o) for o in outcomes}) == len(outcomes)  # one exception per waiter
        monkeypatch.undo()
        with pytest.raises(CruceError, match="reopen"):
            run(log.append_async(make_event(50)))
        with pytest.raises(CruceError, match="reopen"):
            log.append(make_event(51))
    with AuditLog.open(log_dir) as log:  # the unsynced batch is not trusted: it is re-read
        assert run(log.append_async(make_event(60))) == log.size - 1
    verify_log(log_dir, public_key(log_dir))


def test_oversized_events_and_closed_logs_raise_in_the_caller(log_dir) -> None:
    log = AuditLog.open(log_dir)
    with pytest.raises(InvalidInput):
        run(log.append_encoded_async([b"x" * (log_module.MAX_ENTRY_BYTES + 1)]))
    run(log.aclose())
    log.close()
    with pytest.raises(CruceError, match="closed"):
        run(log.append_async(make_event(0)))
    with pytest.raises(CruceError, match="closed"):
        run(log.append_encoded_async([make_event(0).encode()]))


@pytest.mark.parametrize("how", ["close", "aclose"])
def test_closing_under_load_commits_what_was_queued_and_refuses_the_rest(log_dir, how) -> None:
    acks: dict[int, int] = {}
    refused: list[BaseException] = []

    async def writer(task: int) -> None:
        for n in range(10**6):
            try:
                index = await log.append_async(make_event(task * 10**6 + n))
            except CruceError as exc:
                refused.append(exc)
                return
            acks[index] = task * 10**6 + n

    async def main() -> None:
        writers = [asyncio.create_task(writer(t)) for t in range(64)]
        while len(acks) < 500:
            await asyncio.sleep(0.001)
        if how == "close":
            log.close()  # blocks the loop: queued waiters are settled after it returns
        else:
            await log.aclose()
        await asyncio.gather(*writers)  # nobody hangs

    log = AuditLog.open(log_dir)
    run(main())
    assert len(refused) == 64 and all("closed" in str(e) for e in refused)
    with AuditLog.open(log_dir) as reopened:
        assert reopened.size == len(acks)  # every queued event was committed and acknowledged
        for index, n in acks.items():
            assert reopened.entry(index).event["details"]["n"] == n
    assert verify_log(log_dir, public_key(log_dir)).tree_size == len(acks)


def test_a_cancelled_waiter_does_not_disturb_the_committer_or_the_loop(
    log_dir, monkeypatch
) -> None:
    real_sync = log_module.fdatasync
    syncing, release = threading.Event(), threading.Event()

    def held(fd: int) -> None:  # the batch's sync, held until the waiter is cancelled
        syncing.set()
        assert release.wait(60)
        real_sync(fd)

    errors: list[dict[str, Any]] = []

    async def main() -> int:
        asyncio.get_running_loop().set_exception_handler(lambda _, ctx: errors.append(ctx))
        monkeypatch.setattr(log_module, "fdatasync", held)
        doomed = asyncio.create_task(log.append_async(make_event(1)))
        assert await asyncio.to_thread(syncing.wait, 60)  # queued, being synced, not durable
        doomed.cancel()
        with pytest.raises(asyncio.CancelledError):
            await doomed
        release.set()
        monkeypatch.undo()
        return await log.append_async(make_event(2))

    with AuditLog.open(log_dir) as log:
        assert run(log.append_async(make_event(0))) == 0
        assert run(main()) == 2  # the cancelled waiter's event was committed all the same
        assert log.entry(1).event["details"]["n"] == 1
    assert not errors


def test_a_waiter_whose_event_loop_is_gone_does_not_stop_the_log(log_dir, monkeypatch) -> None:
    real_sync = log_module.fdatasync
    started, release = threading.Event(), threading.Event()

    def held(fd: int) -> None:  # the batch's sync, held until its event loop is gone
        started.set()
        assert release.wait(60)
        real_sync(fd)

    def abandoned() -> None:
        loop = asyncio.new_event_loop()
        task = loop.create_task(log.append_async(make_event(1)))
        loop.run_until_complete(asyncio.to_thread(started.wait, 60))  # queued, being synced
        task.cancel()
        loop.run_until_complete(asyncio.gather(task, return_exceptions=True))
        loop.close()  # closed while its batch is being synced

    with AuditLog.open(log_dir) as log:
        monkeypatch.setattr(log_module, "fdatasync", held)
        thread = threading.Thread(target=abandoned)
        thread.start()
        thread.join()
        release.set()
        monkeypatch.undo()
        assert log.append(make_event(2)) == 1
        assert run(log.append_async(make_event(3))) == 2
        assert log.entry(0).event["details"]["n"] == 1
    assert verify_log(log_dir, public_key(log_dir)).tree_size == 3


# The child appends from 200 asyncio tasks in one event loop and prints each index once
# `await append_async` has returned it, i.e. once the log acknowledged it as durable.
ASYNC_CHILD = """
import asyncio, os, sys
from pathlib import Path
from cruce.audit import AccessEvent, Actor, AuditLog, Justification, Operation

log = AuditLog.open(Path(sys.argv[1]), head_interval=0.05)
actor, why = Actor("gt_pnc", "crash", "system"), Justification("test")

async def writer(t):
    for n in range(10**9):
        tag = f"a{t}-{n}"
        event = AccessEvent(Operation.CONSULTATION, actor, why, record_ids=(tag,))
        if n % 5:
            index = await log.append_async(event)
        else:
            (index,) = await log.append_encoded_async([event.encode()])
        os.write(1, f"{index} {tag}\\n".encode())

async def main():
    await asyncio.gather(*[writer(t) for t in range(200)])

asyncio.run(main())
"""


def test_every_acknowledged_async_append_survives_sigkill(log_dir) -> None:
    acks = run_and_kill(log_dir, 3000, ASYNC_CHILD)
    with AuditLog.open(log_dir) as log:
        assert log.size >= max(acks) + 1
        for index, tag in acks.items():
            assert log.entry(index).event["record_ids"] == [tag]
        again = run(log.append_async(make_event(0)))
        assert again == log.size - 1
    assert verify_log(log_dir, public_key(log_dir)).tree_size == again + 1
