"""generate_bench_csv: one big Honduran-police-style people file for the ingest benchmark.

Built a column at a time from precomputed pools (`Random.choices(k=...)` per column, then
one `writerows`), which keeps it well above 100,000 rows a second. Rows are plausible and
realistically messy but carry no ground truth: the linkage benchmarks use generate_world.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from random import Random
from typing import Any

import yaml

from cruce.demo._agencies import mapping
from cruce.demo._lexicon import lexicon, strip_accents
from cruce.demo._orgs import draw_orgs
from cruce.demo._people import pick
from cruce.demo._police import HN_PERSONAS

_CHUNK = 50_000
_DATASET = "hn_police_personas"


@dataclass(frozen=True)
class BenchFiles:
    """The benchmark CSV, its mapping and its row count."""

    csv: Path
    mapping: Path
    rows: int


@dataclass(frozen=True)
class _Pools:
    surnames: list[str]
    given: list[tuple[str, str]]  # (given names, sex)
    births: list[str]
    registered: list[str]
    places: list[str]
    codes: list[str]
    aliases: list[str]
    gangs: list[tuple[str, str]]  # (gang, rank); mostly empty


def _days(start: date, end: date) -> list[str]:
    return [f"{d:%d/%m/%Y}" for d in (start + timedelta(n) for n in range((end - start).days))]


def _pools(rng: Random) -> _Pools:
    lex, raw = lexicon(), lexicon().raw
    # the older system drops accents, the newer keeps them
    caps: list[Callable[[str], str]] = [strip_accents, str]
    surnames = [rng.choice(caps)(pick(rng, lex.surnames)).upper() for _ in range(20_000)]
    given = []
    for _ in range(10_000):
        male = rng.random() < 0.6
        first = pick(rng, lex.given_male if male else lex.given_female)
        second = rng.choice(lex.second_male if male else lex.second_female)
        name = f"{first} {second}" if rng.random() < 0.55 and second != first else first
        given.append((rng.choice(caps)(name).upper(), "M" if male else "F"))
    gangs = [o.name.upper() for o in draw_orgs(rng, 3000) if o.kind == "gang"]
    return _Pools(
        surnames=surnames, given=given,
        births=_days(date(1958, 1, 1), date(2010, 12, 31)),
        registered=_days(date(2021, 11, 1), date(2026, 11, 1)),
        places=[strip_accents(f"{c.name}, {c.region}").upper() for c in lex.cities["hn"]],
        codes=[c.code for c in lex.cities["hn"]],
        aliases=[""] * 12 + [m.upper() for m in lex.monikers],
        gangs=[("", "")] * (2 * len(gangs)) + [(g, rng.choice(raw["gang_ranks"])) for g in gangs],
    )


_PHONE_LEADS = [lead for lead in range(3000, 10_000) if lead // 1000 in (3, 7, 8, 9)]


def _phones(rng: Random, n: int) -> list[str]:
    """Honduran mobiles (8 digits from 3, 7, 8 or 9); a quarter of the rows have none."""
    leads = rng.choices(_PHONE_LEADS, k=n)
    tails = rng.choices(range(10_000), k=n)
    keep = rng.choices((True, True, True, False), k=n)
    return [f"{a}-{b:04d}" if k else "" for a, b, k in zip(leads, tails, keep, strict=True)]


def _chunk(rng: Random, pools: _Pools, start: int, n: int) -> list[tuple[str, ...]]:
    paternal = rng.choices(pools.surnames, k=n)
    maternal = rng.choices(pools.surnames, k=n)
    given, sex = zip(*rng.choices(pools.given, k=n), strict=True)
    births = rng.choices(pools.births, k=n)
    dnis = [
        f"{code}-{birth[-4:]}-{seq:05d}"
        for code, birth, seq in zip(
            rng.choices(pools.codes, k=n), births, rng.choices(range(100_000), k=n), strict=True
        )
    ]
    gang, rank = zip(*rng.choices(pools.gangs, k=n), strict=True)
    roles = rng.choices(("IMPUTADO", "VICTIMA", "TESTIGO"), weights=(6, 3, 1), k=n)
    cases = [
        f"DPI-{year}-{seq:06d}"
        for year, seq in zip(rng.choices(range(2021, 2027), k=n),
                             rng.choices(range(1, 400_000), k=n), strict=True)
    ]
    return list(zip(
        (f"HN-DPI-{i:07d}" for i in range(start + 1, start + n + 1)),
        (f"{p} {m} {g}" for p, m, g in zip(paternal, maternal, given, strict=True)),
        rng.choices(pools.aliases, k=n), sex, births, rng.choices(pools.places, k=n),
        rng.choices(("HONDURAS",) * 18 + ("GUATEMALA", "EL SALVADOR"), k=n), dnis,
        _phones(rng, n), gang, rank, roles, cases, rng.choices(pools.registered, k=n),
        strict=True,
    ))


def _write_mapping(csv_path: Path) -> Path:
    block: dict[str, Any] = mapping("hn_police")[_DATASET]
    block = {**block, "queries": [{**block["queries"][0], "csv_url": csv_path.name}]}
    path = csv_path.with_name(f"{csv_path.stem}.mapping.yml")
    text = yaml.safe_dump({_DATASET: block}, sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path


def generate_bench_csv(path: Path, rows: int = 1_000_000, seed: int = 2019) -> BenchFiles:
    """Write `rows` rows in the hn_police people layout to `path`, and its mapping beside it
    as `<stem>.mapping.yml`. Same arguments, same bytes.

    >>> generate_bench_csv(tmp_path / "personas.csv", rows=1000).rows  # doctest: +SKIP
    1000
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = Random(f"{seed}/bench")
    pools = _pools(rng)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HN_PERSONAS)
        for start in range(0, rows, _CHUNK):
            writer.writerows(_chunk(rng, pools, start, min(_CHUNK, rows - start)))
    return BenchFiles(path, _write_mapping(path), rows)
