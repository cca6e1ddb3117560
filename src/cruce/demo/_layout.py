"""What an agency export is made of: subjects, files, rows, and the formatting helpers the
agency layouts share."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from random import Random

from cruce.demo._identity import COUNTRY_CODES
from cruce.demo._lexicon import strip_accents
from cruce.demo._noise import Observation
from cruce.demo._people import TruePerson
from cruce.demo._reach import World

# One CSV row, the true person of its Person entity and the true organisation of its
# Organization/Company entity ("" when the row has none).
Row = tuple[list[str], str, str]


@dataclass(slots=True)
class Subject:
    """One record of a person in one agency's files."""

    person: TruePerson
    obs: Observation
    local_id: str
    role: str  # suspect | victim | witness | migrant | other
    draw: float  # uniform draw fixing layout choices that every file of the agency repeats
    case: str = ""
    primary: bool = True  # False for the agency's accidental second registration


@dataclass(slots=True)
class Context:
    """Everything an agency layout needs to write its files."""

    world: World
    agency: str
    rng: Random
    subjects: list[Subject]
    primary: dict[int, Subject]  # person index -> the agency's main record of them

    def past_date(self, years: int = 5) -> date:
        """A day in the `years` before the reference date."""
        return self.world.reference - timedelta(days=self.rng.randrange(1, years * 365))


@dataclass(frozen=True, slots=True)
class Export:
    """One file of an agency: the dataset it belongs to, its name, columns and rows."""

    dataset: str
    filename: str
    header: tuple[str, ...]
    rows: Callable[[Context], Iterator[Row]]


@dataclass(frozen=True, slots=True)
class Layout:
    """How one agency records people, and the files it exports."""

    agency: str
    quality: float  # multiplies the spec's noise rates: above 1 is a noisier agency
    year_only: bool  # whether its date column accepts a bare year
    overrides: tuple[tuple[str, float], ...]  # further factors on single rates (its practice)
    local_id: Callable[[int], str]
    case_id: Callable[[Random, int, date], str] | None  # police case numbers
    exports: tuple[Export, ...]


def fmt_date(year: int, month: int, day: int, order: str, sep: str) -> str:
    """A date as the agency writes it; "" when unknown, the bare year when only that is."""
    if not year:
        return ""
    if not month:
        return str(year)
    if order == "dmy":
        return f"{day:02d}{sep}{month:02d}{sep}{year}"
    if order == "mdy":
        return f"{month:02d}{sep}{day:02d}{sep}{year}"
    return f"{year}{sep}{month:02d}{sep}{day:02d}"


def obs_date(obs: Observation, order: str, sep: str) -> str:
    return fmt_date(obs.year, obs.month, obs.day, order, sep)


def day_date(value: date, order: str, sep: str) -> str:
    return fmt_date(value.year, value.month, value.day, order, sep)


def _group(number: str, country: str, style: int) -> str:
    if len(number) == 8:
        return (f"{number[:4]}-{number[4:]}", number, f"{number[:4]} {number[4:]}")[style]
    if country == "mx":
        return (f"{number[:3]} {number[3:6]} {number[6:]}", number,
                f"({number[:3]}) {number[3:6]}-{number[6:]}")[style]
    return (f"({number[:3]}) {number[3:6]}-{number[6:]}",
            f"{number[:3]}-{number[3:6]}-{number[6:]}", number)[style]


def fmt_phone(obs: Observation, home: str) -> str:
    """The number as a clerk of country `home` writes it: foreign numbers with their +prefix."""
    if not obs.phone:
        return ""
    code = COUNTRY_CODES[obs.phone_country]
    if obs.phone_country != home:
        return f"+{code} {_group(obs.phone, obs.phone_country, 0)}"
    if obs.phone_style == 3:
        return f"+{code} {_group(obs.phone, obs.phone_country, 2)}"
    return _group(obs.phone, obs.phone_country, obs.phone_style)


def caps(text: str, plain: bool) -> str:
    """Capitals, without accents when the agency's system drops them."""
    return strip_accents(text).upper() if plain else text.upper()
