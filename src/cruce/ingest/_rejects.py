"""The rejects file: each bad row with its line, field and reason, then the row as it was.

Every cell goes through `safe_cell` (a value `=HYPERLINK(...)` in a bad row would otherwise run
in the spreadsheet the analyst opens the rejects in), and the file is private (0600) and
appears only once the ingest it belongs to has been stored: it is written beside its target
and renamed into place after the commit, so a failed ingest leaves no rejects behind.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from cruce._csvsafe import csv_writer
from cruce._files import private_file


class PendingRejects:
    """A rejects file written now and put in place by `commit` (or removed by `discard`)."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.part = target.with_name(f".{target.name}.part")

    def write(self, header: list[str], rows: Iterable[list[object]]) -> None:
        with private_file(self.part) as fh:
            writer = csv_writer(fh)
            writer.writerow(header)
            writer.writerows(rows)

    def commit(self) -> None:
        if self.part.exists():
            os.replace(self.part, self.target)

    def discard(self) -> None:
        self.part.unlink(missing_ok=True)
