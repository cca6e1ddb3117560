"""Bounded load test of one real cruce node (DuckDB) over HTTP on 127.0.0.1.

    .venv/bin/python bench/load.py                          # 200 clients for 60 s
    .venv/bin/python bench/load.py --clients 20 --seconds 5 # a quick look

Builds the demo world's hn_police data (`cruce.demo.generate_world`), then through the CLI:
`cruce init`, `cruce ingest <world>/hn_police/mapping.yml`, `cruce users add` (one analyst), and
`cruce node serve` as a child process. Then CLIENTS asyncio clients (httpx.AsyncClient, one
connection each) loop until SECONDS have passed (and at most --max-requests in all): 70 %
searches for a name drawn from the data, 30 % reads of a record id drawn from the data, each with
the X-Cruce-* justification headers. Reports requests, errors (non-200 or transport failure),
throughput and latency percentiles, then stops the node and runs `cruce audit verify`.
Traffic goes only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

HOST = "127.0.0.1"
WHY = {"X-Cruce-Purpose": "gangs_organized_crime", "X-Cruce-Case": "HN-2026-LOAD",
       "X-Cruce-Why": "load test"}


def cruce(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "cruce", *args], capture_output=True, text=True,
                          check=False, timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"cruce {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def build_node(workdir: Path, people: int) -> tuple[Path, str, list[str], list[str]]:
    """A fresh node with hn_police's demo data; (db, analyst token, search terms, record ids)."""
    from cruce import Node
    from cruce.demo import WorldSpec, generate_world

    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    world = workdir / "world"
    generate_world(world, WorldSpec(people=people))
    db = workdir / "hn_police.duckdb"
    cruce("init", "--db", str(db), "--agency", "hn_police")
    cruce("ingest", str(world / "hn_police" / "mapping.yml"), "--db", str(db))
    token = cruce("users", "add", "load.analyst", "--role", "analyst", "--db", str(db))
    token = token.strip().splitlines()[-1].strip()
    with Node.open(db) as node:
        rows = node.store._query("SELECT id, schema, caption FROM records")
    ids = [str(r[0]) for r in rows]
    # Search terms: a person's full caption, or one of its words (every word must match).
    terms = []
    for _, schema, caption in rows:
        words = [w for w in str(caption).split() if len(w) > 2]
        if schema == "Person" and words:
            terms.append(" ".join(words))
            terms.append(random.Random(caption).choice(words))
    return db, token, terms, ids


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


async def client_loop(n: int, base_url: str, token: str, terms: list[str], ids: list[str],
                      deadline: float, budget: list[int], tally: Tally) -> None:
    rng = random.Random(n)
    headers = {"Authorization": f"Bearer {token}", **WHY}
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits,
                                 timeout=httpx.Timeout(60)) as client:
        while time.monotonic() < deadline and budget[0] > 0:
            budget[0] -= 1
            if rng.random() < 0.7:
                kind, request = "search", client.get(
                    "/api/v1/search", params={"q": rng.choice(terms), "limit": 20})
            else:
                kind, request = "record", client.get(f"/api/v1/records/{rng.choice(ids)}")
            start = time.perf_counter()
            try:
                response = await request
            except httpx.HTTPError as exc:
                tally.error(f"{kind}: {type(exc).__name__}")
                continue
            tally.latencies.append(time.perf_counter() - start)
            tally.kinds[kind] = tally.kinds.get(kind, 0) + 1
            if response.status_code != 200:
                tally.error(f"{kind}: HTTP {response.status_code} {response.text[:120]}")


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


async def run_load(base_url: str, token: str, terms: list[str], ids: list[str], clients: int,
                   seconds: float, max_requests: int) -> tuple[Tally, float]:
    tally = Tally()
    budget = [max_requests]
    start = time.monotonic()
    deadline = start + seconds
    await asyncio.gather(*(client_loop(n, base_url, token, terms, ids, deadline, budget, tally)
                           for n in range(clients)))
    return tally, time.monotonic() - start


def wait_ready(process: subprocess.Popen[bytes], base_url: str, token: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"node exited with {process.returncode}")
        try:
            response = httpx.get(f"{base_url}/api/v1/me", timeout=2,
                                 headers={"Authorization": f"Bearer {token}"})
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("node did not answer within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--people", type=int, default=2000, help="demo world size (WorldSpec)")
    parser.add_argument("--max-requests", type=int, default=2_000_000,
                        help="hard cap on requests in all (the loop is bounded in count too)")
    parser.add_argument("--workdir", type=Path, default=Path("bench/out/load"))
    args = parser.parse_args()
    if not 1 <= args.clients <= 1000 or not 0 < args.seconds <= 3600:
        raise SystemExit("--clients must be 1..1000 and --seconds 0..3600")

    t0 = time.perf_counter()
    db, token, terms, ids = build_node(args.workdir, args.people)
    print(f"node: {len(ids)} hn_police records, {len(terms)} search terms, "
          f"set up in {time.perf_counter() - t0:.1f} s", flush=True)

    port = free_port()
    base_url = f"http://{HOST}:{port}"
    log = (args.workdir / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "cruce", "node", "serve", "--db", str(db), "--host", HOST,
         "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "CRUCE_USER": "load"})
    try:
        wait_ready(server, base_url, token)
        tally, elapsed = asyncio.run(run_load(base_url, token, terms, ids, args.clients,
                                              args.seconds, args.max_requests))
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(15)
        log.close()

    latencies = sorted(tally.latencies)
    total = len(latencies) + sum(v for k, v in tally.errors.items() if ":" in k and "HTTP" not in k)
    errors = sum(tally.errors.values())
    verify = " ".join(cruce("audit", "verify", "--db", str(db)).split())
    result = {
        "clients": args.clients, "seconds": round(elapsed, 1), "records": len(ids),
        "requests": total, "by_kind": tally.kinds, "errors": errors,
        "error_kinds": dict(sorted(tally.errors.items(), key=lambda kv: -kv[1])[:10]),
        "throughput_rps": round(total / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p90_ms": round(percentile(latencies, 90) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "max_ms": round(latencies[-1] * 1000, 1) if latencies else None,
        "audit_verify": verify,
        "machine": f"{platform.python_implementation()} {platform.python_version()}, "
                   f"{os.cpu_count()} CPUs, {platform.system()}",
    }
    print(json.dumps(result, indent=2))
    if errors:
        raise SystemExit(f"{errors} errors")


if __name__ == "__main__":
    main()
