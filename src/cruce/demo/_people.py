"""The true people of the demo world: who they are before any agency writes them down.

Every name is a random draw from common given names and surnames (`data/lexicon.yml`); a draw
that reproduces a real public figure's name (`data/denylist.yml`) is drawn again.
"""

from __future__ import annotations

from bisect import bisect
from dataclasses import dataclass
from datetime import date, timedelta
from random import Random

from cruce.demo import _identity as ids
from cruce.demo._lexicon import City, Lexicon, Weighted, fold, lexicon, weighted

# Share of each nationality among the people the five agencies deal with.
NATIONALITIES = weighted({"hn": 0.30, "gt": 0.28, "sv": 0.22, "mx": 0.13, "us": 0.07})
PROFILES = ("gang", "smuggler", "migrant", "victim", "witness")
# Profile shares by nationality.
_PROFILE_WEIGHTS = {
    key: weighted(dict(zip(PROFILES, shares, strict=True)))
    for key, shares in (
        ("central", (0.24, 0.07, 0.55, 0.08, 0.06)),
        ("mx", (0.05, 0.40, 0.20, 0.18, 0.17)),
        ("us", (0.15, 0.50, 0.0, 0.05, 0.30)),
    )
}
_MALE_SHARE = {"gang": 0.88, "smuggler": 0.8, "migrant": 0.6, "victim": 0.45, "witness": 0.5}
_AGE_RANGE = {
    "gang": (15, 42), "smuggler": (21, 62), "migrant": (18, 55), "victim": (12, 50),
    "witness": (18, 70),
}
_MONIKER_SHARE = {"gang": 0.75, "smuggler": 0.35, "migrant": 0.03, "victim": 0.02, "witness": 0.02}


@dataclass(slots=True)
class TruePerson:
    """One real (synthetic) human being; agencies only ever see noisy copies of this."""

    index: int
    pid: str
    male: bool
    given: tuple[str, ...]
    paternal: str
    maternal: str  # "" for people without a second surname (most US nationals)
    spouse: str  # husband's surname of a married woman, "" otherwise
    moniker: str
    birth: date
    nationality: str
    birthplace: City
    national_id: str  # DNI (hn), CUI (gt), DUI (sv), CURP (mx), "" (us)
    curp: str
    passport: str
    a_number: str
    phone: str  # national significant number, no country code
    phone_country: str
    profile: str
    org: int = -1  # index into World.orgs
    rank: str = ""
    vehicle: int = -1  # index into World.vehicles

    @property
    def given_name(self) -> str:
        return " ".join(self.given)


def pick(rng: Random, pool: Weighted) -> str:
    """Weighted draw, by bisection on cumulative weights (faster than Random.choices)."""
    return pool.items[bisect(pool.cum_weights, rng.random() * pool.cum_weights[-1])]


def _draw_profile(rng: Random, nationality: str) -> str:
    key = nationality if nationality in ("mx", "us") else "central"
    return pick(rng, _PROFILE_WEIGHTS[key])


def _draw_birth(rng: Random, profile: str, reference: date) -> date:
    low, high = _AGE_RANGE[profile]
    if profile == "migrant" and rng.random() < 0.08:
        low, high = 4, 17  # children travelling with families or alone
    days = rng.randrange(low * 365, high * 365 + 364)
    return reference - timedelta(days=days)


def _draw_given(rng: Random, lex: Lexicon, male: bool, anglo: bool) -> tuple[str, ...]:
    if anglo:
        return (rng.choice(lex.us_given_male if male else lex.us_given_female),)
    first = pick(rng, lex.given_male if male else lex.given_female)
    if rng.random() < 0.55:
        second = rng.choice(lex.second_male if male else lex.second_female)
        if second != first:
            return (first, second)
    return (first,)


def _draw_surname(rng: Random, lex: Lexicon, nationality: str) -> str:
    if nationality == "gt" and rng.random() < 0.35:
        return pick(rng, lex.mayan_surnames)
    if nationality == "hn" and rng.random() < 0.03:
        return rng.choice(lex.arabic_surnames)
    return pick(rng, lex.surnames)


