"""The true people: origin, names, birth, family traps (siblings, namesake sons), marriages,
documents. Nothing here is noisy; the agencies' records (records.py) add the noise."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, replace

from .config import WorldConfig
from .tables import (
    COUNTRIES,
    FEMALE,
    GIVEN_STEEPNESS,
    MALE,
    PLACE_STEEPNESS,
    PLACES,
    SURNAME_STEEPNESS,
    SURNAMES,
    Place,
    weights,
)


@dataclass(frozen=True)
class Person:
    pid: str
    origin: str                  # ISO2 country of birth
    sex: str                     # "male" / "female"
    given: tuple[str, ...]       # one or two given names
    paternal: str
    maternal: str
    born: dt.date
    birthplace: Place
    residence: Place
    husband: str | None          # a married woman's husband's paternal surname
    national_id: str | None
    passport: str | None
    junior: bool                 # a namesake son
    family: str                  # household key: who travels together


class Pools:
    """Weighted draws from the country tables."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._w: dict[tuple[str, str], list[float]] = {}
        for c in COUNTRIES:
            self._w[("s", c)] = weights(len(SURNAMES[c]), SURNAME_STEEPNESS[c])
            self._w[("m", c)] = weights(len(MALE[c]), GIVEN_STEEPNESS[c])
            self._w[("f", c)] = weights(len(FEMALE[c]), GIVEN_STEEPNESS[c])
            self._w[("p", c)] = weights(len(PLACES[c]), PLACE_STEEPNESS)

    def surname(self, country: str) -> str:
        # A few per cent come from a neighbouring pool: families move.
        if self.rng.random() < 0.08:
            country = self.rng.choice(COUNTRIES[:4])
        return self.rng.choices(SURNAMES[country], self._w[("s", country)])[0]

    def given(self, country: str, sex: str) -> str:
        pool = MALE if sex == "male" else FEMALE
        return self.rng.choices(pool[country], self._w[("m" if sex == "male" else "f",
                                                        country)])[0]

    def place(self, country: str) -> Place:
        return self.rng.choices(PLACES[country], self._w[("p", country)])[0]


def _given_names(pools: Pools, cfg: WorldConfig, country: str, sex: str) -> tuple[str, ...]:
    first = pools.given(country, sex)
    if sex == "female" and pools.rng.random() < 0.15 and first != "María":
        first = "María"  # María Guadalupe, María José...
    if pools.rng.random() >= cfg.second_given_name:
        return (first,)
    second = pools.given(country, sex)
    while second == first:
        second = pools.given(country, sex)
    return (first, second)


def _birth(rng: random.Random, low: int = 1958, high: int = 2006) -> dt.date:
    start = dt.date(low, 1, 1).toordinal()
    return dt.date.fromordinal(rng.randint(start, dt.date(high, 12, 31).toordinal()))


def national_id(rng: random.Random, country: str, born: dt.date, place_rank: int) -> str:
    """Identity numbers in each country's layout (HN DNI, GT CUI, SV DUI, MX CURP-like,
    US SSN-like)."""
    if country == "HN":
        return f"{801 + place_rank * 7:04d}-{born.year}-{rng.randint(0, 99999):05d}"
    if country == "GT":
        return (f"{rng.randint(1000, 9999)} {rng.randint(10000, 99999)} "
                f"{101 + place_rank * 3:02d}{rng.randint(1, 30):02d}")
    if country == "SV":
        return f"{rng.randint(0, 9999_9999):08d}-{rng.randint(0, 9)}"
    if country == "MX":
        letters = "".join(rng.choice("ABCDEGHJLMNOPRSTVZ") for _ in range(4))
        tail = "".join(rng.choice("BCDFGHJKLMNPRSTVZ") for _ in range(3))
        return (f"{letters}{born:%y%m%d}{rng.choice('HM')}"
                f"{rng.choice(['DF', 'JC', 'PL', 'CS', 'OC', 'YN', 'NL', 'GR'])}"
                f"{tail}{rng.randint(0, 9)}{rng.randint(0, 9)}")
    return f"{rng.randint(100, 899)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"


