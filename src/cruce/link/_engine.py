"""Running the model: train (u by random sampling, m by EM), predict, cluster; all in Splink."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb
from splink import Linker, SettingsCreator, block_on
from splink.internals.blocking_rule_creator import BlockingRuleCreator

from cruce.link._backends import Backend, use_in_country_frequencies
from cruce.link._model import (
    LIST_COLUMNS,
    PRESENCE,
    WIDE_BUDGET_PER_RECORD,
    WIDE_RULES,
    settings,
)

Progress = Callable[[str], None]
EM_MAX_PAIRS = 2_000_000
U_ONE_PASS_UP_TO = 1_000_000  # random pairs for u counted in one pass, not in Splink's chunks
QUIET = logging.ERROR  # Splink narrates every step at INFO; cruce shows its own progress


def _linker(runner: Backend, model: SettingsCreator | dict[str, Any]) -> Linker:
    """Splink's Linker without its settings validation, which parses every SQL condition again
    (0.4 s a Linker): cruce's settings are its own, tests/link/test_model.py validates them."""
    linker = Linker(runner.features(), model, log_level=QUIET, validate_settings=False)
    use_in_country_frequencies(runner, linker)
    return linker


@dataclass
class Trained:
    """A trained model: Splink's settings JSON and cruce's version of it."""

    model: dict[str, Any]
    version: str


def affordable_wide_rules(con: duckdb.DuckDBPyConnection, records: int) -> list[tuple[str, ...]]:
    """The wide blocking rules whose exact comparison count fits the budget."""
    budget = WIDE_BUDGET_PER_RECORD * max(records, 1000)
    chosen = []
    for columns in WIDE_RULES:
        cols = ", ".join(columns)
        values = ", ".join(f"unnest({c}) AS {c}" if c in LIST_COLUMNS else c for c in columns)
        present = " AND ".join(f"{c} IS NOT NULL" for c in columns)
        row = con.execute(
            f"SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM (SELECT count(*) AS n FROM "
            f"(SELECT {values} FROM features WHERE {present}) GROUP BY {cols})"
        ).fetchall()[0]
        if 0 < row[0] <= budget:  # none: the data lacks the columns, the rule would find nothing
            chosen.append(columns)
    return chosen


def absent_comparisons(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The comparisons whose property no record carries: they could only cost time."""
    counts = ", ".join(f"count({column})" for column in PRESENCE.values())
    row = con.execute(f"SELECT {counts} FROM features").fetchall()[0]
    return [name for name, n in zip(PRESENCE, row, strict=True) if not n]


MIN_LABELS = 5  # fewer reviewed matches than this tell m nothing EM does not


def train(runner: Backend, records: int, progress: Progress,
          labels: list[tuple[str, str]] | None = None) -> tuple[Linker, Trained]:
    """Estimate the model on the records in table `features`: unsupervised, then (with enough
    reviewers' `same` judgements as labels) m re-estimated from those labelled pairs."""
    wide = affordable_wide_rules(runner.con, records)
    absent = absent_comparisons(runner.con)
    linker = _linker(runner, settings(wide, absent))
    progress("estimating how often two records match")
    deterministic: list[str | BlockingRuleCreator] = [
        block_on("documents", arrays_to_explode=["documents"]),
        block_on("given1", "surname1", "surname2", "dob"),
    ]
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
    floor = 0.5 / max(records, 2)
    if linker._settings_obj._probability_two_random_records_match < floor:
        # No exact duplicates to count (a clean single source): start EM from one expected
        # match in two records rather than from zero, which no evidence could overcome.
        linker._settings_obj._probability_two_random_records_match = floor
    progress("estimating u by random sampling")
    # u from 5 random pairs per record (100k to 5M). Splink counts them in ten chunks after a
    # probe, stopping early once every level of a comparison has 100 pairs; the rarest levels
    # (a swapped date, a document one edit apart) never get there, and on small data the
    # chunks' query overhead is most of the cost: there, one pass per comparison.
    max_pairs = min(5e6, max(1e5, records * 5))
    linker.training.estimate_u_using_random_sampling(
        max_pairs=max_pairs, seed=2019, num_chunks=1 if max_pairs <= U_ONE_PASS_UP_TO else 10
    )
    progress("estimating m by expectation maximisation")
    _with_em(linker)
    model: dict[str, Any] = linker.misc.save_model_to_json()
    if labels and len(labels) >= MIN_LABELS:
        progress("estimating m from reviewers' judgements")
        model = _with_labels(runner, model, labels)
        linker = _linker(runner, model)
    return linker, Trained(model, model_version(model))


def _with_labels(runner: Backend, model: dict[str, Any],
                 labels: list[tuple[str, str]]) -> dict[str, Any]:
    """m from pairs reviewers judged the same person (Splink's supervised estimate)."""
    import pyarrow as pa

    linker = _linker(runner, model)
    table = pa.table({"unique_id_l": [a for a, _ in labels], "unique_id_r": [b for _, b in labels],
                      "source_dataset_l": ["features"] * len(labels),
                      "source_dataset_r": ["features"] * len(labels)})
    registered = linker.table_management.register_table(table.to_pandas(), "cruce_labels",
                                                        overwrite=True)
    linker.training.estimate_m_from_pairwise_labels(registered)  # type: ignore[no-untyped-call]
    trained: dict[str, Any] = linker.misc.save_model_to_json()
    return trained


def _with_em(linker: Linker) -> None:
    """m by EM on the trained linker, in two blocks so that each comparison is estimated in one
    of them; the FIXED_M comparisons keep their set m values (fix_m_probability)."""
    settings = linker._settings_obj
    for rule in (block_on("dob"), block_on("surname1_phonetic", "given1_phonetic")):
        # Splink's EM session takes the comparisons its blocking rule uses out of the linker's
        # own settings while it trains and puts them back only when it succeeds: an EM that
        # fails would leave the model without them (the names, or the birth date), and every
        # pair would then be scored without that evidence.
        before = copy.deepcopy(settings.core_model_settings)
        try:
            # EM needs a sample, not every pair of a wide block (50M at 635k records).
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True, max_pairs=EM_MAX_PAIRS
            )
        except ValueError as exc:  # a level unseen in this block: keep the other estimates
            settings.core_model_settings = before
            logging.getLogger(__name__).warning("EM on one block skipped: %s", exc)


def model_version(model: dict[str, Any]) -> str:
    """A short content hash: every stored score names the model that made it."""
    import hashlib

    text = json.dumps(model, sort_keys=True, separators=(",", ":"))
    return "m-" + hashlib.sha256(text.encode()).hexdigest()[:12]


def predict_all(runner: Backend, linker: Linker, floor: float, progress: Progress) -> str:
    """Score every blocked pair down to probability `floor` (reviewing and learning need the
    unsure and the unlikely pairs too); returns the DuckDB table."""
    progress("scoring pairs")
    pairs = linker.inference.predict(threshold_match_probability=floor)
    return runner.to_duckdb(pairs, "cruce_scored")
