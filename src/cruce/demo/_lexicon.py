"""Word pools of the demo world, loaded once from `data/*.yml`, and small text helpers."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from itertools import accumulate
from typing import Any

import yaml

COUNTRIES = ("hn", "gt", "sv", "mx", "us")
# Country names as each agency writes them; all are names FtM's country type reads.
COUNTRY_ES = {
    "hn": "Honduras",
    "gt": "Guatemala",
    "sv": "El Salvador",
    "mx": "México",
    "us": "Estados Unidos",
}
COUNTRY_EN = {
    "hn": "HONDURAS",
    "gt": "GUATEMALA",
    "sv": "EL SALVADOR",
    "mx": "MEXICO",
    "us": "UNITED STATES",
}


@dataclass(frozen=True, slots=True)
class Weighted:
    """A pool drawn by rank: the first entries are the common ones, as in real name registers."""

    items: tuple[str, ...]
    cum_weights: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class City:
    name: str
    region: str
    code: str  # department/municipality code (HN, GT, SV ids) or state code (MX CURP, US)


@dataclass(frozen=True, slots=True)
class Lexicon:
    given_male: Weighted
    given_female: Weighted
    second_male: tuple[str, ...]
    second_female: tuple[str, ...]
    surnames: Weighted
    mayan_surnames: Weighted
    arabic_surnames: tuple[str, ...]
    us_given_male: tuple[str, ...]
    us_given_female: tuple[str, ...]
    us_surnames: Weighted
    monikers: tuple[str, ...]
    hypocoristics: dict[str, tuple[str, ...]]
    cities: dict[str, tuple[City, ...]]
    denylist: frozenset[str]
    denied_first: frozenset[str]  # first words of denylisted names, folded: a quick reject
    raw: dict[str, Any]  # the remaining pools (organisations, vehicles, places), as loaded


def _load(name: str) -> Any:
    return yaml.safe_load(files("cruce.demo").joinpath("data", name).read_text("utf-8"))


def weighted(table: dict[str, float]) -> Weighted:
    """A pool with explicit weights."""
    return Weighted(tuple(table), tuple(accumulate(table.values())))


def _ranked(items: list[str], exponent: float = 0.8) -> Weighted:
    """Zipf-like weights: a surname register is dominated by a handful of names."""
    unique = tuple(dict.fromkeys(items))
    weights = [1.0 / (rank + 1) ** exponent for rank in range(len(unique))]
    return Weighted(unique, tuple(accumulate(weights)))


@lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Lowercase without accents: how the denylist and tests compare names."""
    return strip_accents(text).lower()


@cache
def _accent_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0xC0, 0x180):
        char = chr(code)
        base = unicodedata.normalize("NFKD", char)[0]
        if base != char and base.isascii():
            table[code] = base
    return table


@lru_cache(maxsize=1 << 16)  # names come from small pools: most calls are hits
def strip_accents(text: str) -> str:
    """Drop diacritics (á→a, Ñ→N, ü→u), as US systems and many capitalised files do."""
    return text.translate(_accent_table())


@cache
def lexicon() -> Lexicon:
    """The pools, parsed once per process."""
    words = _load("lexicon.yml")
    places = _load("places.yml")
    cities = {
        country: tuple(City(str(n), str(r), str(c)) for n, r, c in rows)
        for country, rows in places["cities"].items()
    }
    raw = {**words, **places}
    denied = _load("denylist.yml")
    return Lexicon(
        given_male=_ranked(words["given_male"], 0.6),
        given_female=_ranked(words["given_female"], 0.6),
        second_male=tuple(words["second_male"]),
        second_female=tuple(words["second_female"]),
        surnames=_ranked(words["surnames"]),
        mayan_surnames=_ranked(words["mayan_surnames"], 0.5),
        arabic_surnames=tuple(words["arabic_surnames"]),
        us_given_male=tuple(words["us_given_male"]),
        us_given_female=tuple(words["us_given_female"]),
        us_surnames=_ranked(words["us_surnames"], 0.5),
        monikers=tuple(words["monikers"]),
        hypocoristics={k: tuple(v) for k, v in words["hypocoristics"].items()},
        cities=cities,
        denylist=frozenset(fold(name) for name in denied),
        denied_first=frozenset(fold(name).split()[0] for name in denied),
        raw=raw,
    )


def mapping_text(agency: str) -> str:
    """The mapping YAML of an agency, byte for byte as shipped."""
    return files("cruce.demo").joinpath("data", "mappings", f"{agency}.yml").read_text("utf-8")
