"""The attacker's check of published tables: what can be worked out about each suppressed cell.

Independent of how the suppression was chosen (it rebuilds the additive relations from the
published tables' keys alone, not from `_suppress_grid`): the attacker knows every published
cell, that every `Total` is the sum of its parts, that shared margins of linked tables are one
cell, and that no count is negative. For each suppressed cell two LPs (HiGHS) give the least
and the most it can be. A primary cell of value v is protected when that range reaches from
v - lower to v + upper (rule 2 of `_suppress`: from 0 to `min_cell`); a secondary cell only
needs not to be pinned to one value. The audit also lists any published cell under the minimum.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import highspy
import numpy as np

from cruce.stats._suppress import Suppression, protection
from cruce.stats._suppress_grid import TOTAL, Key
from cruce.stats._suppress_solver import new_solver

EPSILON = 1e-6  # LP tolerance on the bounds of a count


@dataclass(frozen=True)
class CellRange:
    """What an attacker can prove about one suppressed cell (`key` over all tables' dims)."""

    key: Key
    value: int
    low: float
    high: float  # math.inf when nothing bounds it from above
    is_primary: bool
    needed: tuple[int, int]  # (lower, upper) protection; (0, 0) for secondary cells

    @property
    def is_protected(self) -> bool:
        if not self.is_primary:
            return self.high - self.low > EPSILON
        lower, upper = self.needed
        reaches_down = self.low <= self.value - lower + EPSILON
        return reaches_down and self.high >= self.value + upper - EPSILON


@dataclass(frozen=True)
class Audit:
    """The audit of one publication (one or more linked tables)."""

    dims: tuple[str, ...]
    ranges: list[CellRange]
    small_published: list[Key]  # published cells counting 1 .. min_cell - 1 (must be none)

    @property
    def exposed(self) -> list[CellRange]:
        return [r for r in self.ranges if not r.is_protected]

    @property
    def is_safe(self) -> bool:
        return not self.exposed and not self.small_published


def audit_suppression(tables: Sequence[Suppression]) -> Audit:
    """Check published tables (linked when they share dims) as an attacker would."""
    if not tables:
        raise ValueError("nothing to audit: give at least one published table")
    dims = tuple(dict.fromkeys(d for t in tables for d in t.dims))
    values, suppressed, primary, forced = _cells(tables, dims)
    small = sorted(k for k, v in values.items()
                   if k not in suppressed and 0 < v < tables[0].min_cell)
    hidden = sorted(suppressed)
    column = {key: i for i, key in enumerate(hidden)}
    rows = _relations(tables, dims, values, column)
    low, high = _ranges(len(hidden), rows)
    ranges = [
        CellRange(key, values[key], low[i], high[i], key in primary,
                  protection(values[key], tables[0].min_cell, key in forced)
                  if key in primary else (0, 0))
        for i, key in enumerate(hidden)
    ]
    return Audit(dims, ranges, small)


def _common(key: Key, table_dims: tuple[str, ...], dims: tuple[str, ...]) -> Key:
    where = dict(zip(table_dims, key, strict=True))
    return tuple(where.get(d, TOTAL) for d in dims)


def _cells(tables: Sequence[Suppression], dims: tuple[str, ...]
           ) -> tuple[dict[Key, int], set[Key], set[Key], set[Key]]:
    values: dict[Key, int] = {}
    suppressed: set[Key] = set()
    primary: set[Key] = set()
    forced: set[Key] = set()
    for table in tables:
        for key, value in table.values.items():
            common = _common(key, table.dims, dims)
            values[common] = value
            if table.is_suppressed(key):
                suppressed.add(common)
            if key in table.primary:
                primary.add(common)
            if key in table.forced:
                forced.add(common)
    return values, suppressed, primary, forced


Row = tuple[dict[int, float], float]  # coefficients over hidden cells, right-hand side


def _relations(tables: Sequence[Suppression], dims: tuple[str, ...], values: dict[Key, int],
               column: dict[Key, int]) -> list[Row]:
    """Every `Total = sum of its parts` of every table, published cells moved to the right."""
    rows: list[Row] = []
    for table in tables:
        keys = [_common(k, table.dims, dims) for k in table.values]
        for slot in (dims.index(d) for d in table.dims):
            lines: dict[Key, list[Key]] = {}
            for key in keys:
                lines.setdefault(key[:slot] + ("",) + key[slot + 1:], []).append(key)
            for line in lines.values():
                coefficients: dict[int, float] = {}
                rhs = 0.0
                for key in line:
                    sign = -1.0 if key[slot] == TOTAL else 1.0
                    if key in column:
                        coefficients[column[key]] = coefficients.get(column[key], 0.0) + sign
                    else:
                        rhs -= sign * values[key]
                if coefficients:
                    rows.append((coefficients, rhs))
    return rows


def _ranges(width: int, rows: list[Row]) -> tuple[list[float], list[float]]:
    """The least and the most each hidden cell can be, over every table consistent with it."""
    if width == 0:
        return [], []
    starts, index, value = [0], [], []
    for coefficients, _ in rows:
        for col, coef in sorted(coefficients.items()):
            index.append(col)
            value.append(coef)
        starts.append(len(index))
    rhs = np.asarray([r for _, r in rows], np.float64)
    solver = new_solver()
    solver.addVars(width, np.zeros(width), np.full(width, highspy.kHighsInf))
    solver.addRows(len(rows), rhs, rhs, len(index), np.asarray(starts[:-1], np.int32),
                   np.asarray(index, np.int32), np.asarray(value, np.float64))
    low = [_bound(solver, col, highspy.ObjSense.kMinimize) for col in range(width)]
    high = [_bound(solver, col, highspy.ObjSense.kMaximize) for col in range(width)]
    return low, high


def _bound(solver: highspy.Highs, col: int, sense: highspy.ObjSense) -> float:
    solver.changeObjectiveSense(sense)
    solver.changeColCost(col, 1.0)
    solver.run()
    status = solver.getModelStatus()
    found = float(solver.getInfo().objective_function_value)  # before the cost changes back
    solver.changeColCost(col, 0.0)
    if status in (highspy.HighsModelStatus.kUnbounded,
                  highspy.HighsModelStatus.kUnboundedOrInfeasible):  # feasible: the truth is
        return math.inf
    if status != highspy.HighsModelStatus.kOptimal:
        raise AssertionError(f"the published tables are inconsistent (HiGHS: {status})")
    return found


__all__ = ["Audit", "CellRange", "audit_suppression"]
