"""Counter-trafficking statistics inside one node: counts of identified victims, never records.

A node counts its own victims (records filed under subject category `victim`, collected for
trafficking_smuggling or border_security) by nationality, sex, age group, type of exploitation
and route, over a codebook every node of the compact shares, so that every node's counts are a
vector of the same cells in the same order (`CODEBOOK`). Reading the victims to count them is one
logged consultation under the statistics justification; the records stay in the node and the counts
leave it only as secret shares (`_secure_sum`), combined and suppressed before anyone sees a
cell (no cell under 11, as the Counter Trafficking Data Collaborative publishes).

How each dimension is read from a FollowTheMoney Person (anything else is "unknown", so one odd
record never stops the count):

    nationality   `nationality` (first value): a compact country (GT, HN, MX, SV, US) or other
    sex           `gender`: female, male, or unknown
    age_group     `birthDate` at `as_of`, CTDC's broad age groups (0-8, 9-17, 18-20, ... 48+)
    exploitation  `keywords` / `topics` / `notes` naming it (English or Spanish): sexual,
                  labour, marriage, criminality, other
    route         nationality -> the country where identified: `country` (first value that is
                  not the nationality), else the node's own country, e.g. "HN>MX"
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cruce.audit import Justification

if TYPE_CHECKING:
    from cruce import Node
    from cruce.records import Record

COUNTRIES = ("GT", "HN", "MX", "SV", "US", "other", "unknown")
SEXES = ("female", "male", "unknown")
AGE_GROUPS = ("0-8", "9-17", "18-20", "21-23", "24-26", "27-29", "30-38", "39-47", "48+",
              "unknown")
_AGE_FLOORS = (0, 9, 18, 21, 24, 27, 30, 39, 48)
EXPLOITATION = ("sexual", "labour", "marriage", "criminality", "other", "unknown")
_EXPLOITATION_WORDS = {
    "sexual": ("sexual", "sexual exploitation", "explotación sexual", "explotacion sexual",
               "prostitution", "prostitución"),
    "labour": ("forced labour", "forced labor", "labour", "labor", "trabajo forzoso",
               "explotación laboral", "explotacion laboral"),
    "marriage": ("forced marriage", "matrimonio forzado", "unión forzada"),
    "criminality": ("forced criminality", "criminalidad forzada", "forced begging",
                    "mendicidad forzada"),
    "other": ("organ removal", "extracción de órganos", "slavery", "servidumbre"),
}
ROUTES = tuple(f"{a}>{b}" for a, b in itertools.product(COUNTRIES, COUNTRIES))
CATEGORIES: dict[str, tuple[str, ...]] = {
    "nationality": COUNTRIES, "sex": SEXES, "age_group": AGE_GROUPS,
    "exploitation": EXPLOITATION, "route": ROUTES,
}
# The tables published, as CTDC publishes them: each dimension against sex, and routes by
# exploitation. They are linked (they share the sex and exploitation totals) and are
# suppressed together.
TABLES: tuple[tuple[str, ...], ...] = (
    ("nationality", "sex"), ("age_group", "sex"), ("exploitation", "sex"),
    ("route", "exploitation"))
PURPOSE = "trafficking_smuggling"
# Where identified victims of trafficking are filed: trafficking cases, and border agencies'
# victims of trafficking met at the border (not, say, the victims of a gang's extortion).
COLLECTED_FOR = ("trafficking_smuggling", "border_security")
STATISTICS_WHY = ("aggregate counter-trafficking statistics (cruce.stats): counts by "
                  "nationality, sex, age group, exploitation and route; no record leaves")

Key = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class VictimCase:
    """One identified victim as the statistics see it: five categories, nothing else."""

    nationality: str
    sex: str
    age_group: str
    exploitation: str
    route: str

    def category(self, dim: str) -> str:
        value: str = getattr(self, dim)
        return value


@dataclass(frozen=True)
class Codebook:
    """The cells every node counts, in one order: the same vector layout at every node."""

    tables: tuple[tuple[str, ...], ...] = TABLES

    def cells(self) -> list[tuple[tuple[str, ...], Key]]:
        """(table dims, key) of every interior cell, tables in order, keys in product order."""
        return [(dims, key) for dims in self.tables
                for key in itertools.product(*(CATEGORIES[d] for d in dims))]

    def digest(self) -> str:
        """What every node's shares carry: a vector of another codebook is refused."""
        text = json.dumps({"tables": self.tables, "categories": CATEGORIES}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def to_vector(self, cases: Iterable[VictimCase]) -> list[int]:
        index = {cell: i for i, cell in enumerate(self.cells())}
        vector = [0] * len(index)
        for case in cases:
            for dims in self.tables:
                vector[index[(dims, tuple(case.category(d) for d in dims))]] += 1
        return vector

    def to_tables(self, vector: Sequence[int]) -> dict[tuple[str, ...], dict[Key, int]]:
        cells = self.cells()
        if len(vector) != len(cells):
            raise ValueError(f"a vector of {len(vector)} counts for a codebook of {len(cells)}")
        tables: dict[tuple[str, ...], dict[Key, int]] = {dims: {} for dims in self.tables}
        for (dims, key), count in zip(cells, vector, strict=True):
            tables[dims][key] = int(count)
        return tables


CODEBOOK = Codebook()


def case_of(record: Record, *, as_of: dt.date, home_country: str) -> VictimCase:
    """The victim's five categories from its FtM Person (see the module docstring)."""
    entity = record.entity
    nationality = _country(entity.first("nationality"))
    where = [_country(c) for c in entity.get("country")]
    found = next((c for c in where if c not in (nationality, "unknown")), _country(home_country))
    return VictimCase(nationality, _sex(entity.first("gender")),
                      age_group(entity.first("birthDate"), as_of),
                      _exploitation([*entity.get("keywords"), *entity.get("topics"),
                                     *entity.get("notes")]),
                      f"{nationality}>{found}")


def _country(value: str | None) -> str:
    if not value:
        return "unknown"
    code = value.strip().upper()
    return code if code in COUNTRIES else "other"


def _sex(value: str | None) -> str:
    return value if value in ("female", "male") else "unknown"


def age_group(birth: str | None, as_of: dt.date) -> str:
    """CTDC's broad age group at `as_of`; a year alone counts from 1 July of that year.

    >>> age_group("2010-05-01", dt.date(2026, 12, 1)), age_group("1990", dt.date(2026, 12, 1))
    ('9-17', '30-38')
    """
    if not birth or len(birth) < 4 or not birth[:4].isdigit():
        return "unknown"
    try:
        born = dt.date.fromisoformat(birth[:10]) if len(birth) >= 10 else \
            dt.date(int(birth[:4]), int(birth[5:7]) if len(birth) >= 7 else 7, 1)
    except ValueError:
        return "unknown"
    years = as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day))
    if years < 0:
        return "unknown"
    return AGE_GROUPS[max(i for i, floor in enumerate(_AGE_FLOORS) if years >= floor)]


