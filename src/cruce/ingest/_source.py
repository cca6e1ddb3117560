"""Loading a tabular file into the staging database, and finding a record's physical line."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from cruce.errors import InvalidInput, InvalidMapping
from cruce.ingest._clean import quote, whitespace_sql


def load_source(
    con: duckdb.DuckDBPyConnection, path: Path, sheet: str | None, columns: Iterable[str]
) -> int:
    """Create table `src` (_row + the used columns, white space folded); returns the row count."""
    if not path.exists():
        raise InvalidInput(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        con.register("raw", _read_xlsx(path, sheet))
        source = "raw"
    elif suffix in (".csv", ".tsv", ".txt"):
        source = f"read_csv({_lit(str(path))}, all_varchar = true, header = true)"
    else:
        raise InvalidInput(
            f"{path}: cannot ingest {suffix or 'a file without extension'} "
            "through a mapping (use .csv or .xlsx)"
        )
    header = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
    wanted = sorted(set(columns))
    missing = [c for c in wanted if c not in header]
    if missing:
        raise InvalidMapping(
            f"{path}: the mapping uses column {missing[0]!r}, which the file "
            f"does not have (columns: {', '.join(header)})"
        )
    cols = ", ".join(f"{whitespace_sql(c)} AS {quote(c)}" for c in wanted)
    con.execute(f"CREATE TABLE src AS SELECT row_number() OVER () AS _row, {cols} FROM {source}")
    rows = con.execute("SELECT count(*) FROM src").fetchall()[0]
    return int(rows[0]) if rows else 0


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


def read_rows(path: Path, rows: set[int]) -> dict[int, dict[str, str]]:
    """The original values of some records (for a rejects file)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        table = _read_xlsx(path, None).to_pylist()
        return {r: {k: v or "" for k, v in table[r - 1].items()} for r in rows}
    found: dict[int, dict[str, str]] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for number, row in enumerate(csv.DictReader(fh), start=1):
            if number in rows:
                found[number] = row
    return found


def _read_xlsx(path: Path, sheet: str | None) -> pa.Table:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = book[sheet] if sheet else book.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = [
            str(h).strip() if h is not None else f"column_{i}" for i, h in enumerate(next(rows))
        ]
        data: list[list[str | None]] = [[] for _ in header]
        for row in rows:
            if all(v is None for v in row):
                continue
            for i in range(len(header)):
                data[i].append(_cell(row[i] if i < len(row) else None))
    finally:
        book.close()
    return pa.table({h: pa.array(col, pa.string()) for h, col in zip(header, data, strict=True)})


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
