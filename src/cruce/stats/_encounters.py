"""Border encounter statistics: the public CBP "Nationwide Encounters" layout, imported whole.

The file has one row per fiscal year, month, component, land border region, area of
responsibility, demographic, citizenship, title of authority and encounter type, with its
count. What each row counts follows from its authority and component:

    Title 8  + U.S. Border Patrol          -> apprehensions (between ports of entry)
    Title 8  + Office of Field Operations  -> inadmissibles (at ports of entry)
    Title 42 (either component)            -> expulsions (March 2020 - May 2023)
    encounters                             =  all of them

A file is imported in one transaction: every bad row is named (`FILE:LINE: field 'X': why`)
and nothing is written unless every row reads. CBP revises its figures every month until a
fiscal year closes, so a newer file supersedes an older one: the figures a file holds for a
fiscal year and land border region replace whatever the store held for that fiscal year and
region. Re-importing the same file leaves the store as it was; nothing is ever counted twice.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cruce.errors import InvalidInput
from cruce.stats._statstore import StatStore

# The layout's header names (compared without case, BOM or repeated spaces) -> column names.
COLUMNS = {
    "Fiscal Year": "fiscal_year",
    "Month Grouping": "month_grouping",
    "Month (abbv)": "month_abbv",
    "Component": "component",
    "Land Border Region": "region",
    "Area of Responsibility": "aor",
    "AOR (Abbv)": "aor_abbv",
    "Demographic": "demographic",
    "Citizenship": "citizenship",
    "Title of Authority": "authority",
    "Encounter Type": "encounter_type",
    "Encounter Count": "encounter_count",
}
REQUIRED_TEXT = ("Land Border Region", "Area of Responsibility", "Demographic", "Citizenship")
BORDER_PATROL = "U.S. Border Patrol"
FIELD_OPERATIONS = "Office of Field Operations"
_COMPONENTS = {"u.s. border patrol": BORDER_PATROL, "us border patrol": BORDER_PATROL,
               "border patrol": BORDER_PATROL, "usbp": BORDER_PATROL,
               "office of field operations": FIELD_OPERATIONS, "ofo": FIELD_OPERATIONS}
# Title 42 expulsions ran from the order of 20 March 2020 to its end on 11 May 2023.
TITLE_42_MONTHS = ("2020-03", "2023-05")
MONTH_NAMES = ("JANUARY", "FEBRUARY", "MARCH", "APRIL", "MAY", "JUNE", "JULY", "AUGUST",
               "SEPTEMBER", "OCTOBER", "NOVEMBER", "DECEMBER")
MAX_PROBLEMS = 20  # bad rows listed one by one; the rest are counted

ENCOUNTER_TABLES = (
    """CREATE TABLE IF NOT EXISTS encounter_counts (
        fiscal_year INTEGER NOT NULL, month TEXT NOT NULL, month_grouping TEXT,
        component TEXT NOT NULL, region TEXT NOT NULL, aor TEXT NOT NULL, aor_abbv TEXT,
        demographic TEXT NOT NULL, citizenship TEXT NOT NULL, authority TEXT NOT NULL,
        encounter_type TEXT NOT NULL, measure TEXT NOT NULL, encounter_count BIGINT NOT NULL,
        is_fytd BOOLEAN NOT NULL, import_id INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS encounter_imports (
        import_id INTEGER PRIMARY KEY, file TEXT NOT NULL, sha256 TEXT NOT NULL,
        imported_at TIMESTAMP NOT NULL DEFAULT current_timestamp, row_count INTEGER NOT NULL,
        slices TEXT NOT NULL, replaced_rows INTEGER NOT NULL)""",
)
_STORED = ("fiscal_year", "month", "month_grouping", "component", "region", "aor", "aor_abbv",
           "demographic", "citizenship", "authority", "encounter_type", "measure",
           "encounter_count", "is_fytd", "import_id")


class BadEncounterFile(InvalidInput):
    """An encounters file with rows that cannot be read; `problems` names each one."""

    def __init__(self, file: str, problems: list[str], bad_rows: int) -> None:
        shown = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"{file}: ... and {len(problems) - MAX_PROBLEMS} more problems")
        rows = "1 bad row" if bad_rows == 1 else f"{bad_rows} bad rows"
        super().__init__(f"{file}: {rows}; nothing imported")
        self.problems = shown


@dataclass(frozen=True)
class EncounterRow:
    line: int
    fiscal_year: int
    month: str  # calendar month, YYYY-MM
    month_grouping: str
    component: str
    region: str
    aor: str
    aor_abbv: str
    demographic: str
    citizenship: str
    authority: str
    encounter_type: str
    measure: str
    encounter_count: int
    is_fytd: bool

    def key(self) -> tuple[str, ...]:
        return (self.month, self.component, self.region, self.aor, self.demographic,
                self.citizenship, self.authority, self.encounter_type)


@dataclass(frozen=True)
class ImportResult:
    file: str
    rows: int
    fiscal_years: tuple[int, ...]
    regions: tuple[str, ...]
    replaced_rows: int
    is_same_file_again: bool


def import_encounters(store: StatStore, path: str | Path) -> ImportResult:
    """Read a Nationwide Encounters CSV and store it, replacing the fiscal years and regions it
    holds, in one transaction.

        >>> result = import_encounters(store, "sw_encounters_fy19.csv")  # doctest: +SKIP
        >>> result.rows, result.fiscal_years  # doctest: +SKIP
        (2310, (2019,))
    """
    path = Path(path)
    data = path.read_bytes()
    rows = read_encounters(path.name, data)
    digest = hashlib.sha256(data).hexdigest()
    slices = sorted({(row.fiscal_year, row.region) for row in rows})
    store.ensure_tables(*ENCOUNTER_TABLES)
    with store.transaction():
        again = bool(store.query("SELECT 1 FROM encounter_imports WHERE sha256 = ?", [digest]))
        replaced = _delete_slices(store, slices)
        [(import_id,)] = store.query(
            "SELECT coalesce(max(import_id), 0) + 1 FROM encounter_imports")
        store.insert_rows("encounter_counts", _STORED, [_stored(row, import_id) for row in rows])
        store.execute(
            "INSERT INTO encounter_imports (import_id, file, sha256, row_count, slices, "
            "replaced_rows) VALUES (?, ?, ?, ?, ?, ?)",
            [import_id, str(path), digest, len(rows), json.dumps(slices), replaced])
    return ImportResult(str(path), len(rows), tuple(sorted({fy for fy, _ in slices})),
                        tuple(sorted({region for _, region in slices})), replaced, again)


def _delete_slices(store: StatStore, slices: list[tuple[int, str]]) -> int:
    replaced = 0
    for fiscal_year, region in slices:
        where = "WHERE fiscal_year = ? AND region = ?"
        [(n,)] = store.query(f"SELECT count(*) FROM encounter_counts {where}",
                             [fiscal_year, region])
        store.execute(f"DELETE FROM encounter_counts {where}", [fiscal_year, region])
        replaced += n
    return replaced


def _stored(row: EncounterRow, import_id: int) -> tuple[object, ...]:
    return (row.fiscal_year, row.month, row.month_grouping, row.component, row.region, row.aor,
            row.aor_abbv, row.demographic, row.citizenship, row.authority,
            row.encounter_type, row.measure, row.encounter_count, row.is_fytd, import_id)


def read_encounters(file: str, data: bytes) -> list[EncounterRow]:
    """Every row of the file, or `BadEncounterFile` naming every bad one (nothing partial)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{file}: byte {exc.start}: not UTF-8 text; save the file as "
                           "UTF-8 CSV") from None
    reader = csv.reader(text.splitlines(keepends=True))
    header = next(reader, None)
    if header is None:
        raise InvalidInput(f"{file}: empty file; expected the Nationwide Encounters header")
    positions = _header_positions(file, header)
    rows: list[EncounterRow] = []
    problems: list[str] = []
    bad_lines: set[int] = set()
    seen: dict[tuple[str, ...], int] = {}
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # a blank line (spreadsheets leave them at the end)
        fields = {name: cells[i].strip() if i < len(cells) else "" for name, i in positions.items()}
        row_problems: list[str] = []
        row = _read_row(line, fields, row_problems)
        if row is not None and row.key() in seen:
            row_problems.append(f"duplicates line {seen[row.key()]} (same month, component, "
                                "region, area, demographic, citizenship, authority and type)")
        if row_problems:
            problems += [f"{file}:{line}: {why}" for why in row_problems]
            bad_lines.add(line)
        elif row is not None:
            seen[row.key()] = line
            rows.append(row)
    if problems:
        raise BadEncounterFile(file, problems, len(bad_lines))
    return rows


