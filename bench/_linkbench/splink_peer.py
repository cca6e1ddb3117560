"""Splink 5 (DuckDB backend) set up as its own documentation shows.

Febrl (`febrl_settings`): the example notebooks in Splink's repository,
docs/demos/examples/duckdb/febrl3.nb.py (dedupe; used for febrl1-3) and febrl4.nb.py (link only,
its "detailed model"): the same data preparation, comparisons, blocking rules, deterministic
rules and recall for the prior, u by random sampling (max_pairs=1e6), two EM passes (date of
birth, postcode), prediction at 0.2 and, for febrl4, clustering at 0.99.

Each run's wall time covers its own data preparation, training, prediction and clustering; the
results stay in DuckDB as views `splink_pairs(left_id, right_id, probability)` and
`splink_clusters(id, cluster_id)` for scoring (untimed). The Febrl runs (no time target) stay in
this process; on the demo world and the evaluation world Splink runs as a careful user's own
program (careful_splink.py, splink_evalworld.py), timed whole from outside like `cruce link`.
(The demo world's earlier quickstart peer, `splink_demo.py`, is in git history before
2026-12-03.)
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import duckdb

if TYPE_CHECKING:
    import pandas as pd

SEED = 2  # febrl3.nb.py seeds u sampling with 2; used everywhere for repeatable figures


@dataclass(frozen=True)
class SplinkRun:
    seconds: float
    con: duckdb.DuckDBPyConnection
    doc_threshold: float
    steps: dict[str, float] = field(default_factory=dict)


def _quiet() -> None:
    """Splink's progress messages off (Linker(log_level=None) keeps them off)."""
    logging.getLogger("splink").setLevel(logging.WARNING)


@dataclass(frozen=True)
class FebrlPlan:
    """One documented Febrl configuration, as plain data (built into Splink objects late)."""

    link_type: Literal["dedupe_only", "link_only"]
    blocking: list[Any]
    comparisons: list[Any]
    deterministic: list[Any]
    recall: float
    em_rules: list[Any]
    em_without_tf: bool
    predict_threshold: float
    doc_threshold: float


def febrl_plan(dedupe: bool, ssn: bool = True) -> FebrlPlan:
    """febrl3.nb.py (dedupe) or febrl4.nb.py's detailed model (link); without the social
    security number, every comparison, blocking and deterministic rule on it is dropped."""
    import splink.comparison_library as cl
    from splink import block_on

    if dedupe:
        blocking: list[Any] = [
            block_on("soc_sec_id"),
            block_on("given_name"),
            block_on("surname"),
            block_on("date_of_birth"),
            block_on("postcode"),
        ]
        comparisons: list[Any] = [
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ]
        deterministic: list[Any] = [
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
            "l.given_name = r.surname and l.surname = r.given_name"
            " and l.date_of_birth = r.date_of_birth",
        ]
        recall, without_tf, doc_threshold = 0.9, False, 0.2
    else:
        blocking = [
            block_on("given_name", "surname"),
            "l.given_name = r.surname and l.surname = r.given_name",
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("state", "address_1"),
            block_on("street_number", "address_1"),
            block_on("postcode"),
        ]
        comparisons = [
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
        ]
        deterministic = [
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
        ]
        recall, without_tf, doc_threshold = 0.8, True, 0.99
    if not ssn:
        blocking = blocking[1:] if dedupe else blocking[:3] + blocking[4:]
        comparisons = comparisons[:3] + comparisons[4:]
        deterministic = deterministic[1:]
    return FebrlPlan(
        link_type="dedupe_only" if dedupe else "link_only",
        blocking=blocking,
        comparisons=comparisons,
        deterministic=deterministic,
        recall=recall,
        em_rules=[block_on("date_of_birth"), block_on("postcode")],
        em_without_tf=without_tf,
        predict_threshold=0.2,
        doc_threshold=doc_threshold,
    )


def _prepare_febrl(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, name: str,
                   ssn: bool) -> None:
    """The notebooks' prepare step: stripped column names, trimmed text codes."""
    frame = frame.rename(columns={c: c.strip() for c in frame.columns})
    if not ssn:
        frame = frame.drop(columns=["soc_sec_id"])
    con.register(f"{name}_raw", frame)
    trims = [c for c in ("date_of_birth", "soc_sec_id", "postcode") if c in frame.columns]
    replace = ", ".join(f"trim(cast({c} as varchar)) as {c}" for c in trims)
    con.execute(f"create table {name} as select * replace ({replace}) from {name}_raw")
    con.unregister(f"{name}_raw")


def run_febrl(frames: list[pd.DataFrame], ssn: bool = True) -> SplinkRun:
    """Splink on the Febrl frames (one: dedupe, two: link only) as the notebooks do."""
    from splink import DuckDBAPI, Linker, SettingsCreator

    _quiet()
    steps: dict[str, float] = {}
    started = time.perf_counter()
    plan = febrl_plan(dedupe=len(frames) == 1, ssn=ssn)
    con = duckdb.connect()
    names = [f"febrl_{i}" for i in range(len(frames))]
    for frame, name in zip(frames, names, strict=True):
        _prepare_febrl(con, frame, name, ssn)
    db_api = DuckDBAPI(connection=con)
    sdfs = [db_api.register(name) for name in names]
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type=plan.link_type,
        blocking_rules_to_generate_predictions=plan.blocking,
        comparisons=plan.comparisons,
        retain_intermediate_calculation_columns=True,
    )
    linker = Linker(sdfs if len(sdfs) > 1 else sdfs[0], settings, log_level=None)
    steps["prepare"] = time.perf_counter() - started
    linker.training.estimate_probability_two_random_records_match(
        plan.deterministic, recall=plan.recall
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=SEED)
    for rule in plan.em_rules:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=plan.em_without_tf
        )
    steps["train"] = time.perf_counter() - started - steps["prepare"]
    predictions = linker.inference.predict(threshold_match_probability=plan.predict_threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=plan.doc_threshold
    )
    seconds = time.perf_counter() - started
    steps["predict+cluster"] = seconds - steps["prepare"] - steps["train"]
    _views(con, predictions.physical_name, clusters.physical_name, "rec_id")
    return SplinkRun(seconds, con, plan.doc_threshold, steps)


def _views(con: duckdb.DuckDBPyConnection, predictions: str, clusters: str, uid: str) -> None:
    con.execute(
        f"""create or replace view splink_pairs as
            select cast({uid}_l as varchar) as left_id, cast({uid}_r as varchar) as right_id,
                   match_probability as probability from {predictions}"""
    )
    con.execute(
        f"""create or replace view splink_clusters as
            select cast({uid} as varchar) as id, cast(cluster_id as varchar) as cluster_id
            from {clusters}"""
    )
