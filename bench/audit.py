"""Benchmark of the audit log (cruce.audit) against pymerkle 7's SQLite tree.

    .venv/bin/python bench/audit.py                      # defaults: a few minutes on 2 cores
    .venv/bin/python bench/audit.py --sizes 1000000 --threads 8 --pymerkle-sizes 100000
    .venv/bin/python bench/audit.py --parts a --tasks 64,256,1024   # appends only

(a) acknowledged-durable appends/s from concurrent writer threads (each `append` returns only
    once its event is fdatasync'ed; group commit), from concurrent asyncio tasks in one event
    loop (each `await append_async` resumes only once its event is fdatasync'ed), from asyncio
    tasks in several writer processes appending through the log's service (`LogClient` over a
    Unix socket; the same guarantee), and the same events appended to pymerkle's SqliteTree,
    which commits (and fsyncs) one SQLite transaction per `append_entry`;
(b) inclusion and consistency proof times at 1M and 10M entries, and pymerkle's at the sizes
    it can build in reasonable time;
(c) full verification of the 1M log with only the public key.

Big logs are built once with the bulk path (`append_encoded`, one group commit per chunk) into
bench/out/ (git-ignored) and reused by later runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pymerkle

from cruce.audit import (
    AccessEvent,
    Actor,
    AuditLog,
    Justification,
    LogClient,
    LogService,
    Operation,
    verify_consistency,
    verify_inclusion,
    verify_log,
)

OUT = Path(__file__).resolve().parent / "out"
ACTOR = Actor("gt_pnc", "analyst7", "analyst")
WHY = Justification("gangs_organized_crime", "Art. 12", "GT-2025-0042", "cross-border check")


def event(i: int) -> AccessEvent:
    ids = (f"gt:pnc:person:{i:09d}", f"sv:pnc:person:{i * 7 % 1_000_003:09d}")
    return AccessEvent(Operation.CONSULTATION, ACTOR, WHY, record_ids=ids, details={"q": i})


def payloads(start: int, count: int) -> list[bytes]:
    """Encoded events for the bulk build: one real encoding, the counter substituted."""
    template = event(123456789).encode()
    head, tail = template.split(b"123456789", 1)
    return [head + str(i).encode() + tail for i in range(start, start + count)]


def fsync_latency_us(directory: Path, rounds: int = 200) -> float:
    path = directory / "fsync-probe"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    start = time.perf_counter()
    for _ in range(rounds):
        os.write(fd, b"x" * 400)
        os.fdatasync(fd)
    elapsed = time.perf_counter() - start
    os.close(fd)
    path.unlink()
    return elapsed / rounds * 1e6


def run_threads(threads: int, count: int, work: Callable[[int, int], None]) -> float:
    """Wall time for `threads` writers together doing `count` appends."""
    share = count // threads
    pool = [threading.Thread(target=work, args=(t * share, share)) for t in range(threads)]
    start = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return time.perf_counter() - start


def bench_cruce_appends(threads: int, count: int, encoded: bool) -> tuple[float, float, float]:
    """(acknowledged appends/s, mean group-commit batch size, process CPU us per append).

    encoded: writers hand over the event's canonical bytes (`append_encoded([bytes])`, the
    same bytes pymerkle gets) instead of the event (`append(event)`, which encodes it).
    """
    directory = OUT / f"tmp-append-{threads}"
    shutil.rmtree(directory, ignore_errors=True)
    events = [event(i) for i in range(count)]
    blobs = [e.encode() for e in events]
    with AuditLog.open(directory) as log:

        def work(first: int, n: int) -> None:
            if encoded:
                for blob in blobs[first : first + n]:
                    log.append_encoded([blob])
            else:
                for e in events[first : first + n]:
                    log.append(e)

        cpu = time.process_time()
        elapsed = run_threads(threads, count, work)
        cpu = time.process_time() - cpu
        done = count // threads * threads
        assert log.size == done
        batch = done / max(log.commits, 1)
    shutil.rmtree(directory)
    return done / elapsed, batch, cpu / done * 1e6


def bench_cruce_async_appends(tasks: int, count: int, encoded: bool) -> tuple[float, float, float]:
    """(appends/s, mean batch size, CPU us per append) for `tasks` asyncio tasks in one loop,
    each awaiting its appends one after another: `append_async(event)`, or with encoded
    `append_encoded_async([bytes])` (the same bytes the thread writers and pymerkle get)."""
    directory = OUT / f"tmp-append-async-{tasks}"
    shutil.rmtree(directory, ignore_errors=True)
    events = [event(i) for i in range(count)]
    blobs = [e.encode() for e in events]
    share = count // tasks
    with AuditLog.open(directory) as log:

        async def work(first: int) -> None:
            if encoded:
                for blob in blobs[first : first + share]:
                    await log.append_encoded_async([blob])
            else:
                for e in events[first : first + share]:
                    await log.append_async(e)

        async def run() -> float:
            start = time.perf_counter()
            await asyncio.gather(*[work(t * share) for t in range(tasks)])
            return time.perf_counter() - start

        cpu = time.process_time()
        elapsed = asyncio.run(run())
        cpu = time.process_time() - cpu
        done = share * tasks
        assert log.size == done
        batch = done / max(log.commits, 1)
    shutil.rmtree(directory)
    return done / elapsed, batch, cpu / done * 1e6


def bench_cruce_process_appends(
    processes: int, tasks: int, count: int, encoded: bool
) -> tuple[float, float, float]:
    """(appends/s, mean batch size, CPU us per append of all processes) for `processes` writer
    processes of `tasks` asyncio tasks each, appending `count` events in all through the log's
    service, which this process owns. Timed from a start signal sent once every writer has
    started and connected, to the last writer's last acknowledgement."""
    directory = OUT / f"tmp-append-procs-{processes}"
    shutil.rmtree(directory, ignore_errors=True)
    share = count // processes // tasks

    def command(path: Path, first: int) -> list[str]:
        numbers = (tasks, share, first, int(encoded))
        return [sys.executable, __file__, "--writer", str(path), *map(str, numbers)]

    async def run(service: LogService) -> tuple[float, float]:
        pool = [await asyncio.create_subprocess_exec(*command(service.path, p * share * tasks),
                                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
                for p in range(processes)]  # fmt: skip
        for writer in pool:
            assert writer.stdout and (await writer.stdout.readline()).startswith(b"ready")
        start = time.perf_counter()
        cpu = time.process_time()
        for writer in pool:
            assert writer.stdin
            writer.stdin.write(b"go\n")
        replies = [await writer.stdout.readline() for writer in pool if writer.stdout]
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu + sum(float(reply.split()[1]) for reply in replies)
        for writer in pool:
            await writer.wait()
        return elapsed, cpu

    async def serve() -> tuple[float, float]:
        async with LogService(log, directory.parent / f"s{processes}.sock") as service:
            return await run(service)

    with AuditLog.open(directory) as log:
        elapsed, cpu = asyncio.run(serve())
        done = share * tasks * processes
        assert log.size == done
        batch = done / max(log.commits, 1)
    shutil.rmtree(directory)
    return done / elapsed, batch, cpu / done * 1e6


def writer_process(path: str, tasks: int, share: int, first: int, encoded: bool) -> None:
    """One writer process of `bench_cruce_process_appends`: prints "ready", waits for a line on
    stdin, appends, prints "done CPU-SECONDS"."""
    events = [event(first + i) for i in range(share * tasks)]
    blobs = [e.encode() for e in events]

    async def main() -> None:
        client = await LogClient.connect(Path(path))

        async def work(start: int) -> None:
            if encoded:
                for blob in blobs[start : start + share]:
                    await client.append_encoded_async([blob])
            else:
                for e in events[start : start + share]:
                    await client.append_async(e)

        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        cpu = time.process_time()
        await asyncio.gather(*[work(t * share) for t in range(tasks)])
        cpu = time.process_time() - cpu
        await client.aclose()
        print(f"done {cpu}", flush=True)

    asyncio.run(main())


def bench_pymerkle_appends(threads: int, count: int) -> float:
    """pymerkle's SqliteTree: each append_entry is its own SQLite transaction (journal and
    database fsynced at commit, SQLite's default synchronous=FULL), serialized by the tree lock."""
    directory = OUT / "tmp-pymerkle-append"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    blobs = [event(i).encode() for i in range(count)]
    tree = pymerkle.SqliteTree(str(directory / "tree.db"), algorithm="sha256")
    deadline = time.perf_counter() + 5  # a slow disk must not stall the whole run

    def work(first: int, n: int) -> None:
        for blob in blobs[first : first + n]:
            if time.perf_counter() > deadline:
                return
            tree.append_entry(blob)

    elapsed = run_threads(threads, count, work)
    done = int(tree.get_size())
    tree.close()
    shutil.rmtree(directory)
    return done / elapsed


def build_log(size: int) -> Path:
    directory = OUT / f"audit-{size}"
    with AuditLog.open(directory, head_interval=3600) as log:
        if log.size < size:
            print(f"  building {size:,}-entry log in {directory} (once) ...", flush=True)
        start = time.perf_counter()
        while log.size < size:
            log.append_encoded(payloads(log.size, min(50_000, size - log.size)))
        if time.perf_counter() - start > 1:
            print(f"  ... built in {time.perf_counter() - start:.0f} s", flush=True)
    return directory


def timed_us(calls: list[Callable[[], object]]) -> list[float]:
    """Wall-clock time of each call, microseconds."""
    times = []
    for call in calls:
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1e6)
    return times


