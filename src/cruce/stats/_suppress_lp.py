"""Secondary suppression by linear programming, one primary cell at a time (HiGHS).

Fischetti and Salazar's attacker problems turned into a heuristic: a suppressed cell is safe
when some table that agrees with everything published has it `upper` higher, and another has
it `lower` lower, for then an attacker's LP range reaches both. For each primary cell, in key
order, one LP finds the two deviations (changes to cells that keep every total equal to the sum
of its parts and no cell negative) that pass through the fewest unit-changes of published
cells; already suppressed cells cost nothing. The cells the deviations touch are suppressed.
Suppressing more only widens every range, so earlier cells stay safe.

Each LP is solved over a box around the cell (per dimension: its value, TOTAL and the
`width` most useful other values, preferring suppressed then large cells) with every cell
outside the box held fixed, which keeps each LP small and the deviations it finds real; when
the box is too small the box grows to the whole lines, then to every cell.
"""

from __future__ import annotations

from typing import Literal

import highspy
import numpy as np
import numpy.typing as npt

from cruce.stats._suppress_grid import TOTAL, CellGrid, IntArray, lines_through, product_cells
from cruce.stats._suppress_hypercube import suppress_by_hypercube
from cruce.stats._suppress_solver import new_solver

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
# Box widths tried in turn; None: every value of each line, "all": every cell.
WIDTHS: tuple[int | None | Literal["all"], ...] = (3, 8, None, "all")
PRUNE_WIDTH = 8
TOUCHED = 1e-7


def suppress_by_lp(
    grid: CellGrid, primary: BoolArray, lower: IntArray, upper: IntArray
) -> BoolArray:
    """Every suppressed cell (primary ones included), as a mask over the grid's cell ids.

    Two searches, the fewer suppressions kept (the first on a tie): LP deviations from the
    primary cells alone, and the hypercube method's pattern (repaired where a linked table
    leaves a cell unprotected); both then pruned. So never more cells than the hypercube.
    """
    found = [_search(grid, primary, lower, upper, start) for start in (primary, None)]
    return min(found, key=lambda mask: int(mask.sum()))


def _search(
    grid: CellGrid, primary: BoolArray, lower: IntArray, upper: IntArray, start: BoolArray | None
) -> BoolArray:
    if start is None:
        start = suppress_by_hypercube(grid, primary, lower, upper)
    search = _Search(grid, primary, lower, upper, start)
    # The largest primary cells first: they need the largest downward deviations.
    for cell in sorted(np.flatnonzero(primary).tolist(), key=search.rank):
        search.protect(cell)
    search.prune()
    return search.suppressed


class _Search:
    """The suppression found so far and, per primary cell, the cells its deviations change."""

    def __init__(
        self, grid: CellGrid, primary: BoolArray, lower: IntArray, upper: IntArray, start: BoolArray
    ):
        self.grid, self.primary, self.lower, self.upper = grid, primary, lower, upper
        self.suppressed = start.copy()
        self.touching = grid.relations_of()
        self.lines = lines_through(grid)
        self.changes: dict[int, list[int]] = {}  # primary cell -> cells its deviations change
        self.users: dict[int, set[int]] = {}  # cell -> primary cells whose deviations change it

    def rank(self, cell: int) -> tuple[int, tuple[str, ...]]:
        return -int(self.grid.values[cell]), self.grid.keys[cell]

    def protect(self, cell: int) -> None:
        """Suppress what one deviation each way needs, growing the box until one exists."""
        for width in WIDTHS:
            box = self.box(cell, width)
            moved = self.deviations(box, cell)
            if moved is not None:
                self.suppressed[moved] = True
                self.record(cell, moved)
                return
        raise AssertionError(f"no deviation of {self.grid.keys[cell]} with every cell free")

    def prune(self) -> None:
        """Publish again each secondary cell (largest first) whose primary cells all keep
        their deviations among the other suppressed cells."""
        secondary = np.flatnonzero(self.suppressed & ~self.primary).tolist()
        for cell in sorted(secondary, key=self.rank):
            self.suppressed[cell] = False
            found: dict[int, list[int]] = {}
            for user in sorted(self.users.get(cell, ()), key=self.rank):
                box = [c for c in self.box(user, PRUNE_WIDTH) if self.suppressed[c]]
                moved = self.deviations(box, user)
                if moved is None:
                    self.suppressed[cell] = True
                    break
                found[user] = moved
            else:
                for user, moved in found.items():
                    self.record(user, moved)

    def record(self, cell: int, moved: list[int]) -> None:
        for old in self.changes.get(cell, ()):
            self.users[old].discard(cell)
        self.changes[cell] = moved
        for new in moved:
            self.users.setdefault(new, set()).add(cell)

    def box(self, cell: int, width: int | None | Literal["all"]) -> list[int]:
        if width == "all":
            return list(range(len(self.grid.keys)))
        return _box(self.grid, self.lines, self.suppressed, cell, width)

    def deviations(self, box: list[int], cell: int) -> list[int] | None:
        return _deviations(
            self.grid, self.touching, self.suppressed, box, cell,
            int(self.lower[cell]), int(self.upper[cell]),
        )


