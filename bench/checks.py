"""Border checks: document checks over HTTP under wrk, and person screening quality and speed.

    .venv/bin/python bench/checks.py documents --alerts 1000000 --seconds 15
    .venv/bin/python bench/checks.py persons --alerts 1000000 --people 20000

`documents` builds a node holding N document alerts (random numbers, seeded), serves it with
the checks routes on 127.0.0.1 (`serve`, a process of its own: the index built on start,
its memory and the process's RSS printed), and drives it with wrk (compiled, Lua): POST
/api/v1/checks with one document each (random numbers: a no-hit, but for one request in 1,000
that asks for a planted alert, some with one transcription error), then GET /api/v1/me, an
authenticated no-op, on the same server with the same connections. Every check is a
consultation written to the node's audit log before its answer, as in production.

`persons`: see bench/_checks_persons.py.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOST = "127.0.0.1"
ALPHABET = "ABCDEFGHJKLMNPRTUVWXYZ0123456789"
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}
PLANTED = 100
LUA = """
local planted = {%(planted)s}
local alphabet = "%(alphabet)s"
math.randomseed(os.time())
wrk.method = "%(method)s"
wrk.headers["Authorization"] = "Bearer %(token)s"
wrk.headers["X-Cruce-Purpose"] = "border_security"
wrk.headers["X-Cruce-Case"] = "BENCH-1"
wrk.headers["Content-Type"] = "application/json"
function random_number()
  local t = {}
  for i = 1, 9 do
    local k = math.random(#alphabet)
    t[i] = alphabet:sub(k, k)
  end
  return "Q" .. table.concat(t)
end
request = function()
  if wrk.method == "GET" then return wrk.format(nil, "/api/v1/me") end
  local number
  if math.random(1000) == 1 then number = planted[math.random(#planted)]
  else number = random_number() end
  local body = '{"post":"bench","travellers":[{"document_type":"P",' ..
    '"document_country":"HND","document_number":"' .. number .. '"}]}'
  return wrk.format(nil, "/api/v1/checks", nil, body)
end
"""


def build_node(db: Path, n: int, seed: int) -> tuple[str, list[str], float]:
    """A node with `n` document alerts; returns a border officer's token, planted numbers
    and the seconds the import took."""
    from datetime import date

    from cruce import Node
    from cruce.api import Users
    from cruce.audit import Justification
    from cruce.store._alert_tables import AlertRow

    rng = random.Random(seed)
    node = Node.open(db, agency="hn_police")
    why = Justification("border_security", "bench", "", "bench alerts")
    started = time.perf_counter()
    numbers: list[str] = []
    batch = 500_000
    for first in range(0, n, batch):
        rows = []
        for i in range(first, min(n, first + batch)):
            number = "".join(rng.choices(ALPHABET, k=9))
            if len(numbers) < PLANTED:
                numbers.append(number)
            rows.append(AlertRow(f"D{i}", "document", f"HND|passport|{number}", "", "",
                                 {"reason": "stolen", "action": "Retain the document.",
                                  "contact": "hn_police", "country": "HND",
                                  "doc_type": "passport", "number": number},
                                 date(2030, 12, 31)))
        node.store.put_alerts(rows, "hn_police", node.actor, why)
        print(f"  {min(n, first + batch):,} alerts stored", flush=True)
    seconds = time.perf_counter() - started
    token = Users(node.store).add("bench.officer", "border_officer")
    node.close()
    # Half the planted numbers asked with one OCR error (0 read as O, 1 as I...).
    asked = [_one_error(x, rng) if i % 2 else x for i, x in enumerate(numbers)]
    return token, asked, seconds


def _one_error(number: str, rng: random.Random) -> str:
    swaps = {"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z", "6": "G"}
    spots = [i for i, c in enumerate(number) if c in swaps]
    if not spots:
        return number[:-1]  # a dropped character
    i = rng.choice(spots)
    return number[:i] + swaps[number[i]] + number[i + 1:]


def serve(db: Path, port: int) -> None:
    """Serve the node with the checks routes (wired here if api/_app.py does not yet)."""
    from fastapi import FastAPI

    import cruce.api._app as app_module
    from cruce import Node
    from cruce.api._checks import install_checks
    from cruce.api._serving import serve_api

    node = Node.open(db)
    before = _rss()
    started = time.perf_counter()
    app = app_module.create_app(node, every=None)
    if not any(getattr(r, "path", "") == "/api/v1/checks" for r in app.routes):
        original = app_module.install_export

        def with_checks(app: FastAPI, wiring: object) -> None:
            original(app, wiring)  # type: ignore[arg-type]
            install_checks(app, wiring)  # type: ignore[arg-type]

        app_module.install_export = with_checks  # type: ignore[assignment]
        app = app_module.create_app(node, every=None)
    print(json.dumps({"index_seconds": round(time.perf_counter() - started, 1),
                      "rss_before_mb": before, "rss_after_mb": _rss()}), flush=True)
    serve_api(app, HOST, port)


def _rss() -> int:
    text = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", text)[1]) // 1024  # type: ignore[index]


def parse_wrk(out: str) -> dict[str, float]:
    found = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])}  # type: ignore[index]
    for pct in ("50", "99"):
        number, unit = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        found[f"p{pct}"] = float(number) * UNITS[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    found["non2xx"] = float(errors[1]) if errors else 0.0
    return found


def documents(args: argparse.Namespace) -> None:
    work = args.reuse or Path(tempfile.mkdtemp(prefix="cruce-checks-"))
    db = work / "hn.duckdb"
    if args.reuse:  # a node an earlier run built (its alerts, token and planted numbers)
        kept = json.loads((work / "bench.json").read_text())
        token, planted, args.alerts = kept["token"], kept["planted"], kept["alerts"]
    else:
        print(f"building {args.alerts:,} document alerts in {db}", flush=True)
        token, planted, seconds = build_node(db, args.alerts, args.seed)
        print(f"  import: {seconds:.1f} s", flush=True)
        (work / "bench.json").write_text(json.dumps(
            {"token": token, "planted": planted, "alerts": args.alerts}))
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    server = subprocess.Popen([sys.executable, __file__, "serve", "--db", str(db),
                               "--port", str(port)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert server.stdout is not None
        built = json.loads(server.stdout.readline())
        print(f"  index: {built}", flush=True)
        _wait_for(port)
        results = {}
        for name, method in (("check", "POST"), ("no-op /me", "GET")):
            lua = work / f"{method}.lua"
            lua.write_text(LUA % {"planted": ", ".join(json.dumps(p) for p in planted),
                                  "alphabet": ALPHABET, "token": token, "method": method})
            out = subprocess.run(["wrk", f"-t{args.threads}", f"-c{args.connections}",
                                  f"-d{args.seconds}s", "--latency", "-s", str(lua),
                                  f"http://{HOST}:{port}"], capture_output=True, text=True,
                                 check=True).stdout
            results[name] = parse_wrk(out)
            print(f"  {name}: {results[name]}", flush=True)
        check, noop = results["check"], results["no-op /me"]
        print("\n| workload | alerts | req/s | p50 ms | p99 ms | non-2xx |")
        print("| --- | --- | --- | --- | --- | --- |")
        for name, r in results.items():
            print(f"| {name} | {args.alerts:,} | {r['rps']:.0f} | {r['p50']:.2f} | "
                  f"{r['p99']:.2f} | {r['non2xx']:.0f} |")
        print(f"\ncheck/no-op latency: p50 x{check['p50'] / noop['p50']:.2f}, "
              f"p99 x{check['p99'] / noop['p99']:.2f}; "
              f"throughput x{check['rps'] / noop['rps']:.2f}")
    finally:
        server.terminate()
        server.wait(timeout=60)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    docs = sub.add_parser("documents")
    docs.add_argument("--alerts", type=int, default=1_000_000)
    docs.add_argument("--seconds", type=int, default=15)
    docs.add_argument("--connections", type=int, default=50)
    docs.add_argument("--threads", type=int, default=1)
    docs.add_argument("--seed", type=int, default=1)
    docs.add_argument("--reuse", type=Path, help="The folder of an earlier run's node.")
    srv = sub.add_parser("serve")
    srv.add_argument("--db", type=Path, required=True)
    srv.add_argument("--port", type=int, required=True)
    people = sub.add_parser("persons")
    people.add_argument("--alerts", type=int, default=1_000_000)
    people.add_argument("--people", type=int, default=20_000)
    people.add_argument("--planted", type=int, default=2000)
    people.add_argument("--seed", type=int, default=1)
    people.add_argument("--nomenklatura", action="store_true")
    people.add_argument("--nk-queries", type=int, default=200,
                        help="How many of the queries logic-v2 scores (it is slow).")
    args = parser.parse_args()
    if args.command == "documents":
        documents(args)
    elif args.command == "serve":
        serve(args.db, args.port)
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from _checks_persons import persons

        persons(args)


if __name__ == "__main__":
    main()
