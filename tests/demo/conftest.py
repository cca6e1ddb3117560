"""A small demo world, generated once for the whole demo test session."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cruce.demo import WorldSpec, WorldSummary, generate_world

SPEC = WorldSpec(people=800)
# The main people file of each agency: (dataset, file name).
PEOPLE_FILES = {
    "hn_police": ("hn_police_personas", "personas.csv"),
    "gt_police": ("gt_police_personas", "personas.csv"),
    "sv_police": ("sv_police_personas", "personas.csv"),
    "mx_migration": ("mx_migration_personas", "personas.csv"),
    "us_border": ("us_border_subjects", "subjects.csv"),
}


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> WorldSummary:
    return generate_world(tmp_path_factory.mktemp("demo") / "world", SPEC)


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def people_rows(world: WorldSummary, agency: str) -> list[dict[str, str]]:
    return read_rows(world.out_dir / agency / PEOPLE_FILES[agency][1])


def truth(world: WorldSummary, name: str = "people.csv") -> list[dict[str, str]]:
    return read_rows(world.out_dir / "truth" / name)
