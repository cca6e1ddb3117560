"""Linked tables as one system of cells and additive relations (total = sum of its parts).

Every cell of every table gets one id in a common coordinate space: all the tables' dimensions,
with `TOTAL` where a cell sums a dimension out or where its table does not have that dimension.
Two tables share a cell when it fixes the same dimensions to the same values, e.g. the
(region="X") margin of region x citizenship and of region x month: that is what links them.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

TOTAL = "Total"

Key = tuple[str, ...]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Table:
    """One table's interior cells: `cells[key]` counts the key's values, in `dims` order.

    >>> Table(("month", "citizenship"), {("2019-02", "MX"): 40, ("2019-02", "GT"): 7}).dims
    ('month', 'citizenship')
    """

    dims: tuple[str, ...]
    cells: Mapping[Key, int]


@dataclass
class CellGrid:
    """All cells of linked tables with their values and the relations between them."""

    dims: tuple[str, ...]
    keys: list[Key]  # common-space key of each cell id
    values: IntArray
    index: dict[Key, int]
    table_ids: list[npt.NDArray[np.intp]]  # per table: dense array of cell ids, TOTAL last
    table_categories: list[list[list[str]]]  # per table, per dim: its interior categories
    totals: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))  # per relation
    parts: list[IntArray] = field(default_factory=list)  # per relation: the part cell ids

    def relations_of(self) -> list[list[tuple[int, int]]]:
        """For each cell id, (relation, coefficient) of the relations it is in: +1 as a part,
        -1 as the total, so that every relation reads sum(coefficient * value) == 0."""
        touching: list[list[tuple[int, int]]] = [[] for _ in self.keys]
        for rel, (total, parts) in enumerate(zip(self.totals.tolist(), self.parts, strict=True)):
            touching[total].append((rel, -1))
            for part in parts.tolist():
                touching[part].append((rel, 1))
        return touching


def build_grid(tables: Sequence[Table]) -> CellGrid:
    """The cell system of `tables`; ValueError names a bad key or count, or a shared margin
    whose value differs between two tables."""
    dims = tuple(dict.fromkeys(d for t in tables for d in t.dims))
    grid = CellGrid(dims, [], np.zeros(0, np.int64), {}, [], [])
    values: list[int] = []
    for number, table in enumerate(tables, 1):
        dense, categories = _dense_with_margins(table, number)
        ids = np.empty(dense.shape, np.intp)
        slot = [dims.index(d) for d in table.dims]
        for position in np.ndindex(dense.shape):
            key = [TOTAL] * len(dims)
            for axis, at in enumerate(position):
                cats = categories[axis]
                key[slot[axis]] = cats[at] if at < len(cats) else TOTAL
            common = tuple(key)
            value = int(dense[position])
            known = grid.index.get(common)
            if known is None:
                known = grid.index[common] = len(grid.keys)
                grid.keys.append(common)
                values.append(value)
            elif values[known] != value:
                shown = dict(zip(dims, common, strict=True))
                raise ValueError(
                    f"table {number}: cell {shown} is {value} but another table has "
                    f"{values[known]}: linked tables must agree on the margins they share"
                )
            ids[position] = known
        grid.table_ids.append(ids)
        grid.table_categories.append(categories)
    grid.values = np.asarray(values, np.int64)
    _add_relations(grid)
    return grid


def _dense_with_margins(table: Table, number: int) -> tuple[IntArray, list[list[str]]]:
    """The table as a dense array, each axis' last index the TOTAL of that axis."""
    width = len(table.dims)
    if width == 0 or len(set(table.dims)) != width:
        raise ValueError(f"table {number}: dims {table.dims!r} must be distinct and not empty")
    for key, count in table.cells.items():
        if not isinstance(key, tuple) or len(key) != width:
            raise ValueError(f"table {number}: key {key!r} must be a tuple of {width} values")
        if TOTAL in key:
            raise ValueError(f"table {number}: key {key!r} holds {TOTAL!r}: give interior cells")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"table {number}: cell {key!r} is {count!r}: not a count >= 0")
    categories = [sorted({key[axis] for key in table.cells}) for axis in range(width)]
    where = [{c: i for i, c in enumerate(cats)} for cats in categories]
    dense = np.zeros([len(c) + 1 for c in categories], np.int64)
    for key, count in table.cells.items():
        dense[tuple(where[axis][v] for axis, v in enumerate(key))] += count
    for axis in range(width):
        interior = [slice(None)] * width
        interior[axis] = slice(0, -1)
        total = [slice(None)] * width
        total[axis] = slice(-1, None)
        dense[tuple(total)] = dense[tuple(interior)].sum(axis=axis, keepdims=True)
    return dense, categories


def _add_relations(grid: CellGrid) -> None:
    """One relation per table, axis and margin line: the TOTAL cell = sum of the interior."""
    seen: set[tuple[int, ...]] = set()
    totals: list[int] = []
    for ids in grid.table_ids:
        for axis in range(ids.ndim):
            moved = np.moveaxis(ids, axis, -1).reshape(-1, ids.shape[axis])
            for line in moved:
                signature = tuple(line.tolist())
                if signature in seen:  # the same margin line of two linked tables
                    continue
                seen.add(signature)
                totals.append(int(line[-1]))
                grid.parts.append(np.asarray(line[:-1], np.int64))
    grid.totals = np.asarray(totals, np.int64)


def lines_through(grid: CellGrid) -> list[dict[Key, list[int]]]:
    """Per dimension, the cells that differ from each other only in that dimension.

    `lines_through(grid)[slot][masked]` lists the cells whose key is `masked` with any value
    (TOTAL included) at `slot`; `masked` holds "" at `slot`.
    """
    lines: list[dict[Key, list[int]]] = [{} for _ in grid.dims]
    for cell, key in enumerate(grid.keys):
        for slot in range(len(key)):
            masked = key[:slot] + ("",) + key[slot + 1 :]
            lines[slot].setdefault(masked, []).append(cell)
    return lines


def product_cells(grid: CellGrid, choices: Sequence[Sequence[str]]) -> list[int]:
    """The ids of the cells whose key takes, in each dimension, one of `choices`."""
    found = []
    for key in itertools.product(*choices):
        cell = grid.index.get(key)
        if cell is not None:
            found.append(cell)
    return found
