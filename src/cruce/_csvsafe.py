"""CSV cells that a spreadsheet cannot run as formulas (OWASP "CSV injection").

Every CSV file cruce writes (link pairs and clusters, review files, rejects, audit exports) may
be opened by an analyst in Excel or LibreOffice. A cell whose text starts with `=`, `+`, `-`,
`@`, a tab or a carriage return is read there as a formula (`=HYPERLINK(...)`, `=cmd|...`), so
case data chosen by whoever wrote a record could run on the analyst's machine. Such a cell is
written with a leading `'`, which spreadsheets show as text and never evaluate; an id like
`-abc` gets the same treatment (the quote is visible, the id is not silently changed into a
number or a formula). Reading the file back with `unsafe_cell` restores the value.

    >>> safe_cell("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> safe_cell("-abc"), safe_cell("Ana"), safe_cell("")
    ("'-abc", 'Ana', '')
    >>> import io
    >>> buf = io.StringIO()
    >>> csv_writer(buf).writerow(["@SUM(A1)", "ok", 0.5])
    >>> buf.getvalue()
    "'@SUM(A1),ok,0.5\\r\\n"
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from cruce._files import private_file

# The first characters a spreadsheet treats as the start of a formula (OWASP list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """The text to write in a CSV cell so that no spreadsheet evaluates it."""
    return "'" + value if _is_armed(value) else value


def unsafe_cell(value: str) -> str:
    """The original value of a cell written by `safe_cell` (for cruce reading its own files)."""
    return value[1:] if value.startswith("'") and _is_armed(value[1:]) else value


def _is_armed(value: str) -> bool:
    # A value that already starts with quotes before a formula character (`'=x`) gets one more,
    # so that `unsafe_cell` can tell it from a neutralised `=x` and every value reads back.
    return value.lstrip("'").startswith(FORMULA_STARTS)


def _cell(value: object) -> object:
    # Numbers and None stay as they are (a negative probability is never text from a record).
    return safe_cell(value) if isinstance(value, str) else value


class SafeWriter:
    """A `csv.writer` whose every text cell goes through `safe_cell`."""

    def __init__(self, stream: IO[str], **fmt: Any) -> None:
        self._writer = csv.writer(stream, **fmt)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream: IO[str], **fmt: Any) -> SafeWriter:
    """A CSV writer over an open text stream (opened with `newline=""`) that neutralises
    formulas in every text cell; `fmt` takes `csv.writer`'s format parameters."""
    return SafeWriter(stream, **fmt)


def write_csv(path: Path, header: Iterable[str], rows: Iterable[Iterable[object]]) -> int:
    """Write a whole CSV file: private (0600), formulas neutralised, lines ending in `\\n`, and
    never half-written (rows go to a `.part` file beside it, renamed over `path` once
    complete). Returns the number of rows written."""
    partial = path.with_name(path.name + ".part")
    count = 0
    try:
        with private_file(partial, "w") as fh:
            writer = csv_writer(fh, lineterminator="\n")
            writer.writerow(header)
            for row in rows:
                writer.writerow(row)
                count += 1
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return count


__all__ = ["FORMULA_STARTS", "SafeWriter", "csv_writer", "safe_cell", "unsafe_cell", "write_csv"]
