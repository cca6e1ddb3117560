"""Identity documents, phones and plates in each country's real format (numbers are random).

National id check digits follow the published rules (SV DUI, GT CUI, MX CURP), so a validator
accepts the clean values and rejects the transposed ones, as it would on real exports.
"""

from __future__ import annotations

from datetime import date
from random import Random

from cruce.demo._lexicon import strip_accents

DIGITS = "0123456789"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
PLATE_LETTERS = "BCDFGHJKLMNPRSTVWXYZ"
_CURP_CHARS = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
_CURP_PARTICLES = ("DA", "DAS", "DE", "DEL", "DER", "DI", "DIE", "DD", "EL", "LA", "LOS", "LAS")
_CURP_SKIP_GIVEN = ("JOSE", "J", "MARIA", "MA", "MA.")

# Area codes the phone library knows to be valid; the remaining digits are random.
_MX_AREAS = ("55", "33", "81", "962", "961", "993", "222", "664", "656", "899", "868", "867")
_US_AREAS = ("213", "310", "713", "832", "305", "214", "602", "210", "404", "312", "702", "915",
             "956", "619", "718", "347", "281", "469", "480", "520", "786", "909", "972")
_MOBILE_LEADS = {"hn": "3789", "gt": "345", "sv": "67"}
COUNTRY_CODES = {"hn": "504", "gt": "502", "sv": "503", "mx": "52", "us": "1"}


def digits(rng: Random, n: int) -> str:
    return str(rng.randrange(10**n)).zfill(n)


def letters(rng: Random, n: int, alphabet: str = UPPER) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def hn_dni(rng: Random, place_code: str, birth_year: int) -> str:
    """Honduran DNI: municipality of registration, birth year, sequence: 0801-1990-12345."""
    return f"{place_code}-{birth_year}-{digits(rng, 5)}"


def sv_dui(rng: Random) -> str:
    """Salvadoran DUI: eight digits and a weighted mod-10 check digit: 01234567-8."""
    body = digits(rng, 8)
    total = sum(int(d) * (9 - i) for i, d in enumerate(body))
    return f"{body}-{(10 - total % 10) % 10}"


def gt_cui(rng: Random, place_code: str) -> str:
    """Guatemalan DPI/CUI: 8 digits, mod-11 check digit, department and municipality."""
    while True:
        body = digits(rng, 8)
        check = sum(int(d) * (i + 2) for i, d in enumerate(body)) % 11
        if check < 10:
            return f"{body[:4]} {body[4:]}{check} {place_code}"


def _first_inner(word: str, vowels: bool) -> str:
    for char in word[1:]:
        if (char in "AEIOU") == vowels and char.isalpha():
            return char
    return "X"


def _curp_word(name: str, skip: tuple[str, ...]) -> str:
    words = [w for w in strip_accents(name).upper().replace("Ñ", "X").split() if w not in skip]
    return words[0] if words else "X"


def mx_curp(
    rng: Random, given: str, paternal: str, maternal: str, birth: date, male: bool, state: str
) -> str:
    """Mexican CURP (18 characters) with its check digit; state NE for the foreign-born."""
    pat = _curp_word(paternal, _CURP_PARTICLES)
    mat = _curp_word(maternal, _CURP_PARTICLES) if maternal else "X"
    given_words = strip_accents(given).upper().split()
    first = given_words[1] if len(given_words) > 1 and given_words[0] in _CURP_SKIP_GIVEN else (
        given_words[0] if given_words else "X"
    )
    body = (
        f"{pat[0]}{_first_inner(pat, True)}{mat[0]}{first[0]}"
        f"{birth:%y%m%d}{'H' if male else 'M'}{state}"
        f"{_first_inner(pat, False)}{_first_inner(mat, False)}{_first_inner(first, False)}"
        f"{rng.choice(DIGITS if birth.year < 2000 else UPPER)}"
    )
    total = sum(_CURP_CHARS.index(c) * (18 - i) for i, c in enumerate(body))
    return body + str((10 - total % 10) % 10)


def us_a_number(rng: Random) -> str:
    """USCIS alien registration number: A and nine digits."""
    return f"A{rng.randrange(200_000_000, 240_000_000)}"


def passport(rng: Random, country: str) -> str:
    """A passport number shaped like the country's booklets."""
    if country == "hn":
        return f"{rng.choice('EF')}{digits(rng, 7)}"
    if country == "gt":
        return f"{rng.randrange(10**8, 3 * 10**8)}"
    if country == "sv":
        return f"B{digits(rng, 8)}"
    if country == "mx":
        return f"{rng.choice('GNP')}{digits(rng, 8)}"
    return f"{rng.choice('56')}{digits(rng, 8)}"


def phone_number(rng: Random, country: str) -> str:
    """A valid national significant number (no country code) for a mobile line."""
    if country in _MOBILE_LEADS:
        return rng.choice(_MOBILE_LEADS[country]) + digits(rng, 7)
    if country == "mx":
        area = rng.choice(_MX_AREAS)
        return area + digits(rng, 10 - len(area))
    return rng.choice(_US_AREAS) + str(rng.randrange(2, 10)) + digits(rng, 6)


def plate(rng: Random, country: str) -> str:
    """A registration plate in the country's current format."""
    if country == "hn":
        return f"H{letters(rng, 2, PLATE_LETTERS)}{digits(rng, 4)}"
    if country == "gt":
        return f"{rng.choice('PPPC')}{digits(rng, 3)}{letters(rng, 3, PLATE_LETTERS)}"
    if country == "sv":
        return f"{rng.choice('PPPC')}{rng.randrange(100_000, 999_999)}"
    if country == "mx":
        return f"{letters(rng, 3, PLATE_LETTERS)}{digits(rng, 3)}{rng.choice(PLATE_LETTERS)}"
    return f"{rng.randrange(5, 10)}{letters(rng, 3, PLATE_LETTERS)}{digits(rng, 3)}"


def transpose_digits(rng: Random, value: str) -> str:
    """Swap two adjacent differing digits: the commonest keying error in id numbers."""
    spots = [
        i for i in range(len(value) - 1)
        if value[i].isdigit() and value[i + 1].isdigit() and value[i] != value[i + 1]
    ]
    if not spots:
        return value
    i = rng.choice(spots)
    return value[:i] + value[i + 1] + value[i] + value[i + 2:]
