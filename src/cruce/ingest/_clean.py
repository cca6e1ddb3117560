"""Column cleaning compiled to SQL, with Python only for the distinct values SQL cannot judge.

Kinds: text (white space and case), date (declared formats, partial dates stay partial), phone
(E.164 with a default country), and lookup kinds (country, gender, other FtM types) that are
cleaned once per distinct value by FollowTheMoney's own type registry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers

from cruce.ingest._mapping import ColumnCleaning

# Countries whose national numbers have one length: the common case needs no phonenumbers call.
NATIONAL_PHONES: dict[str, tuple[str, int]] = {
    "HN": ("504", 8),
    "GT": ("502", 8),
    "SV": ("503", 8),
    "NI": ("505", 8),
    "CR": ("506", 8),
    "PA": ("507", 8),
    "BZ": ("501", 7),
    "MX": ("52", 10),
    "US": ("1", 10),
    "CO": ("57", 10),
}
GENDERS_ES = {
    "m": "male",
    "masculino": "male",
    "hombre": "male",
    "h": "male",
    "f": "female",
    "femenino": "female",
    "mujer": "female",
    "male": "male",
    "female": "female",
    "otro": "other",
    "other": "other",
    "x": "other",
}
ISO_FORMATS = ("%Y-%m-%d", "%Y-%m", "%Y")
LOOKUP_TYPES = (
    "country",
    "gender",
    "email",
    "url",
    "iban",
    "ip",
    "language",
    "checksum",
    "number",
    "topic",
)


@dataclass(frozen=True, slots=True)
class ColumnPlan:
    """How one source column is cleaned, and what to say when a value cannot be read."""

    column: str
    kind: str  # text | date | phone | <FtM type name for lookups>
    cleaning: ColumnCleaning
    max_length: int | None = None  # the shortest FtM limit of the properties it feeds

    def reason(self) -> str:
        if self.kind == "date":
            formats = self.cleaning.date_formats or ISO_FORMATS
            return "is not a date in the declared formats " + ", ".join(map(_human, formats))
        if self.kind == "phone":
            country = self.cleaning.phone_country or "none declared"
            return f"is not a phone number (default country {country})"
        return f"is not a valid {self.kind}"


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def whitespace_sql(col: str) -> str:
    return f"NULLIF(trim(regexp_replace({quote(col)}, '\\s+', ' ', 'g')), '')"


def text_sql(ref: str, case: str) -> str:
    if case == "upper":
        return f"upper({ref})"
    if case == "lower":
        return f"lower({ref})"
    if case == "title":
        words = f"string_split(lower({ref}), ' ')"
        return f"array_to_string(list_transform({words}, lambda w: upper(w[1]) || w[2:]), ' ')"
    return ref


def date_sql(ref: str, formats: Iterable[str]) -> str:
    parts = [
        f"strftime(try_strptime({ref}, {literal(fmt)}), {literal(_precision(fmt))})"
        for fmt in (*formats, *ISO_FORMATS)
    ]
    return f"COALESCE({', '.join(parts)})"


def phone_sql(ref: str, country: str | None) -> str:
    """The fast path to E.164; NULL where phonenumbers must decide."""
    digits = f"regexp_replace({ref}, '[^0-9]', '', 'g')"
    cases = [
        f"WHEN starts_with({ref}, '+') AND length({digits}) BETWEEN 8 AND 15 THEN '+' || {digits}",
        f"WHEN starts_with({digits}, '00') AND starts_with({ref}, '00') "
        f"AND length({digits}) BETWEEN 10 AND 17 THEN '+' || {digits}[3:]",
    ]
    if country in NATIONAL_PHONES:
        code, size = NATIONAL_PHONES[country]
        cases.append(f"WHEN length({digits}) = {size} THEN '+{code}' || {digits}")
        cases.append(
            f"WHEN length({digits}) = {size + len(code)} AND starts_with({digits}, '{code}') "
            f"THEN '+' || {digits}"
        )
    return f"CASE {' '.join(cases)} ELSE NULL END"


def clean_phone(raw: str, country: str | None) -> str | None:
    try:
        number = phonenumbers.parse(raw, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _precision(fmt: str) -> str:
    if "%d" in fmt or "%j" in fmt:
        return "%Y-%m-%d"
    if "%m" in fmt or "%b" in fmt or "%B" in fmt:
        return "%Y-%m"
    return "%Y"


def _human(fmt: str) -> str:
    return fmt.replace("%d", "DD").replace("%m", "MM").replace("%Y", "YYYY").replace("%y", "YY")