def drop_page_cache(directory: Path) -> None:
    """Evict the log's files from the page cache (clean pages only; no root needed)."""
    for path in directory.iterdir():
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)


def load_page_cache(directory: Path) -> None:
    with (directory / "tree.bin").open("rb") as f:
        while f.read(1 << 24):
            pass


def bench_cruce_proofs(size: int, samples: int, cold: bool) -> tuple[float, float, float, float]:
    """(inclusion median, p99, consistency median, p99) in microseconds, proofs checked.

    cold: the page cache is dropped first; warm: tree.bin is read into it first. Either way
    the log is freshly opened, so no tree node is in memory yet.
    """
    rng = random.Random(size + cold)
    directory = build_log(size)
    if cold:
        drop_page_cache(directory)
    else:
        load_page_cache(directory)
    with AuditLog.open(directory, head_interval=3600) as log:
        indices = [rng.randrange(size) for _ in range(samples)]
        olds = [rng.randrange(1, size) for _ in range(samples)]
        inc = timed_us([partial(log.prove_inclusion, i, size) for i in indices])
        con = timed_us([partial(log.prove_consistency, m, size) for m in olds])
        root = log.head().root_hash
        for i in indices[:20]:
            assert verify_inclusion(log.leaf_hash(i), log.prove_inclusion(i), root)
        for m in olds[:20]:
            assert verify_consistency(log.prove_consistency(m), log.root(m), root)
    return _p50(inc), _p99(inc), _p50(con), _p99(con)


