"""Learning from reviewers: a supervised layer over the scored pairs, fitted on judged pairs.

Splink's Fellegi-Sunter score stays the starting point (its log-odds are the layer's offset);
the judgements then correct it where it is wrong. The layer is a logistic regression with an L2
penalty (its strength chosen by cross-validation over the judgements), so with no evidence each
correction stays at zero and the model is Splink's:

    logit q = ln 2 * match_weight + sum_k w_k * f_k(pair)

The features f_k come from whatever the pairs table holds, never from a fixed comparison list:
one indicator per level of every comparison (`gamma_*`: a level Splink over- or under-weighs),
the pair's agencies (each agency's layout errs its own way), and for every feature the
comparisons retained (`x_l`, `x_r`) whether they are equal, how alike they are (Jaro-Winkler),
whether one is missing, how much two lists overlap, how rare the value is (term frequency) and
how far two numbers are apart. These carry evidence the comparison levels throw away (two
records equal on a common surname and birth year whose birth dates differ by months), which is
why a few hundred judgements improve every pair, not only the judged ones. Splink's log-odds
are never a feature: the judged pairs are the uncertain ones, and a slope fitted on them does not
hold for the pairs Splink is sure of.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np

LN2 = math.log(2.0)
# L2 strengths tried, the one chosen by cross-validation on the judgements: how much a few hundred
# labels can be trusted depends on how many features the pairs table affords and how the labels
# fall, so no one strength suits every world (1.0 suited one draw and over-merged another).
PENALTIES = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0)
FOLDS = 5
MAX_SOURCE_PAIRS = 40  # one indicator per pair of agencies, while there are few of them
MAX_LEVELS = 30  # a comparison with more distinct levels than this is not categorical
_IDS = ("unique_id", "source")  # which records and agencies: not evidence a value gives
_LOGIT = "least(greatest({x}, -30.0), 30.0)"  # exp() of larger values overflows; p is 0 or 1


@dataclass(frozen=True)
class Layer:
    """Fitted corrections: (name, SQL over one pairs row, weight in natural log-odds)."""

    terms: tuple[tuple[str, str, float], ...]
    labels: int  # judged pairs it was fitted on
    penalty: float = 1.0  # the L2 strength cross-validation chose

    def logit_sql(self) -> str:
        """The corrected log-odds of a row of the pairs table, as SQL."""
        parts = [f'{LN2!r} * "match_weight"']
        parts += [f"({weight!r}) * ({sql})" for _, sql, weight in self.terms if weight]
        return _LOGIT.format(x=" + ".join(parts))

    def to_json(self) -> dict[str, Any]:
        """What the model file keeps of the layer (and what its version hashes)."""
        return {"labels": self.labels, "penalty": self.penalty,
                "terms": [{"feature": name, "weight": round(w, 6)} for name, _, w in self.terms]}


def features(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    """(name, SQL) of every feature the pairs table `table` affords."""
    columns = {str(r[0]): str(r[1]) for r in con.execute(f"DESCRIBE {table}").fetchall()}
    # No term in Splink's log-odds themselves: the judged pairs are the uncertain ones, and a
    # slope fitted there is extrapolated to every pair. On evalworld 20k seed 1 it flattened
    # Splink's scores (weight -0.47 against the offset's 0.69 a bit) and lifted 929 of the pairs
    # Splink put at 0.001-0.01 (46 of them true; Splink is right there: 0.6 % are) over 0.5: the
    # clusters' error doubled. The level indicators still correct a level Splink misweighs.
    out: list[tuple[str, str]] = [("intercept", "1.0")]
    for column in columns:
        if column.startswith("gamma_"):
            levels = con.execute(f'SELECT DISTINCT "{column}" FROM {table} ORDER BY 1').fetchall()
            if len(levels) <= MAX_LEVELS:
                out += [(f"{column[6:]} level {v[0]}",
                         f'coalesce(("{column}" = {int(v[0])})::DOUBLE, 0)')
                        for v in levels if v[0] is not None]
    for column, kind in columns.items():
        base = column[:-2]
        if column.endswith("_l") and f"{base}_r" in columns and base not in _IDS:
            out += _column_features(base, kind)
    if {"source_l", "source_r"} <= columns.keys():
        pair = 'least("source_l", "source_r") || \'|\' || greatest("source_l", "source_r")'
        rows = con.execute(f"SELECT DISTINCT {pair} FROM {table} ORDER BY 1").fetchall()
        if len(rows) <= MAX_SOURCE_PAIRS:
            out += [(f"agencies {r[0]}", f"coalesce(({pair} = {_quote(str(r[0]))})::DOUBLE, 0)")
                    for r in rows if r[0] is not None]
    return out


def _column_features(base: str, kind: str) -> list[tuple[str, str]]:
    left, right = f'"{base}_l"', f'"{base}_r"'
    if kind == "VARCHAR":
        return [
            (f"{base} equal", f"coalesce(({left} = {right})::DOUBLE, 0)"),
            (f"{base} alike", f"coalesce(jaro_winkler_similarity({left}, {right}), 0)"),
            (f"{base} missing", f"({left} IS NULL OR {right} IS NULL)::DOUBLE"),
            # Numbers (a birth year): how far apart, up to ten.
            (f"{base} apart", f"coalesce(least(abs(try_cast({left} AS DOUBLE) - "
                              f"try_cast({right} AS DOUBLE)), 10.0), 0)"),
        ]
    if kind.endswith("[]"):
        union = f"len(list_distinct(list_concat({left}, {right})))"
        return [(f"{base} overlap", f"coalesce(len(list_intersect({left}, {right}))::DOUBLE"
                                    f" / nullif({union}, 0), 0)")]
    if base.startswith("tf_"):
        return [(f"{base[3:]} rarity", f"coalesce(-ln(greatest({left}, {right})), 0)")]
    return []


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def fit(con: duckdb.DuckDBPyConnection, table: str, labelled: str) -> Layer | None:
    """Fit the layer on the pairs of `table` that `labelled` (unique_id_l, unique_id_r, same)
    judges; None when the judgements hold no pair of each kind (nothing to learn from)."""
    found = features(con, table)
    select = ", ".join(f"({sql})::DOUBLE" for _, sql in found)
    labelled_columns = {str(r[0]) for r in con.execute(f"DESCRIBE {labelled}").fetchall()}
    weight = "l.weight" if "weight" in labelled_columns else "1.0"
    rows = con.execute(
        f'SELECT {LN2!r} * p."match_weight", l.same::DOUBLE, {weight}, {select} FROM {table} p '
        f"JOIN {labelled} l USING (unique_id_l, unique_id_r) "
        "ORDER BY p.unique_id_l, p.unique_id_r"  # the same folds for the same judgements
    ).fetchall()
    if not rows:
        return None
    data = np.array(rows, dtype=float)
    offset, same, x = np.nan_to_num(data[:, 0]), data[:, 1], np.nan_to_num(data[:, 3:])
    if same.min() == same.max():
        return None
    penalty = choose_penalty(x, same, offset, data[:, 2])
    weights = _newton(x, same, offset, data[:, 2], penalty)
    terms = zip(found, weights, strict=True)
    return Layer(tuple((name, sql, float(w)) for (name, sql), w in terms), len(rows), penalty)


def choose_penalty(x: Any, y: Any, offset: Any, case_weights: Any) -> float:
    """The L2 strength of PENALTIES whose fits predict held-out judgements best (mean log-loss
    over FOLDS folds, every FOLDS-th labelled pair held out in turn); the stronger on a tie."""
    folds = np.arange(len(y)) % FOLDS
    best, best_loss = PENALTIES[-1], math.inf
    for penalty in sorted(PENALTIES, reverse=True):
        loss = 0.0
        for k in range(FOLDS):
            train, test = folds != k, folds == k
            if not test.any() or y[train].min() == y[train].max():
                continue
            beta = _newton(x[train], y[train], offset[train], case_weights[train], penalty)
            eta = np.clip(offset[test] + x[test] @ beta, -30, 30)
            # log(1 + e^eta) - y * eta: the negative log-likelihood, stable for large |eta|
            loss += float(np.sum(case_weights[test] * (np.logaddexp(0.0, eta) - y[test] * eta)))
        if loss < best_loss - 1e-9:
            best, best_loss = penalty, loss
    return best


def _newton(x: Any, y: Any, offset: Any, case_weights: Any, penalty: float,
            iterations: int = 100) -> Any:
    """Penalised logistic regression with an offset and case weights, by Newton's method."""
    beta = np.zeros(x.shape[1])
    ridge = penalty * np.eye(x.shape[1])
    for _ in range(iterations):
        mu = 1.0 / (1.0 + np.exp(-np.clip(offset + x @ beta, -30, 30)))
        gradient = x.T @ (case_weights * (y - mu)) - ridge @ beta
        hessian = (x.T * (case_weights * mu * (1 - mu))) @ x + ridge
        step = np.linalg.solve(hessian, gradient)
        beta += step
        if np.abs(step).max() < 1e-8:
            break
    return beta
