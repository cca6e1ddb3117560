"""Flow monitoring: daily headcounts of movements at monitoring points, aggregate only.

As IOM's Displacement Tracking Matrix does it: a partner counts the people passing a monitoring
point on a day, by direction and aggregate demographics, and nothing else. A flow file is a CSV
with exactly these columns (any order; `nationality_group` and `families` may be left out):

    date               YYYY-MM-DD, the day counted
    point              the monitoring point (e.g. "Tecún Umán")
    corridor           the corridor the point lies on (e.g. "Guatemala–Mexico")
    direction          inbound | outbound | transit
    nationality_group  an aggregate group (e.g. "Honduras", "Venezuela", "other"); default "all"
    adults, minors     people counted, whole numbers >= 0
    families           family groups among them (<= adults + minors)

No column may hold personal data: a column whose name looks like a name, an id, a document,
a birth date or a contact is refused outright, and so is any column not listed above, so
nothing personal can be stored by mistake. A file is one transaction: one bad row and nothing
of it is written. A row replaces an earlier report of the same day, point, direction and
nationality group (a corrected count), so importing a file twice counts it once.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cruce.errors import InvalidInput, NotFound
from cruce.stats._statstore import StatStore

DIRECTIONS = ("inbound", "outbound", "transit")
_DIRECTION_WORDS = {"inbound": "inbound", "entrada": "inbound", "outbound": "outbound",
                    "salida": "outbound", "transit": "transit", "transito": "transit",
                    "tránsito": "transit"}
REQUIRED = ("date", "point", "corridor", "direction", "adults", "minors")
OPTIONAL = ("nationality_group", "families")
COLUMNS = REQUIRED + OPTIONAL
MAX_ERRORS = 10
MAX_TEXT = 80
_Bad = Callable[[str, str], "FlowFileError"]  # names the field of a row and says why

# Column names that would carry a person, not a count (English and Spanish): refused by name.
_PERSONAL = re.compile(
    r"(^|_)(name|names|nombre|nombres|apellido|apellidos|surname|first|last|alias|id|ids|"
    r"dni|cui|curp|dui|passport|pasaporte|document|documento|a_number|phone|telefono|"
    r"teléfono|email|correo|address|direccion|dirección|birth|dob|nacimiento|"
    r"fecha_nacimiento|age|edad|sex|sexo|gender|plate|placa)($|_)")

FLOW_TABLES = (
    """CREATE TABLE IF NOT EXISTS flow_counts (
        day DATE NOT NULL,
        point VARCHAR NOT NULL,
        corridor VARCHAR NOT NULL,
        direction VARCHAR NOT NULL,
        nationality_group VARCHAR NOT NULL,
        adults INTEGER NOT NULL,
        minors INTEGER NOT NULL,
        families INTEGER NOT NULL,
        source VARCHAR NOT NULL,
        PRIMARY KEY (day, point, direction, nationality_group))""",
    # A file's rows wait here inside its transaction, then replace the counts they correct.
    """CREATE TABLE IF NOT EXISTS flow_incoming (
        day DATE, point VARCHAR, corridor VARCHAR, direction VARCHAR,
        nationality_group VARCHAR, adults INTEGER, minors INTEGER, families INTEGER)""",
    """CREATE TABLE IF NOT EXISTS flow_imports (
        source VARCHAR NOT NULL,
        imported_at TIMESTAMP NOT NULL,
        rows_read INTEGER NOT NULL)""",
)


@dataclass(frozen=True, slots=True)
class FlowCount:
    """One day's headcount at one point, in one direction, for one nationality group."""

    day: dt.date
    point: str
    corridor: str
    direction: str
    nationality_group: str
    adults: int
    minors: int
    families: int

    @property
    def people(self) -> int:
        return self.adults + self.minors


@dataclass(frozen=True, slots=True)
class FlowImport:
    """What an import wrote: rows read, of which replaced an earlier report, and the span."""

    rows: int
    replaced: int
    first_day: dt.date | None
    last_day: dt.date | None


