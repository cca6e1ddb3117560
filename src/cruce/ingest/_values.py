"""Property values in FollowTheMoney's form: one check that every ingest path applies.

A CSV cell is cleaned by its column's plan (`_compile`), and the kinds SQL cannot judge alone
come here, once per distinct value; a JSON line's values come here one by one. Either way a
value that is no date, no country, no phone number or no id is a bad row with the same reason,
and a good one is stored in the same form (`Honduras` -> `hn`, `+504 9988-7766` ->
`+50499887766`).

    >>> clean_value("country", "Honduras"), clean_value("date", "not a date")
    ('hn', None)
"""

from __future__ import annotations

import re
from functools import lru_cache

from followthemoney.schema import Schema
from followthemoney.types import registry

from cruce.errors import InvalidEntityField
from cruce.ingest._clean import GENDERS_ES, clean_phone
from cruce.records import id_problem
from cruce.records._text import shown

_NOT_DIGIT = re.compile(r"[^0-9]")
# What a JSON line's value must look like, for the reason of a bad row.
_FORMS = {
    "date": "a date (YYYY, YYYY-MM or YYYY-MM-DD)",
    "phone": "a phone number with its country code (+504...)",
    "country": "a country (ISO code such as 'hn', or its name)",
    "gender": "a gender (male, female, other)",
}


_TEXT_KINDS = frozenset({"name", "string", "text", "address", "identifier", "html"})


def clean_value(kind: str, raw: str, phone_country: str | None = None) -> str | None:
    """`raw` in FtM's form for a value of type `kind`, or None when it is not one.

    Text kinds (name, string, text, address, identifier...) are kept as they are."""
    if kind in _TEXT_KINDS or registry.get(kind) is None:
        return raw
    if len(raw) > 256:  # no date, country or phone is this long; keep the cache small
        return _clean_typed(kind, raw, phone_country)
    return _clean_cached(kind, raw, phone_country)


def _clean_typed(kind: str, raw: str, phone_country: str | None) -> str | None:
    if kind == "phone" and raw.startswith("+"):
        # The CSV path's fast path (`_clean.phone_sql`): + and 8 to 15 digits is E.164.
        digits = _NOT_DIGIT.sub("", raw)
        if 8 <= len(digits) <= 15:
            return "+" + digits
    if kind == "gender":
        return GENDERS_ES.get(raw.strip().lower())
    if kind == "phone":
        return clean_phone(raw, phone_country)
    if kind == "entity":
        return raw if id_problem(raw) is None else None
    ptype = registry.get(kind)
    return ptype.clean(raw) if ptype is not None else raw


# Dates, countries and genders repeat across a file's records: each is judged once.
_clean_cached = lru_cache(maxsize=65536)(_clean_typed)


def value_reason(kind: str) -> str:
    """Why a value was refused: what it should have been."""
    if kind == "entity":
        return "is not a record id"
    return "is not " + _FORMS.get(kind, f"a valid {kind}")


def clean_properties(
    schema: Schema, properties: dict[str, list[str]], where: str
) -> dict[str, list[str]]:
    """Every value cleaned (`clean_value`); the first one that is not valid is refused,
    naming its property. `properties` was checked by `make_entity` (known names, text)."""
    out: dict[str, list[str]] = {}
    for name, values in properties.items():
        kind = schema.properties[name].type.name
        cleaned: list[str] = []
        for value in values:
            good = clean_value(kind, value)
            if good is None:
                raise InvalidEntityField(
                    where, f"properties.{name}", f"{shown(value)} {value_reason(kind)}"
                )
            if good:
                cleaned.append(good)
        out[name] = cleaned
    return out