def _header_positions(file: str, header: list[str]) -> dict[str, int]:
    wanted = {_folded(name): name for name in COLUMNS}
    found = {wanted[_folded(cell)]: i for i, cell in reversed(list(enumerate(header)))
             if _folded(cell) in wanted}
    missing = [name for name in COLUMNS if name not in found]
    if missing:
        raise InvalidInput(f"{file}:1: missing column{'s' if len(missing) > 1 else ''} "
                           f"{', '.join(repr(m) for m in missing)}; expected the Nationwide "
                           f"Encounters layout: {', '.join(COLUMNS)}")
    return found


def _folded(text: str) -> str:
    return " ".join(text.replace("\ufeff", "").split()).casefold()


def _read_row(line: int, fields: dict[str, str], problems: list[str]) -> EncounterRow | None:
    def bad(field: str, why: str) -> None:
        problems.append(f"field {field!r}: {why}")

    fiscal = _fiscal_year(fields["Fiscal Year"])
    if fiscal is None:
        bad("Fiscal Year", f"{fields['Fiscal Year']!r} is not a fiscal year (2019, "
                           "'2019 (FYTD)' or FY2019)")
    month_number = _month_number(fields["Month (abbv)"])
    if month_number is None:
        bad("Month (abbv)", f"{fields['Month (abbv)']!r} is not a month (JAN ... DEC)")
    component = _COMPONENTS.get(_folded(fields["Component"]))
    if component is None:
        bad("Component", f"{fields['Component']!r} is neither {BORDER_PATROL!r} nor "
                         f"{FIELD_OPERATIONS!r}")
    authority = _authority(fields["Title of Authority"])
    if authority is None:
        bad("Title of Authority", f"{fields['Title of Authority']!r} is neither 'Title 8' "
                                  "nor 'Title 42'")
    count = _count(fields["Encounter Count"], lambda why: bad("Encounter Count", why))
    for name in REQUIRED_TEXT:
        if not fields[name]:
            bad(name, "missing")
    if fiscal is None or month_number is None or component is None or authority is None \
            or count is None or problems:
        return None
    month = calendar_month(fiscal[0], month_number)
    measure = measure_of(authority, component)
    if authority == "Title 42" and not TITLE_42_MONTHS[0] <= month <= TITLE_42_MONTHS[1]:
        bad("Title of Authority", f"Title 42 in {month}: Title 42 expulsions ran from "
                                  f"{TITLE_42_MONTHS[0]} to {TITLE_42_MONTHS[1]} only")
    encounter_type = " ".join(fields["Encounter Type"].split())
    if _folded(encounter_type).rstrip("s") != measure.rstrip("s"):
        bad("Encounter Type", f"{encounter_type!r} under {authority} + {component}; expected "
                              f"{measure.capitalize()!r}")
    if problems:
        return None
    return EncounterRow(
        line, fiscal[0], month, fields["Month Grouping"], component,
        " ".join(fields["Land Border Region"].split()),
        " ".join(fields["Area of Responsibility"].split()), fields["AOR (Abbv)"],
        " ".join(fields["Demographic"].split()), " ".join(fields["Citizenship"].split()),
        authority, encounter_type, measure, count,
        fiscal[1] or _folded(fields["Month Grouping"]) == "fytd")