class FlowFileError(InvalidInput):
    """A flow file cannot be imported; names each bad row's line and field."""


def read_flow_file(path: Path, source: str | None = None) -> list[FlowCount]:
    """Parse and check a flow CSV whole: every bad row is named (up to ten), none is kept.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "f.csv"
    >>> _ = p.write_text("date,point,corridor,direction,adults,minors\\n"
    ...                  "2026-11-02,Tecún Umán,GT-MX,inbound,40,12\\n")
    >>> read_flow_file(p)[0].people
    52
    """
    label = source or path.name
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            raise FlowFileError(f"{label}: the file is empty (expected a header: "
                                f"{', '.join(REQUIRED)})")
        columns = _check_header(label, [h.strip().lower() for h in header])
        counts: list[FlowCount] = []
        errors: list[str] = []
        seen: dict[tuple[object, ...], int] = {}
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            try:
                count = _parse_row(f"{label}:{line}", columns, row)
            except FlowFileError as exc:
                errors.append(exc.message)
                continue
            key = (count.day, count.point, count.direction, count.nationality_group)
            if key in seen:
                errors.append(f"{label}:{line}: the same day, point, direction and nationality "
                              f"group as line {seen[key]} (one count each)")
            seen.setdefault(key, line)
            counts.append(count)
    if errors:
        more = f"\n({len(errors) - MAX_ERRORS} more bad rows)" if len(errors) > MAX_ERRORS else ""
        raise FlowFileError("\n".join(errors[:MAX_ERRORS]) + more + "\nnothing was imported")
    return counts


def counts_from_rows(label: str, items: list[dict[str, object]], numbered_from: int = 0
                     ) -> list[FlowCount]:
    """Counts given as objects (the API's JSON), checked as a file's rows are: every bad one
    named `label[i]` (up to ten), none kept."""
    names = sorted({str(k).strip().lower() for item in items for k in item})
    columns = _check_header(label, [n for n in COLUMNS if n in names] +
                            [n for n in names if n not in COLUMNS])
    counts: list[FlowCount] = []
    errors: list[str] = []
    seen: set[tuple[dt.date, str, str, str]] = set()
    for i, item in enumerate(items, start=numbered_from):
        row = [""] * len(columns)
        for key, value in item.items():
            row[columns[str(key).strip().lower()]] = "" if value is None else str(value)
        try:
            count = _parse_row(f"{label}[{i}]", columns, row)
        except FlowFileError as exc:
            errors.append(exc.message)
            continue
        same = (count.day, count.point, count.direction, count.nationality_group)
        if same in seen:
            errors.append(f"{label}[{i}]: the same day, point, direction and nationality group "
                          "as an earlier count (one count each)")
        seen.add(same)
        counts.append(count)
    if errors:
        more = f"\n({len(errors) - MAX_ERRORS} more bad counts)" if len(errors) > MAX_ERRORS else ""
        raise FlowFileError("\n".join(errors[:MAX_ERRORS]) + more + "\nnothing was stored")
    return counts


def _check_header(label: str, header: list[str]) -> dict[str, int]:
    for name in header:
        if _PERSONAL.search(name):
            raise FlowFileError(
                f"{label}:1: column {name!r} looks like personal data: flow files hold "
                "aggregate headcounts only (remove the column)")
    unknown = [n for n in header if n not in COLUMNS]
    if unknown:
        raise FlowFileError(f"{label}:1: unknown column {unknown[0]!r} (a flow file has "
                            f"{', '.join(COLUMNS)})")
    missing = [n for n in REQUIRED if n not in header]
    if missing:
        raise FlowFileError(f"{label}:1: missing column {missing[0]!r} (required: "
                            f"{', '.join(REQUIRED)})")
    if len(set(header)) != len(header):
        raise FlowFileError(f"{label}:1: a column appears twice")
    return {name: i for i, name in enumerate(header)}


