"""Loading a tabular file into the staging database, and finding a record's physical line.

A CSV file reaches DuckDB as UTF-8 with bounded lines (`_encoding.readable_csv` checks or
transcodes it first); an XLSX sheet is streamed row by row with caps on its rows and columns,
keeping only the columns the mapping uses.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from cruce.errors import InvalidInput, InvalidMapping
from cruce.ingest._clean import quote, whitespace_sql

MAX_COLUMNS = 1024  # a police export has tens of columns; Excel allows 16,384
MAX_ROWS = 1_048_576  # Excel's own limit on a sheet
_DUCKDB_LINE = re.compile(r"\bline:? (\d+)", re.IGNORECASE)


def load_source(
    con: duckdb.DuckDBPyConnection, path: Path, sheet: str | None, columns: Iterable[str]
) -> int:
    """Create table `src` (_row + the used columns, white space folded); returns the row count."""
    if not path.exists():
        raise InvalidInput(f"{path}: no such file")
    wanted = sorted(set(columns))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        con.register("raw", _read_xlsx(path, sheet, set(wanted)))
        source = "raw"
    elif suffix in (".csv", ".tsv", ".txt"):
        source = f"read_csv({_lit(str(path))}, all_varchar = true, header = true)"
    else:
        raise InvalidInput(
            f"{path}: cannot ingest {suffix or 'a file without extension'} "
            "through a mapping (use .csv or .xlsx)"
        )
    try:
        header = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
        _check_header(path, header, wanted)
        cols = ", ".join(f"{whitespace_sql(c)} AS {quote(c)}" for c in wanted)
        con.execute(
            f"CREATE TABLE src AS SELECT row_number() OVER () AS _row, {cols} FROM {source}"
        )
    except duckdb.Error as exc:
        raise _unreadable(path, exc) from None
    rows = con.execute("SELECT count(*) FROM src").fetchall()[0]
    return int(rows[0]) if rows else 0


def _check_header(path: Path, header: list[str], wanted: list[str]) -> None:
    if len(header) > MAX_COLUMNS:
        raise InvalidInput(f"{path}: has {len(header)} columns; cruce reads at most {MAX_COLUMNS}")
    missing = [c for c in wanted if c not in header]
    if missing:
        shown = ", ".join(h[:40] for h in header[:50])
        raise InvalidMapping(
            f"{path}: the mapping uses column {missing[0]!r}, which the file "
            f"does not have (columns: {shown})"
        )


def _unreadable(path: Path, exc: duckdb.Error) -> InvalidInput:
    # DuckDB's message quotes the offending data and its own internals: name the line only.
    found = _DUCKDB_LINE.search(str(exc))
    where = f" near line {found.group(1)}" if found else ""
    return InvalidInput(
        f"{path}: cannot be read as CSV{where} (check its delimiter, quoting and that every "
        "row has the header's columns)"
    )


def physical_lines(path: Path, rows: set[int]) -> dict[int, int]:
    """Map record numbers (1-based, after the header) to the line they start on."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return {row: row + 1 for row in rows}
    found: dict[int, int] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        start = reader.line_num + 1
        for number, _ in enumerate(reader, start=1):
            if number in rows:
                found[number] = start
                if len(found) == len(rows):
                    break
            start = reader.line_num + 1
    return found


def read_rows(path: Path, rows: set[int], sheet: str | None = None) -> dict[int, dict[str, str]]:
    """The original values of some records (for a rejects file)."""
    found: dict[int, dict[str, str]] = {}
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        header, cells = _xlsx_rows(path, sheet, None)
        for number, values in enumerate(cells, start=1):
            if number in rows:
                found[number] = {h: v or "" for h, v in zip(header, values, strict=True)}
        return found
    with path.open(newline="", encoding="utf-8") as fh:
        for number, row in enumerate(csv.DictReader(fh), start=1):
            if number in rows:
                found[number] = row
    return found


def _read_xlsx(path: Path, sheet: str | None, wanted: set[str] | None) -> pa.Table:
    header, rows = _xlsx_rows(path, sheet, wanted)
    data: list[list[str | None]] = [[] for _ in header]
    for row in rows:
        for column, value in zip(data, row, strict=True):
            column.append(value)
    return pa.table({h: pa.array(col, pa.string()) for h, col in zip(header, data, strict=True)})


def _xlsx_rows(
    path: Path, sheet: str | None, wanted: set[str] | None
) -> tuple[list[str], Iterator[list[str | None]]]:
    """The header (only the `wanted` columns, if given) and the non-empty rows, streamed."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises zipfile, KeyError and XML errors alike for a bad file
        raise InvalidInput(f"{path}: is not an XLSX workbook that can be read") from None
    if sheet is not None and sheet not in book.sheetnames:
        book.close()
        raise InvalidMapping(f"{path}: has no sheet {sheet!r}")
    ws = book[sheet] if sheet else book.worksheets[0]
    first = list(next(ws.iter_rows(max_row=1, values_only=True), ()))
    while first and first[-1] is None:
        first.pop()
    if len(first) > MAX_COLUMNS:
        book.close()
        raise InvalidInput(f"{path}: has {len(first)} columns; cruce reads at most {MAX_COLUMNS}")
    names = [str(h).strip() if h is not None else f"column_{i}" for i, h in enumerate(first)]
    keep = [i for i, name in enumerate(names) if wanted is None or name in wanted]
    return [names[i] for i in keep], _xlsx_data(book, ws, path, len(names), keep)


def _xlsx_data(book: Any, ws: Any, path: Path, width: int, keep: list[int]
               ) -> Iterator[list[str | None]]:
    try:
        # max_col bounds every row to the header's width, whatever the sheet's dimension says.
        for number, row in enumerate(ws.iter_rows(min_row=2, max_col=max(width, 1),
                                                  values_only=True), start=1):
            if number > MAX_ROWS:
                raise InvalidInput(f"{path}: has more than {MAX_ROWS} rows")
            if all(v is None for v in row):
                continue
            yield [_cell(row[i]) if i < len(row) else None for i in keep]
    finally:
        book.close()


def _cell(value: object) -> str | None:
    # Excel dates arrive typed: write them as ISO dates, which every date column accepts.
    if value is None:
        return None
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
