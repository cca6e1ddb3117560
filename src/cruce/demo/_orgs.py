"""Organisations and vehicles of the demo world: made-up gangs, smuggling networks, shell
companies and the vehicles they move people in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from random import Random

from cruce.demo import _identity as ids
from cruce.demo._lexicon import lexicon
from cruce.demo._people import TruePerson, pick

# Gangs are rooted in one country; some cells (clicas) span a border.
_GANG_HOMES = (("hn", 0.45), ("sv", 0.4), ("gt", 0.15))
_GANG_NEIGHBOURS = {"hn": ("sv", "gt"), "sv": ("hn", "gt"), "gt": ("hn", "sv")}
_SMUGGLING_HOMES = (("gt", 0.4), ("mx", 0.3), ("hn", 0.2), ("sv", 0.1))


@dataclass(slots=True)
class Org:
    index: int
    oid: str
    kind: str  # gang | smuggling | company
    name: str
    countries: tuple[str, ...]  # where it operates; the first is its home
    legal_form: str = ""
    tax_number: str = ""
    parent: int = -1  # the smuggling network a shell company serves


@dataclass(slots=True)
class Vehicle:
    index: int
    vid: str
    plate: str
    country: str
    kind: str
    make: str
    model: str
    colour: tuple[str, str]  # Spanish, English
    year: int
    owner: int  # company index in World.orgs, -1 when the driver owns it
    driver: int  # person index


def _unique(rng: Random, draw: Callable[[Random], str], seen: set[str]) -> str:
    for _ in range(50):
        name = draw(rng)
        if name not in seen:
            seen.add(name)
            return name
    name = f"{draw(rng)} {len(seen)}"  # pools exhausted at huge sizes: number the rest
    seen.add(name)
    return name


def _gang_name(rng: Random) -> str:
    raw = lexicon().raw
    if rng.random() < 0.3:
        return f"Barrio {rng.choice(raw['gang_numbers'])} {rng.choice(raw['gang_directions'])}"
    return f"{rng.choice(raw['gang_prefixes'])} {rng.choice(raw['gang_places'])}"


def _smuggling_name(rng: Random) -> str:
    lex = lexicon()
    raw = lex.raw
    return str(rng.choice(raw["smuggling_patterns"])).format(
        surname=pick(rng, lex.surnames), surname2=pick(rng, lex.mayan_surnames),
        plural=pick(rng, lex.surnames), place=rng.choice(raw["gang_places"]),
        region=rng.choice(raw["smuggling_regions"]),
    )


def _company_name(rng: Random, form: str) -> str:
    lex = lexicon()
    word = rng.choice(lex.raw["company_words"])
    if rng.random() < 0.4:
        return f"{word} {pick(rng, lex.surnames)} {form}"
    return f"{word} {rng.choice(lex.raw['company_suffixes'])} {form}"


def tax_number(rng: Random, country: str) -> str:
    """Company tax ids: RTN (hn), NIT (gt, sv), RFC (mx), EIN (us)."""
    if country == "hn":
        return ids.digits(rng, 14)
    if country == "gt":
        return f"{rng.randrange(100_000, 9_999_999)}-{rng.choice('0123456789K')}"
    if country == "sv":
        return f"0614-{ids.digits(rng, 6)}-{ids.digits(rng, 3)}-{rng.randrange(10)}"
    if country == "mx":
        return f"{ids.letters(rng, 3)}{ids.digits(rng, 6)}{ids.letters(rng, 2)}{rng.randrange(10)}"
    return f"{ids.digits(rng, 2)}-{ids.digits(rng, 7)}"


def _weighted(rng: Random, table: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


def draw_orgs(rng: Random, people: int) -> list[Org]:
    """Gangs, smuggling networks and their shell companies, scaled to the population."""
    orgs: list[Org] = []
    seen: set[str] = set()
    for _ in range(max(6, people // 70)):
        home = _weighted(rng, _GANG_HOMES)
        countries = (home, rng.choice(_GANG_NEIGHBOURS[home])) if rng.random() < 0.4 else (home,)
        name = _unique(rng, _gang_name, seen)
        orgs.append(Org(len(orgs), f"O{len(orgs):06d}", "gang", name, countries))
    networks = []
    for _ in range(max(4, people // 150)):
        home = _weighted(rng, _SMUGGLING_HOMES)
        name = _unique(rng, _smuggling_name, seen)
        networks.append(Org(len(orgs), f"O{len(orgs):06d}", "smuggling", name, (home, "mx")))
        orgs.append(networks[-1])
    forms = lexicon().raw["legal_forms"]
    for network in networks:
        for _ in range(rng.choice((1, 1, 2))):
            country = rng.choice(("gt", "hn", "sv", "mx")) if rng.random() < 0.4 else (
                network.countries[0]
            )
            form = rng.choice(forms[country])
            company = Org(
                len(orgs), f"O{len(orgs):06d}", "company",
                _unique(rng, partial(_company_name, form=form), seen), (country,),
                legal_form=form, tax_number=tax_number(rng, country), parent=network.index,
            )
            orgs.append(company)
    return orgs


def join_orgs(rng: Random, people: list[TruePerson], orgs: list[Org]) -> None:
    """Gang members join a gang of their country; smugglers a network; each gets a rank."""
    raw = lexicon().raw
    by_country: dict[tuple[str, str], list[int]] = {}
    for org in orgs:
        for country in org.countries:
            by_country.setdefault((org.kind, country), []).append(org.index)
    gangs = [o.index for o in orgs if o.kind == "gang"]
    networks = [o.index for o in orgs if o.kind == "smuggling"]
    for person in people:
        if person.profile == "gang":
            local = by_country.get(("gang", person.nationality))
            person.org = rng.choice(local if local and rng.random() < 0.9 else gangs)
            person.rank = rng.choice(raw["gang_ranks"])
        elif person.profile == "smuggler":
            local = by_country.get(("smuggling", person.nationality))
            person.org = rng.choice(local if local and rng.random() < 0.7 else networks)
            person.rank = rng.choice(raw["smuggling_roles"])


def draw_vehicles(rng: Random, people: list[TruePerson], orgs: list[Org]) -> list[Vehicle]:
    """Vehicles driven by smugglers; some are registered to a shell company of their network."""
    raw = lexicon().raw
    companies: dict[int, list[int]] = {}
    for org in orgs:
        if org.kind == "company":
            companies.setdefault(org.parent, []).append(org.index)
    vehicles: list[Vehicle] = []
    plates: set[str] = set()
    for person in people:
        if person.profile != "smuggler" or rng.random() > 0.55:
            continue
        owners = companies.get(person.org, [])
        owner = rng.choice(owners) if owners and rng.random() < 0.5 else -1
        country = orgs[owner].countries[0] if owner >= 0 else person.nationality
        plate = ids.plate(rng, country)
        while plate in plates:
            plate = ids.plate(rng, country)
        plates.add(plate)
        kind, make, model = rng.choice(raw["vehicles"])
        colour = rng.choice(raw["colours"])
        vehicles.append(Vehicle(
            len(vehicles), f"V{len(vehicles):06d}", plate, country, kind, make, model,
            (colour[0], colour[1]), rng.randrange(1998, 2024), owner, person.index,
        ))
        person.vehicle = vehicles[-1].index
    return vehicles
