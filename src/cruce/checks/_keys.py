"""The keys alerts are found by: document numbers, types, plates and VINs normalised, and the
one-transcription-error variants of a number.

A document number is compared as its letters and digits only, upper case: `E-123 4567`,
`e1234567` and the MRZ's `E1234567<` are one number. A plate likewise. Variants are made on
the query side only (nothing extra is stored per alert: 10M alerts must fit in 2 GB):
each confusable character swapped for its twin (O/0/D/Q, I/1/L, S/5, B/8, Z/2, G/6), one character
dropped (the query has one too many), and one character inserted anywhere (the query lost one).
"""

from __future__ import annotations

import re

from cruce.errors import InvalidInput

_NOT_ALNUM = re.compile(r"[^A-Z0-9]")
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
# Pairs an officer or an OCR reads for each other (the check digit catches them in an MRZ,
# but a number typed from the data page or a list has no check digit).
CONFUSABLE = {"O": "0QD", "0": "OQD", "D": "0O", "Q": "0O", "I": "1L", "1": "IL", "L": "1I",
              "S": "5", "5": "S", "B": "8", "8": "B", "Z": "2", "2": "Z", "G": "6", "6": "G"}

DOCUMENT_TYPES: dict[str, str] = {
    **dict.fromkeys(("passport", "p", "pasaporte", "pp"), "passport"),
    **dict.fromkeys(("id_card", "i", "id", "identity_card", "dni", "dui", "cedula",
                     "national_id"), "id_card"),
    **dict.fromkeys(("visa", "v"), "visa"),
    **dict.fromkeys(("residence_permit", "r", "residence", "permit"), "residence_permit"),
    **dict.fromkeys(("travel_document", "t", "a", "c"), "travel_document"),
}
_COUNTRY = re.compile(r"[A-Z]{3}")
MAX_NUMBER = 24


def document_type(text: str) -> str:
    """The canonical document type (`passport`, `id_card`, `visa`, `residence_permit`,
    `travel_document`), from what alerts, manifests and MRZ codes write; InvalidInput else."""
    found = DOCUMENT_TYPES.get(text.strip().lower())
    if found is None:
        raise InvalidInput(f"{text!r} is not a document type (passport, id_card, visa, "
                           "residence_permit, travel_document, or P, I, V, R, T)")
    return found


def country(text: str) -> str:
    """An ISO 3166 alpha-3 code (ICAO's codes too: UTO, XXA), upper case; InvalidInput else."""
    code = text.strip().upper()
    if not _COUNTRY.fullmatch(code):
        raise InvalidInput(f"{text!r} is not a three-letter country code (ISO 3166 alpha-3)")
    return code


def number_key(text: str) -> str:
    """A document number or plate as compared: letters and digits, upper case.

    >>> number_key("e-123 4567<"), number_key("P 123-BCD")
    ('E1234567', 'P123BCD')
    """
    key = _NOT_ALNUM.sub("", text.upper())
    if not key:
        raise InvalidInput(f"{text!r} has no letters or digits")
    if len(key) > MAX_NUMBER:
        raise InvalidInput(f"{text[:40]!r} is {len(key)} characters: at most {MAX_NUMBER}")
    return key


def one_error_variants(key: str) -> set[str]:
    """Every string one typical transcription error away from `key` (not `key` itself).

    >>> sorted(v for v in one_error_variants("B0") if len(v) == 2)[:6]
    ['80', 'BD', 'BO', 'BQ']
    >>> {"80", "BO", "BD", "B", "0"} <= one_error_variants("B0")
    True
    >>> "E1234567" in one_error_variants("E123567")
    True
    """
    found: set[str] = set()
    for i, char in enumerate(key):
        for twin in CONFUSABLE.get(char, ""):
            found.add(key[:i] + twin + key[i + 1:])
        if len(key) > 1:
            found.add(key[:i] + key[i + 1:])
    if len(key) < MAX_NUMBER:
        for i in range(len(key) + 1):
            for char in ALPHABET:
                found.add(key[:i] + char + key[i:])
    found.discard(key)
    return found


# VIN (ISO 3779; the check digit in position 9 as North America requires, 49 CFR 565): letters
# I, O and Q never appear.
_VIN = re.compile(r"[A-HJ-NPR-Z0-9]{17}")
_VIN_VALUES = {**{str(d): d for d in range(10)},
               **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
               **dict(zip("JKLMN", range(1, 6), strict=True)), "P": 7, "R": 9,
               **dict(zip("STUVWXYZ", range(2, 10), strict=True))}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin(text: str) -> str:
    """A VIN, upper case, its check digit (position 9) verified; InvalidInput else.

    >>> vin("1m8gdm9axkp042788")
    '1M8GDM9AXKP042788'
    """
    code = text.strip().upper()
    if not _VIN.fullmatch(code):
        raise InvalidInput(f"{text[:40]!r} is not a VIN (17 letters and digits, no I, O or Q)")
    total = sum(_VIN_VALUES[c] * w for c, w in zip(code, _VIN_WEIGHTS, strict=True)) % 11
    expected = "X" if total == 10 else str(total)
    if code[8] != expected:
        raise InvalidInput(f"VIN {code}: check digit {code[8]!r} does not match (computed "
                           f"{expected}): misread or altered")
    return code


__all__ = ["country", "document_type", "number_key", "one_error_variants", "vin"]