def _draw_names(
    rng: Random, lex: Lexicon, nationality: str, male: bool
) -> tuple[tuple[str, ...], str, str]:
    """Given names, paternal and maternal surname; drawn again on a denylisted combination."""
    while True:
        anglo = nationality == "us" and rng.random() < 0.5
        given = _draw_given(rng, lex, male, anglo)
        if anglo:
            paternal, maternal = pick(rng, lex.us_surnames), ""
        else:
            paternal = _draw_surname(rng, lex, nationality)
            maternal = "" if nationality == "us" and rng.random() < 0.7 else (
                _draw_surname(rng, lex, nationality)
            )
        if not is_denied(lex, given, paternal, maternal):
            return given, paternal, maternal


def is_denied(lex: Lexicon, given: tuple[str, ...], paternal: str, maternal: str) -> bool:
    """Whether the name reproduces a denylisted public figure, in any usual short form."""
    if fold(given[0]) not in lex.denied_first:
        return False
    candidates = (
        f"{given[0]} {paternal}",
        f"{' '.join(given)} {paternal}",
        f"{given[0]} {paternal} {maternal}",
        f"{' '.join(given)} {paternal} {maternal}",
    )
    return any(fold(c.strip()) in lex.denylist for c in candidates)


def _national_id(rng: Random, p: TruePerson, reference: date) -> str:
    adult = (p.birth.year + 18, p.birth.month, p.birth.day) <= (
        reference.year, reference.month, reference.day
    )
    if p.nationality == "hn":
        return ids.hn_dni(rng, p.birthplace.code, p.birth.year)
    if p.nationality == "gt":
        return ids.gt_cui(rng, p.birthplace.code)
    if p.nationality == "sv":
        return ids.sv_dui(rng) if adult else ""  # the DUI is issued at 18
    if p.nationality == "mx":
        return p.curp
    return ""


def _documents(rng: Random, p: TruePerson, reference: date) -> None:
    """Fill in CURP, national id, passport, A-number and phone, as the person holds them."""
    if p.nationality == "mx" or rng.random() < 0.06:
        state = p.birthplace.code if p.nationality == "mx" else "NE"
        p.curp = ids.mx_curp(
            rng, p.given_name, p.paternal, p.maternal, p.birth, p.male, state
        )
    p.national_id = _national_id(rng, p, reference)
    share = 0.7 if p.nationality == "us" else 0.6 if p.profile == "smuggler" else 0.4
    if rng.random() < share:
        p.passport = ids.passport(rng, p.nationality)
    if p.nationality != "us" and rng.random() < 0.6:
        p.a_number = ids.us_a_number(rng)
    if rng.random() < 0.78:
        moved = p.profile == "migrant" and rng.random() < 0.15
        p.phone_country = "mx" if moved else p.nationality
        p.phone = ids.phone_number(rng, p.phone_country)


def draw_person(rng: Random, index: int, reference: date) -> TruePerson:
    """One person, complete with names, birth, documents and phone."""
    lex = lexicon()
    nationality = pick(rng, NATIONALITIES)
    profile = _draw_profile(rng, nationality)
    male = rng.random() < _MALE_SHARE[profile]
    given, paternal, maternal = _draw_names(rng, lex, nationality, male)
    birth = _draw_birth(rng, profile, reference)
    age = reference.year - birth.year
    married = not male and age >= 22 and rng.random() < 0.4
    moniker = ""
    if rng.random() < _MONIKER_SHARE[profile]:
        moniker = rng.choice(lex.monikers)
    person = TruePerson(
        index=index, pid=f"P{index:07d}", male=male, given=given, paternal=paternal,
        maternal=maternal, spouse=pick(rng, lex.surnames) if married else "", moniker=moniker,
        birth=birth, nationality=nationality,
        birthplace=rng.choice(lex.cities[nationality]), national_id="", curp="", passport="",
        a_number="", phone="", phone_country="", profile=profile,
    )
    _documents(rng, person, reference)
    return person


def draw_people(rng: Random, count: int, reference: date) -> list[TruePerson]:
    """The population; ids unique per document type, as a registry would guarantee."""
    people: list[TruePerson] = []
    seen: set[str] = set()
    while len(people) < count:
        person = draw_person(rng, len(people), reference)
        keys = {k for k in (person.national_id, person.passport, person.a_number, person.curp) if k}
        if not seen.isdisjoint(keys):
            continue
        seen.update(keys)
        people.append(person)
    return people
