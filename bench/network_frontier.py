"""Network benchmark (finding S8-2): one deep request on a node with a hub and many others.

    .venv/bin/python bench/network_frontier.py --members 2000 --others 20000 --page-size 500
    CRUCE_TEST_POSTGRES=postgresql://... .venv/bin/python bench/network_frontier.py --postgres

A node holds a gang (Organization) with `--members` members (a Person and a Membership each,
each with a phone) and `--others` unrelated Persons. One expansion of a member at `--depth`
with `--page-size` is timed (wall and CPU), with the number of store queries it made; a
request refused by the work budget is timed too (the refusal is what is printed).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.network.conftest import ENVELOPE, GANGS, entity, write_lines  # noqa: E402

from cruce import Node  # noqa: E402
from cruce.errors import InvalidInput  # noqa: E402
from cruce.network import Ask, Network  # noqa: E402


def lines(members: int, others: int) -> list[dict]:
    out = [entity("hub-org", "Organization", name="Mara del Valle")]
    for n in range(members):
        out.append(entity(f"hub-p{n:05d}", "Person", name=f"Miembro {n}", phone=f"+5049{n:07d}"))
        out.append(entity(f"hub-m{n:05d}", "Membership", member=f"hub-p{n:05d}",
                          organization="hub-org"))
    for n in range(others):
        out.append(entity(f"oth-p{n:06d}", "Person", name=f"Otra Persona {n}",
                          phone=f"+5048{n:07d}"))
    return out


def run(args: argparse.Namespace, where: Path | str, folder: Path) -> None:
    node = Node.open(where, agency="hn_police", user="setup")
    node.ingest(write_lines(folder / "f.jsonl", lines(args.members, args.others)),
                envelope={**ENVELOPE, "agency": "hn_police"})
    queries = 0
    original = node.store._query

    def counted(*a: object, **k: object) -> object:
        nonlocal queries
        queries += 1
        return original(*a, **k)  # type: ignore[arg-type]

    node.store._query = counted  # type: ignore[method-assign]
    ask = Ask.build(depth=args.depth, page_size=args.page_size)
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        net = Network(node.as_user("ana", "analyst")).neighbourhood("hub-p00001", GANGS, ask)
        outcome = f"{len(net.to_dict()['nodes'])} nodes"
    except InvalidInput as exc:
        outcome = f"refused: {exc}"
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{args.members} members + {args.others} others, depth {args.depth}, page "
          f"{args.page_size}, {'postgres' if args.postgres else 'duckdb'}: {wall:.2f} s wall, "
          f"{cpu:.2f} s CPU, {queries} store queries; {outcome}")
    node.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--others", type=int, default=20000)
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.postgres:
            run(args, Path(tmp) / "frontier.duckdb", Path(tmp))
            return
        os.environ.setdefault("CRUCE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
        from tests._postgres import fresh_store_url

        with fresh_store_url("cruce_bench") as url:
            run(args, url, Path(tmp))

if __name__ == "__main__":
    main()