def bench_pymerkle_proofs(size: int, samples: int) -> tuple[float, float, float, float]:
    """(first inclusion proof, inclusion median, consistency median, build s) in microseconds."""
    path = OUT / f"pymerkle-{size}.db"
    built = 0.0
    if not path.exists():
        print(f"  building pymerkle SqliteTree of {size:,} (once) ...", flush=True)
        start = time.perf_counter()
        tree = pymerkle.SqliteTree(str(path.with_suffix(".tmp")), algorithm="sha256")
        for chunk in range(0, size, 100_000):
            tree.append_entries(payloads(chunk, min(100_000, size - chunk)))
        tree.close()
        path.with_suffix(".tmp").rename(path)
        built = time.perf_counter() - start
    tree = pymerkle.SqliteTree(str(path), algorithm="sha256")
    rng = random.Random(size)
    first = timed_us([lambda: tree.prove_inclusion(rng.randrange(1, size + 1), size)])[0]
    inc = timed_us(
        [lambda: tree.prove_inclusion(rng.randrange(1, size + 1), size) for _ in range(samples)]
    )
    con = timed_us(
        [lambda: tree.prove_consistency(rng.randrange(1, size), size) for _ in range(samples)]
    )
    tree.close()
    return first, _p50(inc), _p50(con), built


def _p50(values: list[float]) -> float:
    return statistics.median(values)


def _p99(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.99) - 1]


def bench_verify(size: int) -> float:
    directory = build_log(size)
    key = (directory / "log-key.pub.pem").read_bytes()
    start = time.perf_counter()
    report = verify_log(directory, key)
    elapsed = time.perf_counter() - start
    assert report.tree_size == size
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", default="8,64,256", help="writer thread counts")
    parser.add_argument("--tasks", default="64,256,1024", help="asyncio writer task counts")
    parser.add_argument("--processes", default="2x128,2x256,4x128",
                        help="writer processes x asyncio tasks each, through the log's service")
    parser.add_argument("--writer", nargs=5, help=argparse.SUPPRESS)  # a writer process
    parser.add_argument("--appends", type=int, default=60_000, help="appends per writer count")
    parser.add_argument("--pymerkle-appends", type=int, default=1_000)
    parser.add_argument("--sizes", default="1000000,10000000", help="log sizes for proofs")
    parser.add_argument("--pymerkle-sizes", default="100000,1000000")
    parser.add_argument("--samples", type=int, default=2000, help="proofs timed per size")
    parser.add_argument("--verify-size", type=int, default=1_000_000)
    parser.add_argument("--parts", default="abc", help="sections to run, e.g. 'a' for appends only")
    args = parser.parse_args()
    if args.writer:
        path, tasks, share, first, encoded = args.writer
        writer_process(path, int(tasks), int(share), int(first), encoded == "1")
        return
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"python {platform.python_version()}, {os.cpu_count()} cpus, {platform.platform()}")
    print(f"fdatasync latency on {OUT}: {fsync_latency_us(OUT):.0f} us (400-byte append)\n")
    if "a" in args.parts:
        report_appends(args)
    if "b" in args.parts:
        report_proofs(args)
    if "c" in args.parts:
        print("\n(c) full verification (public key only)")
        seconds = bench_verify(args.verify_size)
        print(f"  {args.verify_size:,} entries: {seconds:.2f} s (target < 10 s)")


