"""Who knows whom: each person's route north and the agencies that recorded them on it.

A person known at one stage of the route is known at the next with probability `overlap`,
which yields the 30-60% overlap between neighbouring agencies; a `core` of cross-border
people is known to three to five agencies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from random import Random

from cruce.demo._lexicon import weighted
from cruce.demo._orgs import Org, Vehicle, draw_orgs, draw_vehicles, join_orgs
from cruce.demo._people import TruePerson, draw_people, pick

AGENCIES = ("hn_police", "gt_police", "sv_police", "mx_migration", "us_border")
POLICE = {"hn": "hn_police", "gt": "gt_police", "sv": "sv_police"}
# The agencies along each nationality's route north, home first.
ROUTES = {
    "hn": ("hn_police", "gt_police", "mx_migration", "us_border"),
    "sv": ("sv_police", "gt_police", "mx_migration", "us_border"),
    "gt": ("gt_police", "mx_migration", "us_border"),
    "mx": ("mx_migration", "us_border"),
    "us": ("us_border", "mx_migration"),
}
# Chance that an agency records someone of this profile it has no lead on.
_BASE = {
    "police": {"gang": 0.8, "smuggler": 0.6, "victim": 0.75, "witness": 0.75, "migrant": 0.06},
    "mx_migration": {"gang": 0.3, "smuggler": 0.45, "victim": 0.6, "witness": 0.4,
                     "migrant": 0.75},
    "us_border": {"gang": 0.25, "smuggler": 0.4, "victim": 0.3, "witness": 0.3, "migrant": 0.5},
}
# How far along the route each profile goes: weights of stopping after stage 1, 2, 3, 4.
_TRAVEL = {
    profile: weighted(dict(zip("1234", shares, strict=True)))
    for profile, shares in (
        ("gang", (0.3, 0.3, 0.2, 0.2)), ("smuggler", (0.1, 0.2, 0.3, 0.4)),
        ("migrant", (0.05, 0.15, 0.35, 0.45)), ("victim", (0.45, 0.35, 0.2, 0.0)),
        ("witness", (0.55, 0.3, 0.15, 0.0)),
    )
}


@dataclass(slots=True)
class World:
    """The ground truth: people, organisations, vehicles and who knows whom in what role."""

    reference: date
    people: list[TruePerson]
    orgs: list[Org]
    vehicles: list[Vehicle]
    known: dict[str, list[tuple[int, str]]]  # agency -> (person index, role), person order


def _kind(agency: str) -> str:
    return "police" if agency.endswith("_police") else agency


def _route(rng: Random, person: TruePerson, orgs: list[Org]) -> list[str]:
    route = list(ROUTES[person.nationality])
    stops = int(pick(rng, _TRAVEL[person.profile]))
    route = route[:stops]
    if person.org >= 0:  # a cell across the border puts the neighbour's police on the trail
        for country in orgs[person.org].countries[1:]:
            police = POLICE.get(country)
            if police and police not in route:
                route.insert(1, police)
    return route


def _agencies_of(rng: Random, person: TruePerson, route: list[str], overlap: float) -> list[str]:
    known: list[str] = []
    previous = False
    for stage, agency in enumerate(route):
        base = _BASE[_kind(agency)][person.profile]
        chance = overlap if previous else base if stage == 0 or agency == "mx_migration" else (
            base * 0.5
        )
        previous = rng.random() < chance
        if previous:
            known.append(agency)
    return known or route[:1]


def _full_route(person: TruePerson) -> list[str]:
    """Every agency a cross-border operator can meet (US nationals stay off Central American
    police files)."""
    route = list(ROUTES[person.nationality])
    if person.nationality != "us":
        route += [police for police in POLICE.values() if police not in route]
    return route


def _role(rng: Random, agency: str, profile: str) -> str:
    """The subject category an agency files a person under (suspect, victim, witness...)."""
    kind = _kind(agency)
    if profile in ("victim", "witness"):
        return profile
    if kind == "police":
        if profile == "migrant":
            return "victim" if rng.random() < 0.6 else "witness"
        return "witness" if rng.random() < 0.05 else "suspect"
    if profile == "smuggler":
        return "suspect"
    if profile == "gang":
        return "suspect" if rng.random() < 0.35 else "migrant"
    return "victim" if kind == "mx_migration" and rng.random() < 0.08 else "migrant"


def assign_reach(
    rng: Random, world: World, overlap: float, core_share: float, agencies: tuple[str, ...]
) -> None:
    """Fill `world.known`: each selected agency's subjects and the role it gives them."""
    world.known = {agency: [] for agency in agencies}
    for person in world.people:
        if person.profile in ("gang", "smuggler") and rng.random() < core_share:
            route = _full_route(person)
            known = rng.sample(route, min(len(route), rng.randint(3, 5)))
        else:
            known = _agencies_of(rng, person, _route(rng, person, world.orgs), overlap)
        for agency in AGENCIES:  # fixed order: the draw sequence must not depend on `known`
            if agency in known and agency in world.known:
                world.known[agency].append((person.index, _role(rng, agency, person.profile)))


def build_world(
    seed: int, people: int, reference: date, overlap: float, core_share: float,
    agencies: tuple[str, ...],
) -> World:
    """The whole ground truth, each part from its own random stream so that parts stay stable
    when another part's size changes."""
    population = draw_people(Random(f"{seed}/people"), people, reference)
    orgs = draw_orgs(Random(f"{seed}/orgs"), people)
    join_orgs(Random(f"{seed}/membership"), population, orgs)
    vehicles = draw_vehicles(Random(f"{seed}/vehicles"), population, orgs)
    world = World(reference, population, orgs, vehicles, {})
    assign_reach(Random(f"{seed}/reach"), world, overlap, core_share, agencies)
    return world
