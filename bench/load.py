"""Load test of one real cruce node over HTTP on 127.0.0.1, driven by wrk (compiled, Lua).

    .venv/bin/python bench/load.py                                  # 200 connections, 60 s
    .venv/bin/python bench/load.py --seconds 10 --backend postgres --baseline HEAD~20

Per backend (duckdb file, or a fresh PostgreSQL database per run) it builds the demo world's
hn_police data (`cruce init`, `cruce ingest`, `cruce users add`), serves it with
`cruce node serve`, and runs wrk per workload: mixed (search 50 %, record 30 %, stats and /me
10 %, outbox and inbox 10 %), search only, /me only. After each run the node is stopped,
`cruce audit verify` must pass, and the consultations in the log must equal the searches and
reads served (2xx). With --baseline REF the same runs go against a git worktree of REF and the
ratios current/baseline are printed, with a markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
LUA = Path(__file__).parent / "_load" / "mixed.lua"
PG = os.environ.get("CRUCE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
WORKLOADS = {
    "mixed": [("search", 50), ("record", 30), ("stats", 5), ("me", 5), ("outbox", 5),
              ("inbox", 5)],
    "search": [("search", 100)],
    "me": [("me", 100)],
}
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


@dataclass
class Run:
    code: str
    backend: str
    workload: str
    rps: float
    p50: float
    p90: float
    p99: float
    errors: int
    timeouts: int
    sockets: int
    check: str


def cruce(src: Path, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run([sys.executable, "-m", "cruce", *args], capture_output=True, text=True,
                          check=False, timeout=1800, env=env)
    if done.returncode != 0:
        raise SystemExit(f"cruce {' '.join(args)} failed ({done.returncode}): "
                         f"{done.stderr.strip().splitlines()[-1:]}")
    return done.stdout


def fresh_store(backend: str, workdir: Path, tag: str) -> str:
    os.environ.pop("CRUCE_AUDIT_DIR", None)
    if backend == "duckdb":
        return str(workdir / f"{tag}.duckdb")
    # A server store's audit log lives in a folder of its own (cruce/_files.py); every cruce
    # process of this run (ingest, serve, verify, export) inherits it.
    audit = workdir / f"{tag}.audit"
    audit.mkdir()
    os.environ["CRUCE_AUDIT_DIR"] = str(audit)
    import psycopg  # a fresh database per run: nothing left from an earlier one

    name = re.sub(r"\W", "_", f"cruce_load_{tag}")
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return PG.rsplit("/", 1)[0] + "/" + name


def build_node(src: Path, world: Path, store: str) -> str:
    cruce(src, "init", "--db", store, "--agency", "hn_police")
    cruce(src, "ingest", str(world / "hn_police" / "mapping.yml"), "--db", store)
    return cruce(src, "users", "add", "load.analyst", "--role", "analyst", "--db",
                 store).strip().splitlines()[-1].strip()


def node_data(db: Path) -> tuple[list[str], list[str]]:
    """Surnames and record ids from a node built from the same world (every run's is equal)."""
    from cruce import Node

    with Node.open(db) as node:
        rows = node.store._query("SELECT id, schema, caption FROM records")
    ids = [str(r[0]) for r in rows]
    names = sorted({str(c).split()[0] for _, s, c in rows if s == "Person" and str(c).split()})
    return names, ids


def write_data(path: Path, token: str, names: list[str], ids: list[str], mix: str) -> None:
    def lua_list(values: list[str]) -> str:
        return "{" + ",".join(lua_string(v) for v in values) + "}"
    weights = WORKLOADS[mix]
    path.write_text(
        f"TOKEN = {json.dumps(token)}\nPURPOSE = \"gangs_organized_crime\"\n"
        f"CASE = \"HN-2026-LOAD\"\nWHY = \"load test\"\nNAMES = {lua_list(names)}\n"
        f"IDS = {lua_list(ids)}\nTOTAL = {sum(w for _, w in weights)}\n"
        "MIX = {" + ",".join(f"{{{json.dumps(k)},{w}}}" for k, w in weights) + "}\n")


def lua_string(value: str) -> str:
    """A Lua 5.1 literal: every byte outside printable ASCII as a decimal escape (no \\u)."""
    return '"' + "".join(chr(b) if 32 <= b < 127 and chr(b) not in '"\\' else f"\\{b:03d}"
                         for b in value.encode()) + '"'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_ready(process: subprocess.Popen[bytes], url: str, token: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"node exited with {process.returncode}")
        try:
            req = urllib.request.Request(url + "/api/v1/me",
                                         headers={"Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(req, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)  # not listening yet: poll again
    raise SystemExit("node did not answer within 120 s")


def parse_wrk(out: str) -> dict[str, float]:
    """req/s, p50/p90/p99 (ms), non-2xx, time-outs, socket errors, and the Lua done counts."""
    def ms(text: str) -> float:
        number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]  # wrk always prints a unit
        return float(number) * UNITS[unit]
    found: dict[str, float] = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])}  # type: ignore[index]  # wrk always prints it
    for p in ("50", "90", "99"):
        hit = re.search(rf"^\s+{p}(?:\.000)?%\s+(\S+)", out, re.M)
        found[f"p{p}"] = ms(hit[1]) if hit else float("nan")
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    found["timeouts"] = float(sock[4]) if sock else 0.0
    found["sockets"] = float(sum(int(sock[i]) for i in (1, 2, 3))) if sock else 0.0
    counts = re.search(r"CRUCE ok=(\d+) client=(\d+) server=(\d+) searches=(\d+) "
                       r"reads=(\d+) sent=(\d+)", out)
    if counts is None:
        raise SystemExit("wrk printed no CRUCE counts: the Lua done hook did not run")
    found.update(ok=float(counts[1]), errors=float(counts[2]) + float(counts[3]),
                 served=float(counts[4]) + float(counts[5]), sent=float(counts[6]))
    return found


