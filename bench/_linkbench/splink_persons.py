"""FtM Person records flattened as a careful Splink user would, for Spanish naming.

Every field `cruce link` reads is kept: all name properties (name, firstName, middleName,
secondName, fatherName, motherName, lastName, alias, every value), birthDate, gender,
nationality, birthPlace, address, idNumber and passportNumber. The user's choices:

- text: lower case, accents stripped, punctuation to spaces (Splink's README asks for
  standardised inputs); a name token with OCR digits is kept as read.
- given names: firstName (+ middleName/secondName), else the part of `name` after the comma
  ("SURNAMES, GIVEN", the surnames-first layout), else, for a bare "Given Given Paternal
  Maternal", all but the last two words (one given name when there are three words).
- surnames: fatherName / motherName when given; else lastName, else the part before the comma,
  else the last two words: the first is the paternal, the second the maternal surname; hyphens
  split ("Zelaya-Santos"); "de Santos" after a surname is a married name, not a maternal one
  ("Zelaya de Santos"); "Jr" dropped.
- `name_variants`: "first surname" of the record and of each two-word alias, for blocking.
- dates: `dob` only for full dates that are not 1 January (profiling shows the 01-01 spike of
  estimated dates); `birth_year` from any value (year only, year-month, estimated); `dob_swapped`
  with day and month exchanged, for MM/DD read as DD/MM.
- places: birthPlace's first comma part (the municipality), address's first two (street,
  municipality): the department is written by some agencies only.
- ids: every idNumber and passportNumber, letters and digits only, as one array; phone digits;
  birthCountry.
- a bare name (no comma, no name parts) is read given names first unless the user has seen
  that the agency writes surnames first (`surnames_first`, by file stem).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

_NON_WORD = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")
PARTICLES = frozenset({"de", "del", "la", "las", "los", "y"})
SUFFIXES = frozenset({"jr", "sr", "ii", "iii"})
NOT_NAMES = PARTICLES | SUFFIXES | {"el"}

COLUMNS = ("unique_id", "first_name", "middle_name", "surname", "surname_2",
           "first_name_surname_concat", "name_variants", "dob", "dob_swapped", "birth_year",
           "gender", "nationality", "birth_place", "address", "ids", "phone", "birth_country")


def clean(text: str | None) -> str:
    """Lower case, accents stripped, hyphens and punctuation as spaces, spaces collapsed."""
    if not text:
        return ""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).lower()
    return _SPACES.sub(" ", _NON_WORD.sub(" ", plain.replace("-", " "))).strip()


def _words(text: str | None) -> list[str]:
    return [w for w in clean(text).split(" ") if w and w not in SUFFIXES]


def _first(props: dict[str, list[str]], key: str) -> str | None:
    values = [v for v in props.get(key, []) if isinstance(v, str) and v.strip()]
    return values[0] if values else None


def split_surnames(words: list[str]) -> tuple[str | None, str | None]:
    """(paternal, maternal) from surname words; "X de Y" is X married to Y (no maternal)."""
    words = [w for w in words if w not in SUFFIXES]
    if not words:
        return None, None
    if len(words) >= 3 and words[1] in ("de", "del"):
        return words[0], None
    rest = [w for w in words[1:] if w not in PARTICLES]
    return words[0], (rest[0] if rest else None)


def _bare_split(words: list[str], surnames_first: bool) -> tuple[list[str], list[str]]:
    """(given, surname words) of a name without a comma or name parts."""
    if surnames_first:  # "Reyes Garcia Jesus Alexander", "Lopez de Santos Maria"
        cut = 3 if len(words) > 3 and words[1] in ("de", "del") else min(2, len(words) - 1)
        return words[cut:], words[:cut]
    cut = max(1, len(words) - 2) if len(words) != 3 else 1
    married = [i for i, w in enumerate(words) if w in ("de", "del") and i >= 2]
    if married:  # "Maria Lopez de Santos": the surnames start before "de"
        cut = married[0] - 1
    return words[:cut], words[cut:]


def split_name(props: dict[str, list[str]], surnames_first: bool = False
               ) -> tuple[list[str], str | None, str | None]:
    """(given names, paternal, maternal) from the record's name properties; a bare name
    (no comma, no parts) is read surnames first when the agency writes it so."""
    name = _first(props, "name") or ""
    before, comma, after = name.partition(",")
    given = _words(_first(props, "firstName"))
    for key in ("middleName", "secondName"):
        given += _words(_first(props, key))
    if not given and comma:
        given = _words(after)
    paternal: str | None
    maternal: str | None
    father = _words(_first(props, "fatherName"))
    if father:
        paternal = father[0]
        mother = _words(_first(props, "motherName"))
        maternal = None if not mother or mother[0] in ("de", "del") else mother[0]
        if given:
            return given, paternal, maternal
    last = _first(props, "lastName")
    if last:
        paternal, maternal = split_surnames(_words(last))
    elif comma:
        paternal, maternal = split_surnames(_words(before))
    else:
        words = _words(name)
        if not given:
            given, words = _bare_split(words, surnames_first)
        else:
            words = [w for w in words if w not in given]
        paternal, maternal = split_surnames(words)
    if not given and comma:
        given = _words(after)
    return given, paternal, maternal


def _date_parts(value: str | None) -> tuple[str | None, str | None, int | None]:
    """(full date unless 1 January, the same with day and month swapped, year)."""
    match = _DATE.match(value.strip()) if value else None
    if match is None:
        return None, None, None
    year, month, day = match.group(1), match.group(2), match.group(3)
    if month is None or day is None or (month, day) == ("01", "01"):
        return None, None, int(year)
    full = f"{year}-{month}-{day}"
    swapped = f"{year}-{day}-{month}" if int(day) <= 12 and day != month else None
    return full, swapped, int(year)


def _place(value: str | None, parts_kept: int) -> str | None:
    parts = [clean(p) for p in (value or "").split(",")]
    kept = " ".join(p for p in parts[:parts_kept] if p)
    return kept or None


def _ids(props: dict[str, list[str]]) -> list[str] | None:
    found = sorted({re.sub(r"[^a-z0-9]", "", v.lower()) for key in ("idNumber", "passportNumber")
                    for v in props.get(key, []) if isinstance(v, str)} - {""})
    return found or None


def person_row(entity: dict[str, Any], surnames_first: bool = False) -> dict[str, Any]:
    """One FtM Person entity as the flat row Splink compares."""
    props: dict[str, list[str]] = entity.get("properties") or {}
    given, paternal, maternal = split_name(props, surnames_first)
    # An alias "Ernesto Solís" is another (first name, surname) to block on; a nickname alone
    # ("El Flaco") would put every such record in one block, so only two-word aliases count.
    variants = {f"{w[0]} {w[-1]}" for value in props.get("alias", []) if isinstance(value, str)
                for w in [[x for x in _words(value) if x not in NOT_NAMES]] if len(w) >= 2}
    dates = [_date_parts(v) for v in props.get("birthDate", [])]
    full = next((d for d in dates if d[0]), None)
    year = next((d[2] for d in dates if d[2] is not None), None)
    first = given[0] if given else None
    gender = clean(_first(props, "gender")) or None
    nationality = clean(_first(props, "nationality")) or None
    return {
        "unique_id": str(entity["id"]),
        "first_name": first,
        "middle_name": " ".join(given[1:]) or None,
        "surname": paternal,
        "surname_2": maternal,
        "first_name_surname_concat": f"{first} {paternal}" if first and paternal else None,
        "name_variants": sorted(variants | ({f"{first} {paternal}"} if first and paternal
                                            else set())) or None,
        "dob": full[0] if full else None,
        "dob_swapped": full[1] if full else None,
        "birth_year": year,
        "gender": gender,
        "nationality": nationality,
        "birth_place": _place(_first(props, "birthPlace"), 1),
        "address": _place(_first(props, "address"), 2),
        "ids": _ids(props),
        "phone": re.sub(r"[^0-9]", "", _first(props, "phone") or "") or None,
        "birth_country": clean(_first(props, "birthCountry")) or None,
    }


def read_entities(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def flatten(files: Iterable[Path], surnames_first: Iterable[str] = ()) -> Any:
    """All files' Person entities as one pandas frame with COLUMNS; `surnames_first` names the
    files (by stem) whose bare names put the surnames first, as the user saw in the data."""
    import pandas as pd

    first = set(surnames_first)
    rows = [person_row(e, path.stem in first) for path in files for e in read_entities(path)]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return frame.astype({"birth_year": "Int64"})
