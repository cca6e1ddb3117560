"""Person screening: quality and speed against many person alerts (`bench/checks.py persons`).

An evaluation world (bench/_evalworld, the linkage's held-out generator: screening was not
tuned on it) gives people recorded by several agencies, each spelling names its own way. For
`--planted` people seen by two agencies, one agency's record becomes a person alert and the
other's is the query, as a manifest would give it (given names and surnames apart, upper-case
ASCII); as many queries come from people with no alert. The rest of the `--alerts` are other
people: names and birth dates of the world's records recombined. Every query is screened
(`AlertIndex.check_person`, in process: the HTTP cost is the documents benchmark's) and
timed; a hit is a (query, alert) pair scored 0.5 or more, right if they are one person.

With --nomenklatura, the same queries and the same candidates (those the blocking keys give)
are scored by nomenklatura's logic-v2 matcher, in its own virtualenv (NK_PYTHON, default
/tmp/C/nkvenv/bin/python: it needs another followthemoney than cruce pins), at its own
threshold and at its best one, timed per query.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import tempfile
import time
import unicodedata
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

ISO3 = {"HN": "HND", "GT": "GTM", "SV": "SLV", "MX": "MEX", "US": "USA"}
NK_SCRIPT = Path(__file__).parent / "_checks_nk.py"
Pair = tuple[str, dict[str, str]]  # (person id, fields)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().upper()


def fields_of(props: dict[str, list[str]]) -> dict[str, str]:
    """A record as a manifest gives a traveller: given names and surnames apart."""
    from cruce.names import parse_person_name

    if props.get("firstName"):
        given = " ".join(props["firstName"] + props.get("middleName", []))
        surnames = " ".join(props.get("lastName") or
                            props.get("fatherName", []) + props.get("motherName", []))
    else:
        parsed = parse_person_name(props["name"][0])
        given = " ".join(parsed.given)
        surnames = " ".join(filter(None, (parsed.paternal, parsed.maternal)))
    return {"given_names": _ascii(given), "surnames": _ascii(surnames),
            "birth_date": (props.get("birthDate") or [""])[0],
            "nationality": ISO3.get((props.get("nationality") or [""])[0], "")}


def world(people: int, seed: int) -> dict[str, list[tuple[str, dict[str, list[str]]]]]:
    from _evalworld.config import WorldConfig
    from _evalworld.world import generate

    return generate(WorldConfig(), people, seed)


def plant(by_agency: dict[str, list[tuple[str, dict[str, list[str]]]]], planted: int,
          rng: random.Random) -> tuple[list[Pair], list[Pair]]:
    """(alerts, queries), each (person id, fields): planted alerts with a query from another
    agency, and as many queries of people with no alert."""
    seen: dict[str, list[tuple[str, dict[str, list[str]]]]] = {}
    for agency, records in by_agency.items():
        for pid, props in records:
            seen.setdefault(pid, []).append((agency, props))
    twice = sorted(pid for pid, recs in seen.items() if len({a for a, _ in recs}) >= 2)
    rng.shuffle(twice)
    alerts, queries = [], []
    for pid in twice[:planted]:
        (_, a), (_, q) = rng.sample(seen[pid], 2)
        alerts.append((pid, fields_of(a)))
        queries.append((pid, fields_of(q)))
    alerted = set(twice[:planted])
    others = sorted(pid for pid in seen if pid not in alerted)
    for pid in rng.sample(others, min(planted, len(others))):
        queries.append((pid, fields_of(rng.choice(seen[pid])[1])))
    return alerts, queries


def fillers(pool: list[dict[str, str]], n: int, rng: random.Random) -> list[dict[str, str]]:
    """Other people: a given name, two surnames and a birth date of different records."""
    made = []
    for _ in range(n):
        a, b, c = rng.choice(pool), rng.choice(pool), rng.choice(pool)
        surnames = (b["surnames"].split() or ["X"])[:1] + (c["surnames"].split() or [])[-1:]
        made.append({"given_names": a["given_names"], "surnames": " ".join(surnames),
                     "birth_date": f"{rng.randint(1950, 2008)}-{rng.randint(1, 12):02d}-"
                                   f"{rng.randint(1, 28):02d}", "nationality": a["nationality"]})
    return made


def store_alerts(db: Path, planted: list[tuple[str, dict[str, str]]],
                 others: list[dict[str, str]]) -> dict[str, str]:
    """Store every person alert; returns alert id -> person id of the planted ones."""
    from cruce import Node
    from cruce.audit import Justification
    from cruce.store._alert_tables import AlertRow

    node = Node.open(db, agency="hn_police")
    why = Justification("border_security", "bench", "", "bench alerts")
    truth = {}
    rows = []
    for i, (pid, f) in enumerate(planted):
        truth[f"P{i}"] = pid
        rows.append(("P" + str(i), f))
    rows += [(f"F{i}", f) for i, f in enumerate(others)]
    for first in range(0, len(rows), 200_000):
        node.store.put_alerts([
            AlertRow(aid, "person", "", "", "", {
                "reason": "wanted", "action": "Detain.", "contact": "hn_police",
                "victim": False, **f}, date(2030, 12, 31))
            for aid, f in rows[first:first + 200_000]], "hn_police", node.actor, why)
    node.close()
    return truth


def persons(args: argparse.Namespace) -> None:
    from cruce import Node
    from cruce.checks import AlertIndex

    rng = random.Random(args.seed)
    started = time.perf_counter()
    by_agency = world(args.people, args.seed)
    planted_alerts, queries = plant(by_agency, args.planted, rng)
    pool = [fields_of(p) for recs in by_agency.values() for _, p in recs]
    others = fillers(pool, args.alerts - len(planted_alerts), rng)
    print(f"world of {args.people:,} people, {len(planted_alerts):,} planted, "
          f"{len(queries):,} queries, {len(others):,} other alerts "
          f"({time.perf_counter() - started:.0f} s)", flush=True)
    db = Path(tempfile.mkdtemp(prefix="cruce-persons-")) / "hn.duckdb"
    started = time.perf_counter()
    truth = store_alerts(db, planted_alerts, others)
    print(f"stored in {time.perf_counter() - started:.0f} s", flush=True)
    node = Node.open(db)
    started = time.perf_counter()
    index = AlertIndex.build(node.store)
    print(f"index: {index.persons.size:,} persons in {time.perf_counter() - started:.0f} s, "
          f"{len(index.persons.postings):,} blocking keys", flush=True)
    ours, times, candidates = screen_all(index, queries, truth)
    print(_quality("cruce", ours, queries, truth, times))
    lengths = [len(c) for c in candidates]
    print(f"candidates a query: median {float(np.median(lengths)):.0f}, "
          f"max {max(lengths)}", flush=True)
    if args.nomenklatura:
        step = max(1, len(queries) // args.nk_queries)  # positives first, then negatives
        pick = list(range(0, len(queries), step))
        sub = [queries[i] for i in pick]
        print(_quality(f"cruce on the {len(pick)} queries below", [ours[i] for i in pick],
                       sub, truth, [times[i] for i in pick]))
        compare_logic_v2(index, sub, [candidates[i] for i in pick], truth, ours)
    node.close()


def screen_all(index: Any, queries: list[tuple[str, dict[str, str]]],
               truth: dict[str, str]) -> tuple[list[set[str]], list[float], list[list[int]]]:
    from cruce.checks._persons import standardise

    found, times, candidates = [], [], []
    for _, q in queries:
        t0 = time.perf_counter()
        hits = index.check_person(q["given_names"], q["surnames"], q["birth_date"],
                                  q["nationality"])
        times.append((time.perf_counter() - t0) * 1e3)
        found.append({h.alert_id for h in hits})
        std = standardise(q["given_names"], q["surnames"], q["birth_date"], q["nationality"])
        candidates.append(sorted(index.persons.candidates(std)))
    return found, times, candidates


def _quality(name: str, found: list[set[str]], queries: list[tuple[str, dict[str, str]]],
             truth: dict[str, str], times: list[float]) -> str:
    tp = sum(1 for (pid, _), hits in zip(queries, found, strict=True)
             for a in hits if truth.get(a) == pid)
    fp = sum(len(hits) for hits in found) - tp
    relevant = sum(1 for pid, _ in queries if pid in set(truth.values()))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / relevant if relevant else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    p50, p99 = (float(x) for x in np.percentile(times, [50, 99]))
    return (f"| {name} | {precision:.3f} | {recall:.3f} | {f1:.3f} | {p50:.2f} | {p99:.2f} "
            f"| {len(times) / (sum(times) / 1e3):.0f} |")


def compare_logic_v2(index: Any, queries: list[tuple[str, dict[str, str]]],
                     candidates: list[list[int]], truth: dict[str, str],
                     ours: list[set[str]]) -> None:
    """logic-v2 on the same queries and candidates, in nomenklatura's own virtualenv."""
    stored = {a.seq: a for a in index.store.list_alerts()}
    work = Path(tempfile.mkdtemp(prefix="cruce-nk-"))
    with (work / "pairs.jsonl").open("w", encoding="utf-8") as out:
        for (pid, q), cands in zip(queries, candidates, strict=True):
            alerts = []
            for position in cands:
                seq = index.persons.seqs[position]
                body = stored[seq].body
                alerts.append({"id": stored[seq].alert_id,
                               **{k: body.get(k, "") for k in ("given_names", "surnames",
                                                               "birth_date", "nationality")}})
            out.write(json.dumps({"query": q, "pid": pid, "candidates": alerts}) + "\n")
    python = os.environ.get("NK_PYTHON", "/tmp/C/nkvenv/bin/python")
    done = subprocess.run([python, str(NK_SCRIPT), str(work / "pairs.jsonl")],
                          capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    for threshold, found in result["found"].items():
        print(_quality(f"nomenklatura logic-v2 @ {threshold}", [set(f) for f in found],
                       queries, truth, result["ms"]))
