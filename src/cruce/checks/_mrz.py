"""Machine-readable zones of travel documents (ICAO Doc 9303 parts 4-6): TD1, TD2, TD3.

Every check digit is verified (weights 7-3-1, modulo 10; 0-9 as themselves, A-Z as 10-35,
the filler `<` as 0) and a bad one is reported with the field it guards: a misread MRZ must
never be checked as if it named another document. The `mrz` package on PyPI was last released
in 2020; the algorithm is a few lines, transcribed here from Doc 9303 part 3, section 4.9.

    >>> zone = parse_mrz("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\\n"
    ...                  "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
    >>> zone.document_number, zone.surnames, zone.given_names, zone.birth_date
    ('L898902C3', 'ERIKSSON', 'ANNA MARIA', '1974-08-12')
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cruce.errors import InvalidInput

_WEIGHTS = (7, 3, 1)
_LINE_SHAPES = {(3, 30): "TD1", (2, 36): "TD2", (2, 44): "TD3"}
_ALLOWED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<")


def char_value(char: str) -> int:
    """A character's value in a check digit: digits as themselves, A-Z 10-35, `<` 0."""
    if char.isdigit():
        return int(char)
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    if char == "<":
        return 0
    raise InvalidInput(f"{char!r} cannot appear in a machine-readable zone")


def check_digit(field: str) -> str:
    """The ICAO 9303 check digit of a field.

    >>> check_digit("L898902C3"), check_digit("740812"), check_digit("120415")
    ('6', '2', '9')
    """
    return str(sum(char_value(c) * _WEIGHTS[i % 3] for i, c in enumerate(field)) % 10)


@dataclass(frozen=True, slots=True)
class Mrz:
    """What a machine-readable zone says, its check digits verified."""

    format: str  # TD1, TD2 or TD3
    document_code: str  # P, I, A, C, V... (first letter), as printed without filler
    issuing_country: str
    document_number: str
    surnames: str
    given_names: str
    nationality: str
    birth_date: str  # YYYY-MM-DD (the century inferred), or YYYY-MM / YYYY when unknown parts
    sex: str
    expiry_date: str


def parse_mrz(text: str, *, today: date | None = None) -> Mrz:
    """Parse a TD1 (3 x 30), TD2 (2 x 36) or TD3 (2 x 44) zone; InvalidInput naming the field
    whose check digit fails, or what is wrong with the zone's shape."""
    lines = [line.strip().upper() for line in text.strip().splitlines() if line.strip()]
    shape = (len(lines), len(lines[0]) if lines else 0)
    kind = _LINE_SHAPES.get(shape)
    if kind is None or any(len(line) != shape[1] for line in lines):
        raise InvalidInput(
            "MRZ: expected 3 lines of 30 (TD1), 2 of 36 (TD2) or 2 of 44 (TD3) characters, got "
            + (" + ".join(str(len(line)) for line in lines) or "nothing"))
    for number, line in enumerate(lines, start=1):
        bad = sorted(set(line) - _ALLOWED)
        if bad:
            raise InvalidInput(f"MRZ line {number}: {''.join(bad)!r} cannot appear in an MRZ "
                               "(only A-Z, 0-9 and <)")
    today = today or date.today()
    return _td1(lines, today) if kind == "TD1" else _td23(lines, kind, today)


def _verify(field: str, digit: str, name: str) -> None:
    # An empty optional field may carry `<` for its check digit (Doc 9303 part 3, 4.9).
    if digit == "<" and set(field) <= {"<"}:
        return
    expected = check_digit(field)
    if digit != expected:
        raise InvalidInput(f"MRZ {name}: check digit {digit!r} does not match (computed "
                           f"{expected}): misread or altered")


def _td23(lines: list[str], kind: str, today: date) -> Mrz:
    one, two = lines
    width = len(two)
    _verify(two[0:9], two[9], "document number")
    _verify(two[13:19], two[19], "birth date")
    _verify(two[21:27], two[27], "expiry date")
    if kind == "TD3":
        _verify(two[28:42], two[42], "personal number")
    composite = two[0:10] + two[13:20] + two[21:width - 1]
    _verify(composite, two[width - 1], "composite")
    number = two[0:9]
    surnames, given = _names(one[5:])
    return Mrz(kind, _strip(one[0:2]), _strip(one[2:5]), _strip(number), surnames, given,
               _strip(two[10:13]), _birth(two[13:19], today), _strip(two[20]),
               _expiry(two[21:27]))


def _td1(lines: list[str], today: date) -> Mrz:
    one, two, three = lines
    number, optional = one[5:14], one[15:30]
    if one[14] == "<" and optional.strip("<"):
        # A number longer than 9: the rest and its check digit open the optional field.
        rest = optional.split("<", 1)[0]
        _verify(number + rest[:-1], rest[-1], "document number")
        number = number + rest[:-1]
    else:
        _verify(number, one[14], "document number")
    _verify(two[0:6], two[6], "birth date")
    _verify(two[8:14], two[14], "expiry date")
    _verify(one[5:30] + two[0:7] + two[8:15] + two[18:29], two[29], "composite")
    surnames, given = _names(three)
    return Mrz("TD1", _strip(one[0:2]), _strip(one[2:5]), _strip(number), surnames, given,
               _strip(two[15:18]), _birth(two[0:6], today), _strip(two[7]), _expiry(two[8:14]))


def _strip(field: str) -> str:
    return field.replace("<", " ").strip()


def _names(field: str) -> tuple[str, str]:
    """SURNAMES<<GIVEN<NAMES: `<<` separates the primary and secondary identifiers."""
    primary, _, secondary = field.partition("<<")
    return _strip(primary), " ".join(_strip(secondary).split())


def _birth(yymmdd: str, today: date) -> str:
    """A birth date: in this century unless that would be in the future."""
    year = int(yymmdd[:2]) if yymmdd[:2].isdigit() else None
    if year is None:
        return ""
    full = 2000 + year if 2000 + year <= today.year else 1900 + year
    return _date(full, yymmdd)


def _expiry(yymmdd: str) -> str:
    return _date(2000 + int(yymmdd[:2]), yymmdd) if yymmdd[:2].isdigit() else ""


def _date(year: int, yymmdd: str) -> str:
    # Unknown month or day are written `<<` (Doc 9303 part 3): the date keeps what is known.
    month, day = yymmdd[2:4], yymmdd[4:6]
    if not month.isdigit():
        return f"{year:04d}"
    if not day.isdigit():
        return f"{year:04d}-{month}"
    return f"{year:04d}-{month}-{day}"


__all__ = ["Mrz", "check_digit", "parse_mrz"]
