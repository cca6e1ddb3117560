"""The five agencies: their layouts, their subjects (with duplicates and case files), and the
keys their mappings give each file's people and organisations."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache
from random import Random
from typing import Any

import yaml

from cruce.demo._border import MX_MIGRATION, US_BORDER
from cruce.demo._layout import Context, Layout, Subject
from cruce.demo._lexicon import mapping_text
from cruce.demo._noise import NoiseRates, observe
from cruce.demo._police import GT_POLICE, HN_POLICE, SV_POLICE
from cruce.demo._reach import World

LAYOUTS: dict[str, Layout] = {
    layout.agency: layout for layout in (HN_POLICE, GT_POLICE, SV_POLICE, MX_MIGRATION, US_BORDER)
}
_ORG_SCHEMATA = ("Organization", "Company")


@dataclass(frozen=True, slots=True)
class EntityKeys:
    """Where a dataset's Person (or organisation) entity takes its key values from."""

    entity: str
    columns: tuple[str, ...]


@cache
def mapping(agency: str) -> dict[str, Any]:
    """The agency's mapping YAML, parsed."""
    parsed: dict[str, Any] = yaml.safe_load(mapping_text(agency))
    return parsed


def entity_keys(agency: str, dataset: str, schemata: tuple[str, ...]) -> EntityKeys | None:
    """The one entity of `dataset` whose schema is in `schemata`, with its key columns."""
    found = [
        EntityKeys(name, tuple(spec["keys"]))
        for query in mapping(agency)[dataset]["queries"]
        for name, spec in query["entities"].items()
        if spec["schema"] in schemata
    ]
    if len(found) > 1:
        raise ValueError(f"{dataset}: more than one {'/'.join(schemata)} entity")
    return found[0] if found else None


def person_keys(agency: str, dataset: str) -> EntityKeys | None:
    return entity_keys(agency, dataset, ("Person",))


def org_keys(agency: str, dataset: str) -> EntityKeys | None:
    return entity_keys(agency, dataset, _ORG_SCHEMATA)


def agency_rates(layout: Layout, rates: NoiseRates) -> NoiseRates:
    """The spec's rates scaled by the agency's data quality and its own practice."""
    scaled = rates.scaled(layout.quality)
    if not layout.overrides:
        return scaled
    return replace(scaled, **{k: min(1.0, getattr(scaled, k) * f) for k, f in layout.overrides})


def _assign_cases(rng: Random, subjects: list[Subject], layout: Layout, reference: date) -> None:
    """Suspects share case files a few at a time; victims and witnesses join open ones."""
    assert layout.case_id is not None
    cases: list[str] = []
    size = 0
    for s in subjects:
        opens = s.role == "suspect" and (size >= 4 or rng.random() < 0.45)
        if opens or not cases:
            when = reference - timedelta(days=rng.randrange(30, 5 * 365))
            cases.append(layout.case_id(rng, len(cases) + 1, when))
            size = 0
        if s.role == "suspect":
            s.case, size = cases[-1], size + 1
        else:
            s.case = rng.choice(cases)
        if rng.random() < 0.03:
            s.case = ""  # not every record names its case file


def agency_context(world: World, layout: Layout, seed: int, rates: NoiseRates) -> Context:
    """The agency's subjects: one noisy record per person it knows, some registered twice,
    numbered in an order that says nothing about the person."""
    rng = Random(f"{seed}/{layout.agency}")
    rates = agency_rates(layout, rates)
    entries: list[tuple[int, str, bool]] = []
    for index, role in world.known[layout.agency]:
        entries.append((index, role, True))
        if rng.random() < rates.duplicate:
            entries.append((index, role, False))
    rng.shuffle(entries)
    subjects = []
    for number, (index, role, first) in enumerate(entries, 1):
        person = world.people[index]
        obs = observe(rng, person, rates, layout.year_only)
        subjects.append(
            Subject(person, obs, layout.local_id(number), role, rng.random(), primary=first)
        )
    if layout.case_id is not None:
        _assign_cases(rng, subjects, layout, world.reference)
    primary = {s.person.index: s for s in subjects if s.primary}
    return Context(world, layout.agency, rng, subjects, primary)
