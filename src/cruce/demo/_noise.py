"""How an agency's copy of a person differs from the person: the errors real exports carry.

Noise changes values, never the shape a file promises: a swapped birth date is swapped only
when it stays a valid date, so every generated file ingests without bad rows.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from random import Random

from cruce.demo._identity import transpose_digits
from cruce.demo._lexicon import City, lexicon, strip_accents
from cruce.demo._people import TruePerson

# Keys next to each other on a Spanish keyboard: the substitutions typists make.
_NEIGHBOURS = {
    "a": "sqz", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj",
    "i": "uo", "j": "hk", "k": "jl", "l": "kñ", "m": "n", "n": "mb", "o": "ip", "p": "o",
    "q": "w", "r": "et", "s": "ad", "t": "ry", "u": "yi", "v": "cb", "w": "qe", "x": "zc",
    "y": "tu", "z": "xs", "ñ": "ln", "á": "as", "é": "er", "í": "uo", "ó": "ip", "ú": "yi",
}


@dataclass(frozen=True, slots=True)
class NoiseRates:
    """Probability, per record, of each kind of error (scaled per agency by its data quality)."""

    typo: float = 0.05  # one-character edit in a name
    missing: float = 0.10  # a field left empty (repeats: several fields at this rate squared)
    accents_lost: float = 0.15
    nickname_as_given: float = 0.03  # "Chepe" recorded as the given name of José
    day_month_swap: float = 0.02
    estimated_birth_date: float = 0.03  # 01/01/YYYY when only the age was known
    year_only: float = 0.03  # where the format allows it; else recorded as 01/01/YYYY
    transposed_id: float = 0.02
    phone_format: float = 0.25  # a different way of writing the same number
    duplicate: float = 0.035  # the same person registered twice in one agency

    def scaled(self, factor: float) -> NoiseRates:
        """These rates times `factor`, capped at 1."""
        values = {f.name: min(1.0, getattr(self, f.name) * factor) for f in fields(self)}
        return replace(self, **values)


@dataclass(slots=True)
class Observation:
    """What one record of one agency says about a person."""

    given: list[str]
    paternal: str
    maternal: str
    spouse: str
    alias: str
    year: int  # 0: birth date unknown
    month: int  # 0: year only
    day: int
    national_id: str
    passport: str
    phone: str
    phone_country: str
    a_number: str
    curp: str
    birthplace: City | None
    phone_style: int  # 0: the agency's usual way of writing a number; 1-3: the others


def typo(rng: Random, word: str) -> str:
    """One edit: substitute a neighbouring key, drop, double or swap a letter."""
    if len(word) < 3:
        return word
    i = rng.randrange(1, len(word))
    kind = rng.randrange(4)
    char = word[i]
    if kind == 0:
        subs = _NEIGHBOURS.get(char.lower(), "")
        if not subs:
            return word
        sub = rng.choice(subs)
        return word[:i] + (sub.upper() if char.isupper() else sub) + word[i + 1:]
    if kind == 1:
        return word[:i] + word[i + 1:]
    if kind == 2:
        return word[:i] + char + word[i:]
    return word[:i - 1] + char + word[i - 1] + word[i + 1:]


def _names(rng: Random, p: TruePerson, rates: NoiseRates) -> tuple[list[str], str, str, str]:
    given, paternal, maternal, spouse = list(p.given), p.paternal, p.maternal, p.spouse
    hyp = lexicon().hypocoristics.get(given[0])
    if hyp and rng.random() < rates.nickname_as_given:
        given[0] = rng.choice(hyp)
    if rng.random() < rates.typo:
        slot = rng.randrange(3)
        if slot == 0:
            given[0] = typo(rng, given[0])
        elif slot == 1:
            paternal = typo(rng, paternal)
        elif maternal:
            maternal = typo(rng, maternal)
    if rng.random() < rates.accents_lost:
        given = [strip_accents(g) for g in given]
        paternal, maternal, spouse = (strip_accents(x) for x in (paternal, maternal, spouse))
    return given, paternal, maternal, spouse


def _birth(rng: Random, p: TruePerson, rates: NoiseRates, year_only: bool) -> tuple[int, int, int]:
    year, month, day = p.birth.year, p.birth.month, p.birth.day
    draw = rng.random()
    if draw < rates.day_month_swap:
        if day <= 12 and day != month:
            month, day = day, month
    elif (draw := draw - rates.day_month_swap) < rates.estimated_birth_date:
        month, day = 1, 1
    elif draw - rates.estimated_birth_date < rates.year_only:
        month, day = (0, 0) if year_only else (1, 1)
    return year, month, day


def _blank_fields(rng: Random, obs: Observation, rate: float) -> None:
    """Empty one field per hit; a record can lose several."""
    while rng.random() < rate:
        field = rng.randrange(7)
        if field == 0:
            obs.phone = ""
        elif field == 1:
            obs.national_id = ""
        elif field == 2:
            obs.passport = ""
        elif field == 3:
            obs.year = obs.month = obs.day = 0
        elif field == 4:
            obs.maternal = ""
        elif field == 5:
            obs.birthplace = None
        else:
            obs.alias = ""


def observe(rng: Random, p: TruePerson, rates: NoiseRates, year_only: bool) -> Observation:
    """A noisy copy of `p` as one agency records it."""
    given, paternal, maternal, spouse = _names(rng, p, rates)
    year, month, day = _birth(rng, p, rates, year_only)
    national_id = p.national_id
    if national_id and rng.random() < rates.transposed_id:
        national_id = transpose_digits(rng, national_id)
    obs = Observation(
        given=given, paternal=paternal, maternal=maternal, spouse=spouse, alias=p.moniker,
        year=year, month=month, day=day, national_id=national_id, passport=p.passport,
        phone=p.phone, phone_country=p.phone_country, a_number=p.a_number, curp=p.curp,
        birthplace=p.birthplace,
        phone_style=rng.randrange(1, 4) if rng.random() < rates.phone_format else 0,
    )
    _blank_fields(rng, obs, rates.missing)
    return obs
