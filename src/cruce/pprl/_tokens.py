"""From an FtM Person's properties to the tokens each schema field encodes.

Names are standardised by cruce.names exactly as for plaintext linkage: the name is parsed
(surnames first or last, two surnames, particles, married names), given names are folded to
their canonical form (Chepe -> jose) and surnames are order-free (a US record's lone surname
still shares its tokens); each also gives a Spanish phonetic key. Dates give year, month and
day as separate tokens (a swapped day and month, or a mistyped year, still agree on two).
Identifiers never become tokens: they are matched exactly, as keyed digests (_encode).

    >>> t = record_tokens({"name": ["HERNANDEZ GARCIA, CHEPE"], "birthDate": ["1990-07-11"]})
    >>> t["given"], t["surname"], t["birth_month"], t["given_initials"]
    (['jose'], ['hernandez', 'garcia'], ['07'], ['j'])
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

from followthemoney.types import registry

from cruce.names import PersonName, name_features, normalise, parse_name_parts, phonetic_key

Tokens = dict[str, list[str]]
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")
_SEX = {"male": "m", "m": "m", "female": "f", "f": "f"}
MIN_IDENTIFIER = 5  # shorter values ("0", "N/A") are placeholders, not identifiers


def _first(props: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = props.get(name) or []
    return values[0] if values else None


@lru_cache(maxsize=1 << 16)
def _canonical(given: str) -> str | None:
    """The first canonical form of one given name ('Chepe' -> 'jose'), via name_features."""
    value = name_features(PersonName(given=(given,)))["given1_canonical"]
    return value if isinstance(value, str) else None


@lru_cache(maxsize=1 << 18)
def _name_tokens(full: str | None, first: str | None, middle: str | None, last: str | None,
                 father: str | None, mother: str | None) -> tuple[tuple[str, ...], ...]:
    parsed = parse_name_parts(first=first, middle=middle, last=last, father=father,
                              mother=mother, full=full)
    given = tuple(c for c in (_canonical(g) for g in parsed.given) if c)
    surnames = name_features(parsed)["surname_all"]
    surname = tuple(surnames) if isinstance(surnames, list) else ()
    return given, surname


def _phonetics(words: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(k for k in map(phonetic_key, words) if k))


def name_tokens(props: Mapping[str, Sequence[str]]) -> Tokens:
    """given (the first, canonical), given_phonetic, given_other (the others), given_initials
    (of every given name: "Francisco C." and "Carlos F." share theirs), surname (every
    surname, order-free), surname_phonetic, surname1 (the paternal); empty when no name parses."""
    fields = ("name", "firstName", "middleName", "lastName", "fatherName", "motherName")
    try:
        given, surname = _name_tokens(*(_first(props, f) for f in fields))
    except Exception:  # noqa: BLE001 - a name standardisation cannot read costs that name only
        given, surname = (), ()
    return {"given": list(given[:1]), "given_phonetic": _phonetics(given[:1]),
            "given_other": list(given[1:]),
            "given_initials": sorted({g[0] for g in given}),
            "surname": list(surname), "surname_phonetic": _phonetics(surname),
            "surname1": list(surname[:1])}


def date_tokens(props: Mapping[str, Sequence[str]]) -> Tokens:
    dates = sorted(props.get("birthDate") or [])
    match = _DATE.match(dates[0]) if dates else None
    year, month, day = match.groups() if match else (None, None, None)
    return {"birth_year": [year] if year else [], "birth_month": [month] if month else [],
            "birth_day": [day] if day else []}


def _place(props: Mapping[str, Sequence[str]]) -> list[str]:
    place = _first(props, "birthPlace")
    words = normalise(place.split(",")[0]).split() if place else []
    return ["".join(words)] if words else []


def _nationality(props: Mapping[str, Sequence[str]]) -> list[str]:
    """ISO codes of the record's nationalities, as FtM's country type reads them."""
    codes = (registry.country.clean(value) for value in props.get("nationality") or [])
    return sorted({code for code in codes if code})


def record_tokens(props: Mapping[str, Sequence[str]]) -> Tokens:
    """Every schema field's tokens for one record."""
    sex = _SEX.get((_first(props, "gender") or "").strip().lower())
    return {**name_tokens(props), **date_tokens(props), "sex": [sex] if sex else [],
            "birth_place": _place(props), "nationality": _nationality(props)}


def identifiers(props: Mapping[str, Sequence[str]]) -> list[str]:
    """The record's document numbers, upper-case alphanumerics only, placeholders dropped."""
    raw = [*(props.get("idNumber") or []), *(props.get("passportNumber") or [])]
    cleaned = (_NOT_ALNUM.sub("", value.upper()) for value in raw)
    return sorted({value for value in cleaned if len(value) >= MIN_IDENTIFIER})