def _parse_row(where: str, columns: dict[str, int], row: list[str]) -> FlowCount:
    def cell(name: str) -> str:
        i = columns.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    def bad(name: str, why: str) -> FlowFileError:
        return FlowFileError(f"{where}: field {name!r}: {why}")

    try:
        day = dt.date.fromisoformat(cell("date"))
    except ValueError:
        raise bad("date", f"{cell('date')!r} is not a date YYYY-MM-DD") from None
    direction = _DIRECTION_WORDS.get(cell("direction").lower())
    if direction is None:
        raise bad("direction", f"{cell('direction')!r} is not one of {', '.join(DIRECTIONS)}")
    texts = {n: _text(cell(n), bad, n) for n in ("point", "corridor")}
    group = _text(cell("nationality_group") or "all", bad, "nationality_group")
    adults, minors = _whole(cell("adults"), bad, "adults"), _whole(cell("minors"), bad, "minors")
    families = _whole(cell("families") or "0", bad, "families")
    if families > adults + minors:
        raise bad("families", f"{families} family groups among {adults + minors} people")
    return FlowCount(day, texts["point"], texts["corridor"], direction, group, adults, minors,
                     families)


def _text(value: str, bad: _Bad, name: str) -> str:
    if not value:
        raise bad(name, "empty")
    if len(value) > MAX_TEXT:
        raise bad(name, f"longer than {MAX_TEXT} characters")
    return value


def _whole(value: str, bad: _Bad, name: str) -> int:
    digits = value.replace(",", "").replace("_", "")
    if not digits.isdigit():
        raise bad(name, f"{value!r} is not a whole number >= 0")
    return int(digits)


@contextmanager
def flow_store(db: Path, *, create: bool = False) -> Iterator[StatStore]:
    """The statistics store with its flow tables (`flow_*`), created when asked and missing."""
    if not db.exists() and not create:
        raise NotFound(f"no statistics store at {db}: check --db, or create it with "
                       f"cruce flows import FILE.csv --db {db}")
    with StatStore.open(db, create=create) as store:
        store.ensure_tables(*FLOW_TABLES)
        yield store


def import_flows(path: Path, db: Path) -> FlowImport:
    """Check a flow file whole, then write it in one transaction (creating the store)."""
    counts = read_flow_file(path)
    with flow_store(db, create=True) as store, store.transaction():
        replaced = _write(store, counts, path.name)
        store.execute("INSERT INTO flow_imports VALUES (?, now(), ?)", [path.name, len(counts)])
    days = [c.day for c in counts]
    return FlowImport(len(counts), replaced, min(days, default=None), max(days, default=None))


_FIELDS = ("day", "point", "corridor", "direction", "nationality_group", "adults", "minors",
           "families")
_SAME_KEY = ("f.day = i.day AND f.point = i.point AND f.direction = i.direction "
             "AND f.nationality_group = i.nationality_group")


def _write(store: StatStore, counts: list[FlowCount], source: str) -> int:
    store.execute("DELETE FROM flow_incoming")
    store.insert_rows("flow_incoming", _FIELDS,
                      [tuple(getattr(c, name) for name in _FIELDS) for c in counts])
    replaced = len(store.query(f"SELECT 1 FROM flow_counts f JOIN flow_incoming i ON {_SAME_KEY}"))
    store.execute(f"DELETE FROM flow_counts f USING flow_incoming i WHERE {_SAME_KEY}")
    store.execute(f"INSERT INTO flow_counts SELECT {', '.join(_FIELDS)}, ? FROM flow_incoming",
                  [source])
    store.execute("DELETE FROM flow_incoming")
    return replaced


def read_flows(store: StatStore, since: dt.date | None = None) -> list[FlowCount]:
    """Every stored count (from `since` on), ordered by day, point, direction and group."""
    where, params = ("WHERE day >= ?", [since]) if since else ("", [])
    rows = store.query(
        f"SELECT {', '.join(_FIELDS)} FROM flow_counts {where} "
        "ORDER BY day, point, direction, nationality_group", params)
    return [FlowCount(*row) for row in rows]


__all__ = ["DIRECTIONS", "FlowCount", "FlowFileError", "FlowImport", "counts_from_rows",
           "flow_store", "import_flows", "read_flow_file", "read_flows"]