def _exploitation(texts: Sequence[str]) -> str:
    folded = [t.casefold() for t in texts]
    for kind, words in _EXPLOITATION_WORDS.items():
        if any(word in text for text in folded for word in words):
            return kind
    return "unknown"


def victim_cases(node: Node, *, as_of: dt.date, home_country: str, case_reference: str,
                 collected_for: Sequence[str] = COLLECTED_FOR) -> list[VictimCase]:
    """The node's identified victims as cases (victims among its records collected for
    `collected_for`), read in one logged consultation under the statistics justification and
    `case_reference` (e.g. the compact's statistics round)."""
    why = Justification(PURPOSE, legal_basis="compact statistics", case_reference=case_reference,
                        text=STATISTICS_WHY)
    records = node.export(why, schema="Person", collected_for=list(collected_for))
    return [case_of(r, as_of=as_of, home_country=home_country) for r in records
            if r.envelope.is_victim]


def local_vector(cases: Iterable[VictimCase], codebook: Codebook = CODEBOOK) -> list[int]:
    """The node's counts as the codebook's vector: what it secret-shares, never publishes."""
    return codebook.to_vector(cases)


def tables_of(vector: Sequence[int], codebook: Codebook = CODEBOOK
              ) -> Mapping[tuple[str, ...], dict[Key, int]]:
    return codebook.to_tables(vector)


__all__ = ["AGE_GROUPS", "CODEBOOK", "COUNTRIES", "EXPLOITATION", "SEXES", "TABLES", "Codebook",
           "VictimCase", "age_group", "case_of", "local_vector", "tables_of", "victim_cases"]
