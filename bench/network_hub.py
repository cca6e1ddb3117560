"""Network benchmark: expanding a hub with thousands of links, a page at a time.

    .venv/bin/python bench/network_hub.py --members 5000 --repeat 30

A node holds a gang (Organization) with `--members` members, each a Person and a Membership
(2 x members + 1 records). Timed, each `--repeat` times after one warm-up, on the Network
facade (expansion, graph, communities, betweenness and the JSON document) and through the API
in-process (`GET /api/v1/network/{id}`, ASGI transport: routing, authentication, JSON):
the hub's first page, a page in the middle (by cursor), and two levels out from a member (the
hub met on the way, paged). Issue 16's target (measured, not asserted): a 5,000-link hub
expands, paginated, in < 300 ms p95. Each expansion is logged in the node's audit log, as in
production.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from fastapi.testclient import TestClient  # noqa: E402
from tests.network.conftest import GANGS  # noqa: E402
from tests.network.hub import hub_node  # noqa: E402
from tests.network.test_network_api import WHY, network_app  # noqa: E402

from cruce.api import Users  # noqa: E402
from cruce.network import Ask, Network  # noqa: E402
from cruce.network._expand import cursor_for  # noqa: E402


def timed(run: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    run()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
    # Not `statistics.median`: bench/statistics.py, beside this script, shadows that module.
    return times[len(times) // 2], p95, times[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="cruce-network-"))
    start = time.perf_counter()
    node = hub_node(folder, args.members)
    print(f"{2 * args.members + 1} records ingested in {time.perf_counter() - start:.1f} s")
    analyst = node.as_user("ana.lopez", "analyst")
    network = Network(analyst)
    middle = cursor_for(f"hub-m{args.members // 2:05d}")  # as a page ending there gives it
    token = Users(node.store).add("bench.analyst", "analyst")
    client = TestClient(network_app(node), raise_server_exceptions=False)
    headers = {"Authorization": f"Bearer {token}", **WHY}

    def api(path: str) -> Callable[[], object]:
        def call() -> object:
            answer = client.get(path, headers=headers)
            assert answer.status_code == 200, answer.text
            return answer.json()
        return call

    cases: list[tuple[str, Callable[[], object]]] = []
    for page in (20, 100):
        cases.append((f"facade: hub, first page of {page}", lambda p=page: network.neighbourhood(
            "hub-org", GANGS, Ask.build(page_size=p)).to_dict()))
    cases.append(("facade: hub, page of 100 in the middle (cursor)",
                  lambda: network.neighbourhood("hub-org", GANGS, Ask.build(
                      page_size=100, cursor=middle)).to_dict()))
    cases.append(("facade: member, depth 2, pages of 20",
                  lambda: network.neighbourhood("hub-p00007", GANGS, Ask.build(
                      depth=2, page_size=20)).to_dict()))
    cases.append(("API: hub, first page of 20", api("/api/v1/network/hub-org?page_size=20")))
    cases.append(("API: hub, page of 100 in the middle",
                  api(f"/api/v1/network/hub-org?page_size=100&cursor={middle}")))
    cases.append(("API: member, depth 2, pages of 20",
                  api("/api/v1/network/hub-p00007?depth=2&page_size=20")))
    print(f"| {args.members:,}-link hub | p50 ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|")
    for name, run in cases:
        p50, p95, most = timed(run, args.repeat)
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {most:.1f} |")
    node.close()


if __name__ == "__main__":
    main()
