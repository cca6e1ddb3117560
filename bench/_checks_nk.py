"""nomenklatura's logic-v2 on (query, candidates) pairs, run in nomenklatura's virtualenv.

    NK_PYTHON bench/_checks_nk.py pairs.jsonl   -> one JSON line: per threshold the alert
                                                   ids found per query, and ms per query
Each line of pairs.jsonl: {"query": fields, "pid": ..., "candidates": [{"id": ..., fields}]},
fields as a manifest gives them (given_names, surnames, birth_date, nationality alpha-3).
"""

import json
import sys
import time

from followthemoney import model
from nomenklatura.matching import LogicV2

ISO2 = {"HND": "hn", "GTM": "gt", "SLV": "sv", "MEX": "mx", "USA": "us"}
THRESHOLDS = ("0.5", "0.7", "0.8", "0.9")


def entity(key: str, f: dict) -> object:
    proxy = model.make_entity("Person")
    proxy.id = key
    proxy.add("name", f"{f['given_names']} {f['surnames']}".strip())
    proxy.add("firstName", f["given_names"] or None)
    proxy.add("lastName", f["surnames"] or None)
    if f.get("birth_date"):
        proxy.add("birthDate", f["birth_date"])
    if ISO2.get(f.get("nationality", "")):
        proxy.add("nationality", ISO2[f["nationality"]])
    return proxy


def main() -> None:
    config = LogicV2.default_config()
    found = {t: [] for t in THRESHOLDS}
    ms = []
    with open(sys.argv[1], encoding="utf-8") as lines:
        for n, line in enumerate(lines):
            pair = json.loads(line)
            query = entity(f"q{n}", pair["query"])
            t0 = time.perf_counter()
            scores = [(c["id"], LogicV2.compare(query, entity(c["id"], c), config).score)
                      for c in pair["candidates"]]
            ms.append((time.perf_counter() - t0) * 1e3)
            for t in THRESHOLDS:
                found[t].append([a for a, s in scores if s >= float(t)])
    print(json.dumps({"found": found, "ms": ms}))


if __name__ == "__main__":
    main()
