"""Per-field explanations of a scored pair: which evidence moved the score, and by how much."""

from __future__ import annotations

import math
from typing import Any


class Explainer:
    """Reads Splink's per-comparison match weights (mw_*, in bits) and levels (gamma_*)."""

    def __init__(self, model: dict[str, Any]) -> None:
        self.labels: dict[str, dict[int, str]] = {}
        for comparison in model["comparisons"]:
            levels = {}
            for level in comparison["comparison_levels"]:
                if level.get("is_null_level"):
                    levels[-1] = "missing on one side"
                    continue
                value = level.get("comparison_vector_value")
                levels[int(value) if value is not None else len(levels)] = level.get(
                    "label_for_charts", level.get("sql_condition", "")
                )
            self.labels[comparison["output_column_name"]] = levels
        self._fill_vector_values(model)

    def _fill_vector_values(self, model: dict[str, Any]) -> None:
        # Splink numbers a comparison's non-null levels from the last (0) to the first (n-1).
        for comparison in model["comparisons"]:
            real = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
            name = comparison["output_column_name"]
            self.labels[name] = {-1: "missing on one side"} | {
                len(real) - 1 - i: _plain(lv.get("label_for_charts") or lv.get("sql_condition", ""))
                for i, lv in enumerate(real)
            }

    def explain(self, row: dict[str, Any]) -> list[dict[str, Any]]:
        """[{field, level, weight}] with weight in bits (log2 Bayes factor), largest first."""
        out = []
        for name, levels in self.labels.items():
            gamma = row.get(f"gamma_{name}")
            weight = row.get(f"mw_{name}")
            if gamma is None or weight is None:
                continue
            weight = float(weight) + float(row.get(f"mw_tf_adj_{name}") or 0.0)
            if math.isinf(weight) or math.isnan(weight):
                weight = 0.0
            out.append(
                {
                    "field": name,
                    "level": levels.get(int(gamma), str(gamma)),
                    "weight": round(weight, 2),
                }
            )
        learnt = row.get("mw_judgements")
        if learnt is not None and not (math.isinf(learnt) or math.isnan(learnt)):
            # What reviewers' judgements taught the model about pairs like this one (the
            # supervised layer over all the comparisons), apart from each field's own weight.
            out.append({"field": "judgements", "level": "learnt from reviewers' judgements",
                        "weight": round(float(learnt), 2)})
        return sorted(out, key=lambda e: -abs(e["weight"]))


def summarise(explanation: list[dict[str, Any]], top: int = 4) -> str:
    """'surnames: both surnames equal (+9.1); birth_date: day and month swapped (+6.0); …'"""
    parts = [
        f"{e['field']}: {e['level']} ({e['weight']:+.1f})" for e in explanation if e["weight"] != 0
    ][:top]
    return "; ".join(parts)


def _plain(label: str) -> str:
    return "disagree" if label == "All other comparisons" else label