_FISCAL_YEAR = re.compile(r"(?:FY\s*)?(\d{4})\s*(\(\s*FYTD\s*\)|FYTD)?", re.IGNORECASE)
_SHORT_FISCAL_YEAR = re.compile(r"FY\s*(\d{2})\s*(\(\s*FYTD\s*\)|FYTD)?", re.IGNORECASE)


def _fiscal_year(text: str) -> tuple[int, bool] | None:
    """(year, is_fytd): '2019', '2019 (FYTD)', 'FY2019', 'FY 19', 'FY19 FYTD'."""
    full = _FISCAL_YEAR.fullmatch(text)
    short = _SHORT_FISCAL_YEAR.fullmatch(text)
    if full:
        year, fytd = int(full[1]), full[2]
    elif short:
        year, fytd = 2000 + int(short[1]), short[2]
    else:
        return None
    return (year, fytd is not None) if 1990 <= year <= 2100 else None


def _month_number(text: str) -> int | None:
    word = text.strip().upper()
    if len(word) < 3:
        return None
    for number, full in enumerate(MONTH_NAMES, start=1):
        if full.startswith(word.rstrip(".")):  # JAN, Jan., January, Sept
            return number
    return None


def calendar_month(fiscal_year: int, month_number: int) -> str:
    """The calendar month of a fiscal year's month: October to December fall in the year before
    (fiscal year 2019 runs from October 2018 to September 2019).

        >>> calendar_month(2019, 10), calendar_month(2019, 2)
        ('2018-10', '2019-02')
    """
    year = fiscal_year - 1 if month_number >= 10 else fiscal_year
    return f"{year:04d}-{month_number:02d}"


def fiscal_year_of(month: str) -> int:
    """The fiscal year a calendar month falls in.

    >>> fiscal_year_of('2018-10'), fiscal_year_of('2019-09')
    (2019, 2019)
    """
    year, number = int(month[:4]), int(month[5:7])
    return year + 1 if number >= 10 else year


def _authority(text: str) -> str | None:
    found = re.fullmatch(r"title\s*(8|42)", _folded(text))
    return f"Title {found[1]}" if found else None


def measure_of(authority: str, component: str) -> str:
    if authority == "Title 42":
        return "expulsions"
    return "apprehensions" if component == BORDER_PATROL else "inadmissibles"


_WHOLE = re.compile(r"\d+|\d{1,3}(?:([,\u00a0\u202f ])\d{3})(?:\1\d{3})*")


def _count(text: str, bad: Callable[[str], None]) -> int | None:
    """A whole number, with or without thousands separators ('9,653', '9 653')."""
    if not text:
        bad("missing")
        return None
    if text.startswith("-") and _WHOLE.fullmatch(text[1:]):
        bad(f"{text!r} is negative; a count is 0 or more")
        return None
    if not _WHOLE.fullmatch(text):
        bad(f"{text!r} is not a whole number")
        return None
    return int(re.sub(r"\D", "", text))
