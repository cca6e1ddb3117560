"""One agency's record of one person: dates, nationality, identifiers and the other fields."""

from __future__ import annotations

import datetime as dt
import random

from .config import WorldConfig
from .names import layout, written_name
from .people import Person
from .spelling import strip_accents
from .tables import CONFUSED_CODE, COUNTRY_NAMES, NICKNAMES, PLACES, STREETS

HOME_AGENCY = {"HN": "hn_police", "GT": "gt_police", "SV": "sv_police", "MX": "mx_migration",
               "US": "us_border"}
NEIGHBOURS = {"HN": ("GT", "SV"), "GT": ("MX", "SV", "HN"), "SV": ("GT", "HN")}


def birth_date(born: dt.date, agency: str, cfg: WorldConfig, rng: random.Random) -> str | None:
    """ISO dates as FtM wants them; estimated dates as YYYY-01-01 or YYYY, swaps as a wrong
    ISO date."""
    roll = rng.random()
    kind = "exact"
    for rate, level in ((cfg.date_missing, "missing"), (cfg.date_estimated, "estimated"),
                       (cfg.date_year_only, "year"), (cfg.date_month_only, "month"),
                       (cfg.date_swap_us if agency == "us_border" else cfg.date_swap_other,
                        "swap"), (cfg.date_typo, "typo")):
        if roll < rate:
            kind = level
            break
        roll -= rate
    if kind == "missing":
        return None
    if kind == "estimated":
        return f"{born.year + rng.choice((0, 0, -1, 1)):04d}-01-01"
    if kind == "year":
        return f"{born.year:04d}"
    if kind == "month":
        return f"{born:%Y-%m}"
    if kind == "swap" and born.day <= 12 and born.day != born.month:
        return f"{born.year:04d}-{born.day:02d}-{born.month:02d}"
    if kind == "typo":
        if rng.random() < 0.5:
            return f"{born.year + rng.choice((-1, 1, -10, 10)):04d}-{born:%m-%d}"
        day = min(max(born.day + rng.choice((-2, -1, 1, 2)), 1), 28)
        return f"{born:%Y-%m}-{day:02d}"
    return born.isoformat()


def nationality(p: Person, agency: str, cfg: WorldConfig, rng: random.Random) -> str | None:
    if rng.random() < cfg.nationality_missing:
        return None
    code = p.origin
    if agency in ("mx_migration", "us_border") and code in NEIGHBOURS:
        roll = rng.random()
        if roll < cfg.false_claim_mexican:
            code = "MX"
        elif roll < cfg.false_claim_mexican + cfg.false_claim_neighbour:
            code = rng.choice(NEIGHBOURS[code])
    if rng.random() < cfg.nationality_confused:
        code = rng.choice(CONFUSED_CODE[code])
    return code


def _id_noise(value: str, cfg: WorldConfig, rng: random.Random) -> str:
    if rng.random() < cfg.id_format_noise:
        value = value.replace("-", "").replace(" ", "")
    if rng.random() < cfg.id_typo:
        digits = [i for i, ch in enumerate(value) if ch.isdigit()]
        if digits:
            i = rng.choice(digits)
            value = value[:i] + str((int(value[i]) + rng.randint(1, 9)) % 10) + value[i + 1:]
    return value


def _place_text(municipality: str, department: str, plain: bool, rng: random.Random) -> str:
    text = municipality if rng.random() < 0.5 else f"{municipality}, {department}"
    return strip_accents(text) if plain else text


def record(p: Person, agency: str, a_number: str, cfg: WorldConfig, rng: random.Random
           ) -> dict[str, list[str]]:
    props = layout(written_name(p, agency, cfg, rng), agency, cfg, rng)
    plain = agency == "us_border"
    born = birth_date(p.born, agency, cfg, rng)
    if born:
        props["birthDate"] = [born]
    nat = nationality(p, agency, cfg, rng)
    if nat:
        props["nationality"] = [nat]
    ids: list[str] = []
    home = HOME_AGENCY[p.origin] == agency
    if p.national_id and rng.random() < (cfg.national_id_home if home else cfg.national_id_abroad):
        ids.append(_id_noise(p.national_id, cfg, rng))
    if agency == "us_border" and rng.random() < cfg.a_number_us:
        ids.append(a_number)
    if ids:
        props["idNumber"] = ids
    passport_rate = cfg.passport_recorded if agency in ("mx_migration", "us_border") else 0.2
    if p.passport and rng.random() < passport_rate:
        props["passportNumber"] = [_id_noise(p.passport, cfg, rng)]
    place_rate = (cfg.birthplace_us if agency == "us_border" else cfg.birthplace_mx
                  if agency == "mx_migration" else cfg.birthplace_ca)
    if rng.random() < place_rate:
        props["birthPlace"] = [COUNTRY_NAMES[p.origin] if agency == "us_border" else
                               _place_text(p.birthplace.municipality,
                                           p.birthplace.department, plain, rng)]
    if rng.random() < cfg.address:
        place = p.residence if rng.random() >= cfg.moved else rng.choice(PLACES[p.origin])
        if agency == "us_border":
            place = rng.choice(PLACES["US"])
        street = STREETS[int(p.pid[1:]) % len(STREETS)]
        props["address"] = [_place_text(f"{street}, {place.municipality}", place.department,
                                        plain, rng)]
    if rng.random() < cfg.alias:
        props["alias"] = [rng.choice(NICKNAMES) if rng.random() < 0.6 else
                          f"{p.given[0]} {p.husband or p.paternal}"]
    if rng.random() >= cfg.gender_missing:
        wrong = rng.random() < cfg.gender_wrong
        props["gender"] = [("female" if p.sex == "male" else "male") if wrong else p.sex]
    return props