def report_appends(args: argparse.Namespace) -> None:
    print("(a) acknowledged-durable appends/s (the same event bytes for all). threads: OS writer")
    print("    threads calling append(event) / append_encoded([bytes]); tasks: asyncio tasks in")
    print("    one event loop awaiting append_async(event) / append_encoded_async([bytes]);")
    print("    P x T: P writer processes of T such tasks each, appending through the log's")
    print("    service (LogClient over a Unix socket) in a process that owns the log.")
    print("    b = mean entries per fdatasync; cpu = CPU (user+sys, both cores, every process)")
    print("    per append, in us; ratio = bytes column / pymerkle")
    print(f"  {'writers':>13}  {'cruce event':>25}  {'cruce bytes':>25}  "
          f"{'pymerkle':>8}  {'ratio':>5}")  # fmt: skip

    def cell(rate: float, batch: float, cpu: float) -> str:
        return f"{rate:>7,.0f} (b {batch:>5.1f}, {cpu:>5.1f})"

    best_pymerkle = 0.0
    for threads in [int(t) for t in args.threads.split(",") if t]:
        event_run = bench_cruce_appends(threads, args.appends, encoded=False)
        bytes_run = bench_cruce_appends(threads, args.appends, encoded=True)
        theirs = bench_pymerkle_appends(threads, args.pymerkle_appends)
        best_pymerkle = max(best_pymerkle, theirs)
        print(f"  {threads:>5} threads  {cell(*event_run)}  {cell(*bytes_run)}  "
              f"{theirs:>8,.0f}  {bytes_run[0] / theirs:>4.0f}x", flush=True)  # fmt: skip
    for tasks in [int(t) for t in args.tasks.split(",") if t]:
        event_run = bench_cruce_async_appends(tasks, args.appends, encoded=False)
        bytes_run = bench_cruce_async_appends(tasks, args.appends, encoded=True)
        ratio = f"{bytes_run[0] / best_pymerkle:>4.0f}x" if best_pymerkle else f"{'-':>5}"
        print(f"  {tasks:>5} tasks    {cell(*event_run)}  {cell(*bytes_run)}  "
              f"{'-':>8}  {ratio}", flush=True)  # fmt: skip
    for spec in [p for p in args.processes.split(",") if p]:
        processes, tasks = (int(n) for n in spec.split("x"))
        event_run = bench_cruce_process_appends(processes, tasks, args.appends, encoded=False)
        bytes_run = bench_cruce_process_appends(processes, tasks, args.appends, encoded=True)
        ratio = f"{bytes_run[0] / best_pymerkle:>4.0f}x" if best_pymerkle else f"{'-':>5}"
        print(f"  {f'{processes} x {tasks:<4}':>13}  {cell(*event_run)}  {cell(*bytes_run)}  "
              f"{'-':>8}  {ratio}", flush=True)  # fmt: skip
    if (args.tasks or args.processes) and best_pymerkle:
        print("  (pymerkle has no async API: task and process rows are compared with its best")
        print("  thread rate)")


def report_proofs(args: argparse.Namespace) -> None:
    print("\n(b) proof generation, microseconds: median / p99 over random indices and sizes")
    cruce = {}
    for size in [int(s) for s in args.sizes.split(",") if s]:
        for cold in (True, False):
            i50, i99, c50, c99 = bench_cruce_proofs(size, args.samples, cold)
            if not cold:
                cruce[size] = (i50, c50)
            state = "cold page cache" if cold else "warm"
            print(f"  cruce    {size:>10,} {state:>15}: inclusion {i50:6.1f} / {i99:7.1f}   "
                  f"consistency {c50:6.1f} / {c99:7.1f}", flush=True)  # fmt: skip
    for size in [int(s) for s in args.pymerkle_sizes.split(",") if s]:
        first, inc, con, built = bench_pymerkle_proofs(size, max(args.samples // 20, 20))
        line = f"  pymerkle {size:>10,}: inclusion {inc:9.1f} (first one: {first:,.0f})"
        line += f"   consistency {con:8.1f}"
        if built:
            line += f"   [built in {built:.0f} s]"
        if size in cruce:
            ratios = f"{inc / cruce[size][0]:,.0f}x / {con / cruce[size][1]:,.0f}x"
            line += f"   cruce (warm) is {ratios} faster"
        print(line, flush=True)


if __name__ == "__main__":
    main()
