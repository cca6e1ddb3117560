"""Who appears where, and the files: one FtM Person JSON lines file per agency, truth.csv."""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from pathlib import Path

from .config import AGENCIES, WorldConfig
from .people import Person, population
from .records import record

ROUTES: dict[str, dict[str, float]] = {
    "HN": {"hn_police": 1.0, "gt_police": 0.5, "mx_migration": 1.0, "us_border": 1.3},
    "GT": {"gt_police": 1.0, "mx_migration": 1.0, "us_border": 1.3},
    "SV": {"sv_police": 1.0, "gt_police": 0.5, "mx_migration": 1.0, "us_border": 1.3},
    "MX": {"mx_migration": 1.0, "us_border": 1.3, "gt_police": 0.2},
    "US": {"us_border": 1.0, "mx_migration": 0.5},
}


@dataclass(frozen=True)
class Written:
    files: dict[str, Path]
    truth: Path
    records: int
    people: int


def _agencies(p: Person, cfg: WorldConfig, rng: random.Random) -> list[str]:
    route = dict(ROUTES[p.origin])
    k = rng.choices(range(1, len(cfg.agency_count_share) + 1), cfg.agency_count_share)[0]
    chosen: list[str] = []
    while route and len(chosen) < k:
        name = rng.choices(list(route), list(route.values()))[0]
        chosen.append(name)
        del route[name]
    return chosen


def generate(cfg: WorldConfig, n: int, seed: int) -> dict[str, list[tuple[str, dict[
        str, list[str]]]]]:
    """Records per agency as (person id, properties), in shuffled order."""
    rng = random.Random(seed)
    people = population(cfg, n, rng)
    by_agency: dict[str, list[tuple[str, dict[str, list[str]]]]] = {a: [] for a in AGENCIES}
    family_agencies: dict[str, list[str]] = {}
    for p in people:
        travelled = family_agencies.get(p.family)
        if travelled is not None and rng.random() < cfg.sibling_travels_along:
            where = travelled
        else:
            where = _agencies(p, cfg, rng)
        family_agencies.setdefault(p.family, where)
        a_number = f"A{rng.randint(100_000_000, 299_999_999)}"
        for agency in where:
            by_agency[agency].append((p.pid, record(p, agency, a_number, cfg, rng)))
            while rng.random() < cfg.duplicate[agency]:
                by_agency[agency].append((p.pid, record(p, agency, a_number, cfg, rng)))
    for rows in by_agency.values():
        rng.shuffle(rows)
    return by_agency


def write(cfg: WorldConfig, n: int, seed: int, out: Path) -> Written:
    out.mkdir(parents=True, exist_ok=True)
    by_agency = generate(cfg, n, seed)
    files: dict[str, Path] = {}
    truth = out / "truth.csv"
    count = 0
    with truth.open("w", newline="", encoding="utf-8") as tf:
        tw = csv.writer(tf)
        tw.writerow(["record_id", "person_id"])
        for agency, rows in by_agency.items():
            path = files[agency] = out / f"{agency}.jsonl"
            with path.open("w", encoding="utf-8") as fh:
                for i, (pid, props) in enumerate(rows):
                    rid = f"{agency}-{i:07d}"
                    fh.write(json.dumps({"id": rid, "schema": "Person", "properties": props},
                                        ensure_ascii=False) + "\n")
                    tw.writerow([rid, pid])
                    count += 1
    return Written(files, truth, count, n)
