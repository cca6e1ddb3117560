"""Cross-tables of encounters (rows by columns, with totals), small cells suppressed.

Every table leaves through `cruce.stats.suppress`: a cell under the minimum is suppressed, and
enough others with it that no suppressed cell can be worked out from the published cells and
totals. A suppressed cell is written `x` (the convention of national statistics offices); an
empty cell is 0 and is published, since it discloses nobody.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cruce.errors import InvalidInput, NotFound
from cruce.stats._encounter_figures import (
    COUNTING_UNIT,
    DIMENSIONS,
    FISCAL_YEAR_BASIS,
    MEASURES,
    held_region,
    measure_clause,
)
from cruce.stats._statstore import StatStore
from cruce.stats._suppress import suppress
from cruce.stats._suppress_grid import TOTAL

SUPPRESSED = "x"
DEFAULT_MIN_CELL = 11  # the Counter Trafficking Data Collaborative's rule: no cell under 11


@dataclass(frozen=True)
class EncounterTable:
    """A published table: `grid` is its rows as printed, header first, totals last."""

    rows: str
    cols: str
    measure: str
    region: str | None
    fiscal_year: int | None
    min_cell: int
    grid: list[list[str]]
    suppressed_cells: int

    def to_dict(self) -> dict[str, Any]:
        header = self.grid[0]
        return {
            "rows": self.rows, "cols": self.cols, "columns": header,
            "table": [dict(zip(header, [line[0], *map(_typed, line[1:])], strict=True))
                      for line in self.grid[1:]],
            "measure": self.measure, "definition": MEASURES[self.measure],
            "region": self.region, "fiscal_year": self.fiscal_year,
            "fiscal_year_basis": FISCAL_YEAR_BASIS, "counting_unit": COUNTING_UNIT,
            "min_cell": self.min_cell, "suppressed_cells": self.suppressed_cells,
            "suppressed_as": SUPPRESSED,
        }


def _typed(cell: str) -> int | str:
    return int(cell) if cell.isdigit() else cell


def encounter_table(store: StatStore, *, rows: str, cols: str, region: str | None = None,
                    fiscal_year: int | None = None, measure: str = "encounters",
                    min_cell: int = DEFAULT_MIN_CELL) -> EncounterTable:
    """Encounters cut by `rows` and `cols`, with totals, every small cell suppressed.

        >>> table = encounter_table(store, rows="month", cols="citizenship",
        ...     region="Southwest Land Border", fiscal_year=2019, min_cell=11)  # doctest: +SKIP
        >>> table.grid[0]  # doctest: +SKIP
        ['month', 'GUATEMALA', 'HONDURAS', 'MEXICO', 'Total']
    """
    _check_dimensions(rows, cols)
    if min_cell < 1:
        raise InvalidInput(f"--min-cell {min_cell}: the minimum cell size is 1 or more")
    where, parameters = [measure_clause(measure)], list[Any]()
    if region is not None:
        region = held_region(store, region)
        where.append("region = ?")
        parameters.append(region)
    if fiscal_year is not None:
        where.append("fiscal_year = ?")
        parameters.append(fiscal_year)
    counts = {(str(r), str(c)): int(n) for r, c, n in store.query(
        f"SELECT {DIMENSIONS[rows]}, {DIMENSIONS[cols]}, sum(encounter_count) "
        f"FROM encounter_counts WHERE {' AND '.join(where)} GROUP BY ALL", parameters)}
    if not counts:
        raise NotFound(f"no {measure} held for {_scope(region, fiscal_year)}")
    return _published(counts, rows, cols, measure, region, fiscal_year, min_cell)


def _check_dimensions(rows: str, cols: str) -> None:
    for option, name in (("--rows", rows), ("--cols", cols)):
        if name not in DIMENSIONS:
            raise InvalidInput(f"{option} {name!r} is not one of {', '.join(DIMENSIONS)}")
    if rows == cols:
        raise InvalidInput(f"--rows and --cols are both {rows!r}; give two different columns")


def _scope(region: str | None, fiscal_year: int | None) -> str:
    parts = [f"region {region!r}" if region else "any region",
             f"fiscal year {fiscal_year}" if fiscal_year else "any fiscal year"]
    return ", ".join(parts)


def _published(counts: dict[tuple[str, str], int], rows: str, cols: str, measure: str,
               region: str | None, fiscal_year: int | None, min_cell: int) -> EncounterTable:
    row_values = sorted({r for r, _ in counts})
    col_values = sorted({c for _, c in counts})
    for value in (*row_values, *col_values):
        if value == TOTAL:
            raise InvalidInput(f"a {rows if value in row_values else cols} is named {TOTAL!r}, "
                               "which the table keeps for its totals")
    cells: dict[tuple[str, ...], int] = {
        (r, c): counts.get((r, c), 0) for r in row_values for c in col_values}
    published = suppress(cells, min_cell=min_cell)
    grid = [[rows, *col_values, TOTAL]]
    for r in (*row_values, TOTAL):
        grid.append([r, *(published.render((r, c)) for c in (*col_values, TOTAL))])
    hidden = sum(cell == SUPPRESSED for line in grid[1:] for cell in line[1:])
    return EncounterTable(rows, cols, measure, region, fiscal_year, min_cell, grid, hidden)