def _passport(rng: random.Random, country: str) -> str:
    prefix = {"HN": "E", "GT": "", "SV": "A", "MX": "G", "US": ""}[country]
    return f"{prefix}{rng.randint(10_000_000, 99_999_999)}"


def _new_person(pools: Pools, cfg: WorldConfig, pid: str, family: str) -> Person:
    rng = pools.rng
    origin = rng.choices(list(cfg.origin_share), list(cfg.origin_share.values()))[0]
    sex = "male" if rng.random() < 0.62 else "female"  # those who cross are mostly men
    born = _birth(rng)
    birthplace = pools.place(origin)
    return _finish(pools, cfg, Person(
        pid=pid, origin=origin, sex=sex, given=_given_names(pools, cfg, origin, sex),
        paternal=pools.surname(origin), maternal=pools.surname(origin), born=born,
        birthplace=birthplace, residence=birthplace if rng.random() < 0.6 else pools.place(
            origin), husband=None, national_id=None, passport=None, junior=False,
        family=family))


def _finish(pools: Pools, cfg: WorldConfig, p: Person) -> Person:
    """Marriage and documents, drawn once the name and birth are fixed."""
    rng = pools.rng
    husband = None
    if p.sex == "female" and p.born.year < 2003 and rng.random() < cfg.married:
        husband = pools.surname(p.origin)
    rank = PLACES[p.origin].index(p.birthplace)
    return replace(
        p, husband=husband, national_id=national_id(rng, p.origin, p.born, rank),
        passport=_passport(rng, p.origin) if rng.random() < cfg.has_passport else None)


def _sibling(pools: Pools, cfg: WorldConfig, head: Person, pid: str) -> Person:
    """Same parents: both surnames and birthplace; one given name shared, in either place
    (José Luis / Walter José); born 1-14 years apart."""
    rng = pools.rng
    sex = head.sex if rng.random() < 0.7 else ("female" if head.sex == "male" else "male")
    shared = rng.choice(head.given) if sex == head.sex else None
    other = pools.given(head.origin, sex)
    while shared is not None and other == shared:
        other = pools.given(head.origin, sex)
    given = (other,) if shared is None else (
        (shared, other) if rng.random() < 0.5 else (other, shared))
    gap = rng.randint(1, 14) * (1 if rng.random() < 0.5 else -1)
    born = _shift_years(head.born, gap, rng)
    return _finish(pools, cfg, replace(head, pid=pid, sex=sex, given=given, born=born,
                                       husband=None, junior=False))


def _namesake_son(pools: Pools, cfg: WorldConfig, father: Person, pid: str) -> Person:
    rng = pools.rng
    maternal = father.maternal if rng.random() < cfg.namesake_same_maternal else (
        pools.surname(father.origin))
    born = _shift_years(father.born, rng.randint(19, 30), rng)
    return _finish(pools, cfg, replace(father, pid=pid, maternal=maternal, born=born,
                                       husband=None, junior=True))


def _shift_years(day: dt.date, years: int, rng: random.Random) -> dt.date:
    year = min(max(day.year + years, 1935), 2008)
    return dt.date(year, rng.randint(1, 12), rng.randint(1, 28))


def population(cfg: WorldConfig, n: int, rng: random.Random) -> list[Person]:
    """n people, in households: a head, sometimes a sibling, sometimes a namesake son."""
    pools = Pools(rng)
    people: list[Person] = []
    while len(people) < n:
        family = f"f{len(people)}"
        head = _new_person(pools, cfg, f"p{len(people):07d}", family)
        people.append(head)
        if len(people) < n and rng.random() < cfg.sibling:
            people.append(_sibling(pools, cfg, head, f"p{len(people):07d}"))
        if (len(people) < n and head.sex == "male" and head.born.year < 1980
                and rng.random() < cfg.namesake_son / 0.3):
            people.append(_namesake_son(pools, cfg, head, f"p{len(people):07d}"))
    return people