def _box(
    grid: CellGrid,
    lines: list[dict[tuple[str, ...], list[int]]],
    suppressed: BoolArray,
    cell: int,
    width: int | None,
) -> list[int]:
    """The cells of the box around `cell` (see the module docstring), in id order."""
    key = grid.keys[cell]
    choices: list[list[str]] = []
    for slot in range(len(key)):
        line = lines[slot][key[:slot] + ("",) + key[slot + 1 :]]
        ranked = sorted(
            (c for c in line if c != cell),
            key=lambda c: (not suppressed[c], -int(grid.values[c]), grid.keys[c]),
        )
        chosen = ranked if width is None else ranked[:width]
        values = {key[slot]} | {grid.keys[c][slot] for c in chosen}
        if any(grid.keys[c][slot] == TOTAL for c in line):
            values.add(TOTAL)
        choices.append(sorted(values))
    return sorted(product_cells(grid, choices))


def _deviations(
    grid: CellGrid,
    touching: list[list[tuple[int, int]]],
    suppressed: BoolArray,
    box: list[int],
    cell: int,
    lower: int,
    upper: int,
) -> list[int] | None:
    """The cells an upward and a downward deviation of `cell` change, or None if the box has
    none. Columns: per block (up, down) and box cell, an increase and a decrease."""
    rows: dict[int, int] = {}
    for c in box:
        for rel, _ in touching[c]:
            rows.setdefault(rel, len(rows))
    height = len(rows) + 1  # the relations, then the row fixing the cell's own change
    starts, index, coefficient = [0], [], []
    for block in (0, 1):
        for sign in (1, -1):
            for c in box:
                for rel, coef in touching[c]:
                    index.append(block * height + rows[rel])
                    coefficient.append(sign * coef)
                if c == cell:
                    index.append(block * height + height - 1)
                    coefficient.append(sign)
                starts.append(len(index))
    width = len(box)
    values = grid.values[box].astype(np.float64)
    cost = np.where(suppressed[box], 0.0, 1.0)
    lp = highspy.HighsLp()
    lp.num_col_ = 4 * width
    lp.num_row_ = 2 * height
    # Per unit of change, scaled so that a cell changed by the whole protection costs 1:
    # the LP then counts (roughly) the new suppressions, not the people moved.
    lp.col_cost_ = np.concatenate([cost / upper, cost / upper, cost / lower, cost / lower])
    lp.col_lower_ = np.zeros(4 * width)
    lp.col_upper_ = np.concatenate([np.full(width, highspy.kHighsInf), values] * 2)
    bounds = np.zeros(2 * height)
    bounds[height - 1] = upper
    bounds[2 * height - 1] = -lower
    lp.row_lower_ = bounds
    lp.row_upper_ = bounds
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.asarray(starts, np.int32)
    lp.a_matrix_.index_ = np.asarray(index, np.int32)
    lp.a_matrix_.value_ = np.asarray(coefficient, np.float64)
    solver = new_solver()
    solver.passModel(lp)
    solver.run()
    if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    flows = np.asarray(solver.getSolution().col_value).reshape(4, width)
    touched = flows.sum(axis=0) > TOUCHED
    return [c for c, hit in zip(box, touched.tolist(), strict=True) if hit]