def consultations(src: Path, store: str) -> int:
    """The load analyst's consultations in the log (`cruce audit export`, which logs itself as
    the operator's consultation, not the analyst's)."""
    events = cruce(src, "audit", "export", "--db", store, "--why", "load check")
    return sum(1 for line in events.splitlines() if line.strip()
               and (e := json.loads(line))["op"] == "consultation"
               and e["actor"]["user"] == "load.analyst")


def one_run(src: Path, code: str, backend: str, mix: str, world: Path, workdir: Path,
            names: list[str], ids: list[str], args: argparse.Namespace) -> Run:
    store = fresh_store(backend, workdir, f"{code}_{backend}_{mix}")
    token = build_node(src, world, store)
    data = workdir / f"data_{mix}.lua"
    write_data(data, token, names, ids, mix)
    before = consultations(src, store)
    port = free_port()
    url = f"http://{HOST}:{port}"
    with (workdir / f"server_{code}_{backend}_{mix}.log").open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "cruce", "node", "serve", "--db", store, "--host", HOST,
             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(src), "CRUCE_USER": "load"})
        try:
            wait_ready(server, url, token)
            done = subprocess.run(
                ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.seconds}s",
                 "--latency", "--timeout", "10s", "-s", str(LUA), url, "--", str(data)],
                capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"wrk failed: {done.stderr.strip() or done.stdout.strip()}")
            out = done.stdout
        finally:
            server.terminate()
            server.wait(60)
    (workdir / f"wrk_{code}_{backend}_{mix}.txt").write_text(out)
    got = parse_wrk(out)
    verify = " ".join(cruce(src, "audit", "verify", "--db", store).split())[:60]
    logged = consultations(src, store) - before
    served, sent = int(got["served"]), int(got["sent"])
    # Exact equality only if nothing was in flight when wrk stopped: those answers are never
    # read (so not "served" here) yet are logged; they are at most sent - served.
    check = (f"verify ok; consultations {logged}, served {served}, sent {sent}: "
             + ("== served yes" if logged == served else
                "served <= logged <= sent yes" if served <= logged <= sent else "NO"))
    print(f"  {code} {backend} {mix}: {got['rps']:.0f} req/s, p50 {got['p50']:.1f} ms, "
          f"p99 {got['p99']:.1f} ms, errors {int(got['errors'])}; audit: {verify}; {check}",
          flush=True)
    return Run(code, backend, mix, got["rps"], got["p50"], got["p90"], got["p99"],
               int(got["errors"]), int(got["timeouts"]), int(got["sockets"]), check)


def worktree(ref: str) -> Path:
    path = Path("/tmp/cruce-baseline")
    if path.exists():
        subprocess.run(["git", "worktree", "remove", "--force", str(path)], check=False)
    subprocess.run(["git", "worktree", "add", "--detach", str(path), ref], check=True,
                   capture_output=True)
    return path / "src"


def table(runs: list[Run]) -> str:
    lines = ["| code | backend | workload | req/s | p50 ms | p90 ms | p99 ms | non-2xx | "
             "time-outs | socket errors | ratio req/s cur/base |", "|" + "---|" * 11]
    base = {(r.backend, r.workload): r.rps for r in runs if r.code == "baseline"}
    for r in runs:
        ratio = f"{r.rps / base[(r.backend, r.workload)]:.2f}" if r.code == "current" and \
            base.get((r.backend, r.workload)) else ""
        lines.append(f"| {r.code} | {r.backend} | {r.workload} | {r.rps:,.0f} | {r.p50:.1f} | "
                     f"{r.p90:.1f} | {r.p99:.1f} | {r.errors} | {r.timeouts} | {r.sockets} | "
                     f"{ratio} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--people", type=int, default=20_000, help="demo world size (WorldSpec)")
    parser.add_argument("--backend", choices=["duckdb", "postgres", "both"], default="both")
    parser.add_argument("--workload", choices=[*WORKLOADS, "all"], default="all")
    parser.add_argument("--baseline", metavar="REF", help="also run a git worktree of REF")
    parser.add_argument("--workdir", type=Path, default=Path("bench/out/load"))
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench/load.py needs wrk: apt-get install -y wrk")
    from cruce.demo import WorldSpec, generate_world

    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    world = args.workdir / "world"
    generate_world(world, WorldSpec(people=args.people))
    here = (Path(__file__).parent.parent / "src").resolve()
    names_db = args.workdir / "names.duckdb"
    build_node(here, world, str(names_db))
    names, ids = node_data(names_db)
    print(f"node: {len(ids)} hn_police records, {len(names)} surnames; load "
          f"{Path('/proc/loadavg').read_text().split()[:3]}", flush=True)
    codes = [("current", here)] + ([("baseline", worktree(args.baseline))] if args.baseline
                                   else [])
    backends = ["duckdb", "postgres"] if args.backend == "both" else [args.backend]
    mixes = list(WORKLOADS) if args.workload == "all" else [args.workload]
    runs = [one_run(src, code, backend, mix, world, args.workdir, names, ids, args)
            for backend in backends for mix in mixes for code, src in codes]
    print(f"load average after: {Path('/proc/loadavg').read_text().split()[:3]}")
    print(table(runs))
    if any(not r.check.endswith("yes") for r in runs):
        raise SystemExit("a run's consultations did not match what was served")


if __name__ == "__main__":
    main()
