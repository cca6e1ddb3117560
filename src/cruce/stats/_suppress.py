"""Statistical disclosure control for published counts: primary and secondary suppression.

The rules, in order:

1. Primary: every cell (interior or margin) counting 1 to `min_cell - 1` people is suppressed.
   CTDC publishes no cell under 11 (`min_cell=11`). Zeros are published: an empty cell names
   nobody. Cells given as `force` are primary too, whatever they count: in a table combined
   across nodes, a cell from which one contributor, subtracting its own count, would learn that
   the others counted 1 to `min_cell - 1` (`_secure_sum`).
2. Protection: for a primary cell of value v, an attacker who knows every published cell, that
   every total is the sum of its parts and that no count is negative must not be able to rule
   out that the cell is empty (the LP minimum must reach 0: lower protection v) nor that it
   could be published (the LP maximum must reach `min_cell`: upper protection min_cell - v).
   A forced cell of value v: lower protection min(v, min_cell), upper min_cell, so that what a
   contributor derives for the others' share spans empty to publishable too.
3. Secondary: more cells are suppressed until rule 2 holds for every primary cell, by one of
   these methods (by default `"auto"`: `"lp"` up to LP_MAX_CELLS cells, `"best"` beyond, the
   fewer cells of `"hypercube"` and `"fast"`):
   `"lp"` (`_suppress_lp`), `"hypercube"` (GHMITER;
   `_suppress_hypercube`), the baseline `"lp"` is measured against (bench/statistics.py), or
   `"fast"`, the hypercube method searching each cell's hypercube among a few candidate values
   per dimension first (tables of tens of thousands of cells).

Deterministic: no randomness, cells taken in key order, ties broken by key; the same tables
give the same suppressions. `audit_suppression` checks rule 2 independently with HiGHS.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Literal

import numpy as np
import numpy.typing as npt

from cruce.stats._suppress_grid import TOTAL, CellGrid, IntArray, Key, Table, build_grid
from cruce.stats._suppress_hypercube import suppress_by_hypercube
from cruce.stats._suppress_lp import suppress_by_lp

BoolArray = npt.NDArray[np.bool_]

Method = Literal["auto", "lp", "hypercube", "fast", "best"]
# "auto": the LP method up to this many cells (seconds), "best" beyond (the LP method takes
# minutes on a few thousand linked cells: bench/RESULTS.md, Session 8 — statistics).
LP_MAX_CELLS = 300
FAST_WIDTH = 12  # candidate values per dimension for the "fast" method (bench/statistics.py)
METHODS: dict[str, Callable[[CellGrid, BoolArray, IntArray, IntArray], BoolArray]] = {
    "lp": suppress_by_lp,
    "hypercube": suppress_by_hypercube,
    "fast": partial(suppress_by_hypercube, width=FAST_WIDTH),
}


def _best(grid: CellGrid, primary: BoolArray, lower: IntArray, upper: IntArray) -> BoolArray:
    """The hypercube method's pattern or the fast method's, the one with fewer cells (the
    hypercube's on a tie): never more cells than the hypercube method."""
    found = [METHODS[m](grid, primary, lower, upper) for m in ("hypercube", "fast")]
    return min(found, key=lambda mask: int(mask.sum()))


METHODS["best"] = _best


@dataclass(frozen=True)
class Suppression:
    """One table as published: every cell's value, and which cells are withheld and why.

    >>> s = suppress({("a", "x"): 3, ("a", "y"): 40, ("b", "x"): 30, ("b", "y"): 50}, min_cell=11)
    >>> s.render(("a", "x")), s.render((TOTAL, TOTAL))
    ('x', '123')
    """

    dims: tuple[str, ...]
    min_cell: int
    values: Mapping[Key, int]  # every cell, interior and margins (TOTAL in the key)
    primary: frozenset[Key]  # counts 1..min_cell-1, and the forced cells
    secondary: frozenset[Key]  # withheld so that no primary cell can be recovered
    forced: frozenset[Key] = frozenset()  # primary whatever they count (rule 1)

    def is_suppressed(self, key: Key) -> bool:
        """Whether the cell is withheld (primary or secondary)."""
        return key in self.primary or key in self.secondary

    def published(self, key: Key) -> int | None:
        """The cell's count as published: None when suppressed."""
        return None if self.is_suppressed(key) else self.values[key]

    def render(self, key: Key) -> str:
        """The cell as a table prints it: "x" when suppressed."""
        return "x" if self.is_suppressed(key) else str(self.values[key])


def protection(value: int, min_cell: int, forced: bool = False) -> tuple[int, int]:
    """(lower, upper) protection of a primary cell of `value` (rule 2 of the module)."""
    if forced:
        return min(value, min_cell), min_cell
    return value, min_cell - value


def suppress(
    cells: Mapping[Key, int], *, min_cell: int, method: Method = "auto"
) -> Suppression:
    """Suppress one table given by its interior cells; its margins are computed and
    suppressed too (keys with TOTAL in one or more places).

    >>> s = suppress({("2019-02", "MX"): 40, ("2019-02", "GT"): 7}, min_cell=11)
    >>> s.render(("2019-02", "GT"))
    'x'
    """
    width = len(next(iter(cells))) if cells else 0
    dims = tuple(f"dim{i}" for i in range(width))
    return suppress_linked([Table(dims, cells)], min_cell=min_cell, method=method)[0]


def suppress_linked(
    tables: Sequence[Table], *, min_cell: int, method: Method = "auto",
    force: Collection[Key] = (),
) -> list[Suppression]:
    """Suppress tables that share margins together, so that none gives away another's
    suppressed cells; one Suppression per table, in order, agreeing on shared cells. `force`:
    cells (keys over every table's dims, TOTAL where a table has none) primary whatever they
    count."""
    if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < 1:
        raise ValueError(f"min_cell is {min_cell!r}: give a count >= 1 (CTDC uses 11)")
    if method not in (*METHODS, "auto"):
        raise ValueError(f"method is {method!r}: use auto or one of {', '.join(METHODS)}")
    if not tables or any(not t.cells for t in tables):
        raise ValueError("every table needs at least one cell")
    grid = build_grid(tables)
    forced = np.zeros(len(grid.keys), np.bool_)
    for key in force:
        if key not in grid.index:
            raise ValueError(f"force names a cell the tables do not have: {key}")
        forced[grid.index[key]] = True
    primary = ((grid.values > 0) & (grid.values < min_cell)) | forced
    lower, upper = _protections(grid.values, min_cell)
    lower[forced] = np.minimum(grid.values[forced], min_cell)
    upper[forced] = min_cell
    if method == "auto":
        method = "lp" if len(grid.keys) <= LP_MAX_CELLS else "best"
    suppressed = METHODS[method](grid, primary, lower, upper)
    return [_table_result(grid, number, primary, suppressed, min_cell, t.dims, forced)
            for number, t in enumerate(tables)]


def _protections(values: IntArray, min_cell: int) -> tuple[IntArray, IntArray]:
    lower = values.copy()
    upper = np.maximum(min_cell - values, 0)
    return lower, upper


def _table_result(
    grid: CellGrid,
    number: int,
    primary: np.typing.NDArray[np.bool_],
    suppressed: np.typing.NDArray[np.bool_],
    min_cell: int,
    dims: tuple[str, ...],
    forced: BoolArray,
) -> Suppression:
    ids = grid.table_ids[number]
    categories = grid.table_categories[number]
    values: dict[Key, int] = {}
    first: set[Key] = set()
    second: set[Key] = set()
    pinned: set[Key] = set()
    for position in np.ndindex(ids.shape):
        key = tuple(
            categories[axis][at] if at < len(categories[axis]) else TOTAL
            for axis, at in enumerate(position)
        )
        cell = int(ids[position])
        values[key] = int(grid.values[cell])
        if primary[cell]:
            first.add(key)
            if forced[cell]:
                pinned.add(key)
        elif suppressed[cell]:
            second.add(key)
    return Suppression(dims, min_cell, values, frozenset(first), frozenset(second),
                       frozenset(pinned))
