"""The lexicons shipped in src/cruce/names/data/, loaded once at import.

Keys are `normalise`d forms, so lookups work on uppercase, accent-less police exports.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib.resources import files

from cruce.names._text import normalise


def read_rows(name: str) -> list[dict[str, str]]:
    """The rows of one data CSV; lines starting with '#' are comments."""
    text = files("cruce.names").joinpath("data").joinpath(name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return list(csv.DictReader(lines))


def _given() -> dict[str, str]:
    return {normalise(row["name"]): row["sex"] for row in read_rows("given_names.csv")}


def _surnames() -> dict[str, str]:
    return {normalise(row["surname"]): row["origin"] for row in read_rows("surnames.csv")}


def _hypocorisms() -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    forms: dict[str, tuple[str, ...]] = {}
    sources: dict[str, str] = {}
    for row in read_rows("hypocorisms.csv"):
        key = normalise(row["hypocorism"])
        forms[key] = tuple(normalise(c) for c in row["canonical"].split("|"))
        sources[key] = row["source"]
    return forms, sources


def _devotional() -> dict[tuple[str, str], str]:
    table: dict[tuple[str, str], str] = {}
    for row in read_rows("devotional.csv"):
        *particle, core = normalise(row["phrase"]).split()
        table[(" ".join(particle), core)] = row["strength"]
    return table


GIVEN_SEX: dict[str, str] = _given()
SURNAME_ORIGIN: dict[str, str] = _surnames()
HYPOCORISMS, HYPOCORISM_SOURCES = _hypocorisms()
AMBIGUOUS: dict[str, str] = {normalise(r["token"]): r["prefer"] for r in read_rows("ambiguous.csv")}
DEVOTIONAL: dict[tuple[str, str], str] = _devotional()


def is_given(core: str) -> bool:
    """A known given name or hypocorism (normalised form)."""
    return core in GIVEN_SEX or core in HYPOCORISMS


def is_surname(core: str) -> bool:
    """A known surname (normalised form, without particles)."""
    return core in SURNAME_ORIGIN


@lru_cache(maxsize=1 << 16)
def sex_of(core: str) -> str | None:
    """'M', 'F' or 'U' for a known given name or hypocorism, else None."""
    if core in GIVEN_SEX:
        return GIVEN_SEX[core]
    forms = HYPOCORISMS.get(core)
    if forms:
        sexes = {GIVEN_SEX.get(form.split()[0]) for form in forms}
        return sexes.pop() if len(sexes) == 1 else "U"
    return None
