"""Secondary suppression by the hypercube method (Repsilber's GHMITER, as in tau-Argus).

The comparison baseline for the LP method. For each cell to protect, among all hypercubes of
its table (2**n cells: the cell and one other value per dimension, TOTAL included) whose
corners can move the cell by its protection in both directions without any corner going
negative, take the one adding the fewest new suppressions (then the least suppressed value,
then the first in key order). Corner signs alternate, except that a TOTAL moves with its part.

Linked tables: a new suppression that another table shares must be protected in that table
too (it moves there by the same amount), so it is queued for it; until nothing is queued.
When no hypercube protects a cell, its whole table is suppressed.
"""

from __future__ import annotations

import itertools
from collections import deque

import numpy as np
import numpy.typing as npt

from cruce.stats._suppress_grid import CellGrid, IntArray

BoolArray = npt.NDArray[np.bool_]
Position = tuple[int, ...]


def suppress_by_hypercube(
    grid: CellGrid, primary: BoolArray, lower: IntArray, upper: IntArray,
    width: int | None = None,
) -> BoolArray:
    """Every suppressed cell (primary ones included), as a mask over the grid's cell ids.

    `width`: look for each cell's hypercube among only the `width` most promising other values
    per dimension (suppressed ones first, then the largest; see `_candidates`), and among all
    of them only when none of those protects: the `"fast"` method, for tables of tens of
    thousands of cells, where every hypercube of the table would be tried for every cell."""
    suppressed = primary.copy()
    where: list[list[tuple[int, Position]]] = [[] for _ in grid.keys]
    for table, ids in enumerate(grid.table_ids):
        for position in np.ndindex(ids.shape):
            where[int(ids[position])].append((table, position))
    queue: deque[tuple[int, Position, int, int]] = deque()
    for cell in sorted(np.flatnonzero(primary).tolist(), key=grid.keys.__getitem__):
        for table, position in where[cell]:
            queue.append((table, position, int(lower[cell]), int(upper[cell])))
    while queue:
        table, position, down, up = queue.popleft()
        ids = grid.table_ids[table]
        values, hidden = grid.values[ids], suppressed[ids]
        added = None
        if width is not None:
            added = _protect(values, hidden, position, down, up, width)
        if added is None:
            added = _protect(values, hidden, position, down, up, None)
        fresh = [int(c) for c in ids[added] if not suppressed[int(c)]] if added is not None else []
        if added is None:
            fresh = [int(c) for c in ids.ravel() if not suppressed[int(c)]]
        shift = max(down, up)
        for cell in fresh:
            suppressed[cell] = True
            for other, at in where[cell]:
                if other != table:
                    queue.append((other, at, min(shift, int(grid.values[cell])), shift))
    return suppressed


def _candidates(values: IntArray, suppressed: BoolArray, position: Position, axis: int,
                width: int | None, need: int) -> npt.NDArray[np.intp]:
    """The other values of `axis` a hypercube through `position` may use: all of them, or the
    `width` best: already suppressed first (they cost nothing), then those counting at least
    `need` (they give a corner room enough), the smallest of them first (the least information
    lost); TOTAL always among them; in index order, so that ties still break by key order."""
    n = values.shape[axis]
    others = np.array([i for i in range(n) if i != position[axis]], np.intp)
    if width is None or len(others) <= width:
        return others
    line = list(position)
    line[axis] = slice(None)  # type: ignore[call-overload]
    on_line, hidden = values[tuple(line)], suppressed[tuple(line)]
    ranked = sorted(others.tolist(),
                    key=lambda i: (not hidden[i], on_line[i] < need, on_line[i], i))
    chosen = set(ranked[:width])
    if position[axis] != n - 1:
        chosen.add(n - 1)
    return np.array(sorted(chosen), np.intp)


def _protect(
    values: IntArray, suppressed: BoolArray, position: Position, down: int, up: int,
    width: int | None,
) -> BoolArray | None:
    """The corners of the cheapest protecting hypercube as a mask, or None if none protects."""
    ndim = values.ndim
    others = [_candidates(values, suppressed, position, a, width, max(down, up))
              for a in range(ndim)]
    if any(len(o) == 0 for o in others):
        return None
    shape = tuple(len(o) for o in others)
    # A corner's sign along an axis: -1 for another interior value, +1 when either is TOTAL.
    signs = [
        np.where((others[a] == values.shape[a] - 1) | (position[a] == values.shape[a] - 1), 1, -1)
        for a in range(ndim)
    ]
    room_up = np.full(shape, np.inf)
    room_down = np.full(shape, np.inf)
    new_cells = np.zeros(shape, np.int64)
    new_value = np.zeros(shape, np.int64)
    for corner in itertools.product((False, True), repeat=ndim):
        index = tuple(
            others[a].reshape([-1 if b == a else 1 for b in range(ndim)]) if moved else position[a]
            for a, moved in enumerate(corner)
        )
        value = np.broadcast_to(values[index], shape)
        sign = np.ones(shape, np.int64)
        for a, moved in enumerate(corner):
            if moved:
                sign = sign * signs[a].reshape([-1 if b == a else 1 for b in range(ndim)])
        room_up = np.where(sign < 0, np.minimum(room_up, value), room_up)
        room_down = np.where(sign > 0, np.minimum(room_down, value), room_down)
        fresh = ~np.broadcast_to(suppressed[index], shape)
        new_cells += fresh
        new_value += np.where(fresh, value, 0)
    protects = (room_up >= up) & (room_down >= down)
    if not protects.any():
        return None
    score = np.where(protects, new_cells * (int(values.max()) + 1) * values.size + new_value, -1)
    cheapest = np.where(protects, score, np.iinfo(np.int64).max)
    best = np.unravel_index(int(np.argmin(cheapest)), shape)
    mask = np.zeros(values.shape, np.bool_)
    for corner in itertools.product((False, True), repeat=ndim):
        at = tuple(others[a][best[a]] if moved else position[a] for a, moved in enumerate(corner))
        mask[at] = True
    return mask
