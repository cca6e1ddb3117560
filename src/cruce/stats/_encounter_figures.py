"""Figures from the imported encounters: "highest since" answers and cross-tables, each with
the definition of its measure, its fiscal-year basis and its region.

A figure without its definition misleads: "more than 75,000 apprehended in February 2019"
counted 66,450 Border Patrol apprehensions and 9,653 inadmissibles at ports of entry together
(76,103 encounters). So every answer here names its measure, what the measure counts and the
fiscal year it falls in, and counts events, not people.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from cruce.errors import InvalidInput, NotFound
from cruce.stats._encounters import ENCOUNTER_TABLES, fiscal_year_of
from cruce.stats._statstore import StatStore

MEASURES = {
    "encounters": "all encounters: Title 8 apprehensions by the U.S. Border Patrol between "
                  "ports of entry, Title 8 inadmissibles at ports of entry (Office of Field "
                  "Operations) and Title 42 expulsions (March 2020 to May 2023)",
    "apprehensions": "Title 8 apprehensions: people apprehended by the U.S. Border Patrol "
                     "between ports of entry",
    "inadmissibles": "Title 8 inadmissibles: people the Office of Field Operations found "
                     "inadmissible at ports of entry (including those who withdrew their "
                     "application for admission)",
    "expulsions": "Title 42 expulsions: people expelled under the public-health order in force "
                  "from March 2020 to May 2023, by either component",
}
FISCAL_YEAR_BASIS = ("US federal fiscal year, October to September: fiscal year 2019 runs from "
                     "October 2018 to September 2019; months are calendar months")
COUNTING_UNIT = ("events, not people: a person encountered twice is counted twice; figures are "
                 "provisional until their fiscal year closes")
# The columns a table may be cut by -> the stored column that holds them.
DIMENSIONS = {
    "month": "month", "fiscal_year": "CAST(fiscal_year AS TEXT)", "component": "component",
    "region": "region", "aor": "aor", "demographic": "demographic",
    "citizenship": "citizenship", "authority": "authority", "encounter_type": "encounter_type",
}
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")


@dataclass(frozen=True)
class HighestSince:
    """One month's figure against the months before it."""

    month: str
    value: int
    last_higher: str | None  # the latest earlier month with a value at least as high
    last_higher_value: int | None
    measure: str
    definition: str
    region: str
    same_month: bool
    fiscal_year: int
    fiscal_year_basis: str
    counting_unit: str
    is_provisional: bool  # its fiscal year was still open (FYTD) in the file imported
    compared_from: str | None  # the earliest earlier month compared
    months_compared: int
    statement: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_measure(measure: str) -> str:
    if measure not in MEASURES:
        raise InvalidInput(f"measure {measure!r} is not one of {', '.join(MEASURES)}")
    return measure


def measure_clause(measure: str) -> str:
    """SQL that keeps the rows of one measure (all rows for `encounters`)."""
    return "TRUE" if check_measure(measure) == "encounters" else f"measure = '{measure}'"


def held_region(store: StatStore, region: str) -> str:
    """The region as stored, matched without case; NotFound lists the regions held."""
    store.ensure_tables(*ENCOUNTER_TABLES)
    held = [str(name) for (name,) in store.query(
        "SELECT DISTINCT region FROM encounter_counts ORDER BY region")]
    for name in held:
        if name.casefold() == " ".join(region.split()).casefold():
            return name
    listed = ", ".join(repr(name) for name in held) or "none: import a file first"
    raise NotFound(f"no encounters held for region {region!r} (regions held: {listed})")


def highest_since(store: StatStore, month: str, *, region: str, measure: str = "encounters",
                  same_month: bool = False) -> HighestSince:
    """How `month` compares with every earlier month held for `region`.

        >>> highest_since(store, "2019-02", region="Southwest Land Border",
        ...               same_month=True).last_higher  # doctest: +SKIP
        '2007-02'
    """
    if not _MONTH.fullmatch(month):
        raise InvalidInput(f"month {month!r} is not a calendar month written YYYY-MM")
    clause = measure_clause(measure)
    region = held_region(store, region)
    series = {m: (value, fytd) for m, value, fytd in store.query(
        f"SELECT month, sum(CASE WHEN {clause} THEN encounter_count ELSE 0 END)::BIGINT, "
        "bool_or(is_fytd) FROM encounter_counts WHERE region = ? GROUP BY month", [region])}
    if month not in series:
        held = sorted(series)
        raise NotFound(f"no encounters held for {month} in {region!r} (months held: "
                       f"{held[0]} to {held[-1]})")
    value, is_provisional = series[month]
    earlier = [m for m in sorted(series) if m < month and (not same_month or m[5:] == month[5:])]
    higher = [m for m in earlier if series[m][0] >= value]
    last = higher[-1] if higher else None
    return HighestSince(
        month, value, last, series[last][0] if last else None, measure, MEASURES[measure],
        region, same_month, fiscal_year_of(month), FISCAL_YEAR_BASIS, COUNTING_UNIT,
        bool(is_provisional), earlier[0] if earlier else None, len(earlier),
        _statement(month, value, measure, region, same_month, last, earlier))


def _statement(month: str, value: int, measure: str, region: str, same_month: bool,
               last: str | None, earlier: list[str]) -> str:
    kind = _MONTH_NAMES[int(month[5:]) - 1] if same_month else "month"
    said = f"{value:,} {measure} in {month_name(month)} ({region})"
    if last is None:
        since = f"from {month_name(earlier[0])}" if earlier else "none earlier"
        return f"{said}: the highest {kind} in the figures held ({since})"
    gap = _months_between(last, month)
    count, unit = (gap // 12, "year") if same_month else (gap, "month")
    ago = f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{said}: the highest {kind} since {month_name(last)} ({ago} earlier)"


def month_name(month: str) -> str:
    """The month as words.

    >>> month_name('2019-02')
    'February 2019'
    """
    return f"{_MONTH_NAMES[int(month[5:]) - 1]} {month[:4]}"


def _months_between(start: str, end: str) -> int:
    return (int(end[:4]) - int(start[:4])) * 12 + int(end[5:]) - int(start[5:])
