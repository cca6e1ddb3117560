"""After scoring: reviewers' judgements as training evidence and as constraints.

Every blocked pair is scored down to a floor (table `cruce_scored`). With judgements, the layer
of `_learn` is fitted on the judged pairs and rescores every pair (Splink's probability is kept
as `splink_probability`, the change in bits as `mw_judgements`, so each explanation still shows
what moved it); then the judged pairs themselves are forced (`same` 1, `different` 0), and
clusters are built from the strongest links down, never across a `different` judgement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb

from cruce.link import _learn
from cruce.link._agreement import cluster
from cruce.link._judgements import Judgement, Verdict

MIN_EACH = 2  # judged pairs of each kind (same, different) below which nothing is learnt


@dataclass(frozen=True)
class Judged:
    """The tables of a run after its judgements: pairs at the threshold, clusters, and all
    scored pairs (for review)."""

    pairs_table: str
    clusters_table: str
    scored_table: str
    layer: _learn.Layer | None


def current(judgements: Sequence[Judgement]) -> dict[tuple[str, str], Verdict]:
    """The latest verdict of each judged pair (ids in order)."""
    latest: dict[tuple[str, str], Verdict] = {}
    for j in judgements:
        latest[(j.left_id, j.right_id)] = j.verdict
    return latest


def apply(con: duckdb.DuckDBPyConnection, scored: str, ids: Sequence[str],
          judgements: Sequence[Judgement], threshold: float, learn: bool = True) -> Judged:
    """Learn from the judgements (unless not `learn`: constraints only), force the judged
    pairs, cluster; `scored` is replaced by the rescored table of the same name."""
    verdicts = {pair: v for pair, v in current(judgements).items() if v is not Verdict.UNSURE}
    _labels_table(con, verdicts)
    layer = None
    sames = sum(v is Verdict.SAME for v in verdicts.values())
    if learn and min(sames, len(verdicts) - sames) >= MIN_EACH:
        layer = _learn.fit(con, scored, "cruce_judged_labels")
    if layer is not None:
        logit = layer.logit_sql()
        con.execute(
            f"CREATE OR REPLACE TABLE cruce_learned AS SELECT * REPLACE ("
            f"1.0 / (1.0 + exp(-({logit}))) AS match_probability), "
            f"match_probability AS splink_probability, "
            f'(({logit}) / {_learn.LN2!r} - "match_weight") AS mw_judgements FROM {scored}'
        )
        con.execute(f"DROP TABLE IF EXISTS {scored}")
        con.execute(f"ALTER TABLE cruce_learned RENAME TO {scored}")
    # The judged pairs: as the reviewers said, whatever the model thinks (which stays, as
    # `model_probability`, what evaluating the model against the judgements reads).
    con.execute(f"ALTER TABLE {scored} ADD COLUMN model_probability DOUBLE")
    con.execute(f"UPDATE {scored} SET model_probability = match_probability")
    con.execute(
        f"UPDATE {scored} s SET match_probability = CASE WHEN l.same THEN 1.0 ELSE 0.0 END "
        "FROM cruce_judged_labels l WHERE l.unique_id_l = s.unique_id_l AND "
        "l.unique_id_r = s.unique_id_r"
    )
    con.execute(
        f"INSERT INTO {scored} BY NAME SELECT unique_id_l, unique_id_r, "
        "1.0 AS match_probability, 1.0 AS model_probability FROM cruce_judged_labels l "
        "WHERE l.same AND l.unique_id_l < l.unique_id_r AND NOT EXISTS ("
        f"SELECT 1 FROM {scored} s WHERE least(s.unique_id_l, s.unique_id_r) = l.unique_id_l "
        "AND greatest(s.unique_id_l, s.unique_id_r) = l.unique_id_r)"
    )
    clusters = cluster(con, scored, ids, judgements, threshold)
    pairs = "cruce_pairs"
    # With a learnt layer, a pair is kept only if its clusters agree: the layer fitted on a few
    # hundred labels is noisy pair by pair, the clusters (which weigh every link around) less so.
    agree = "" if layer is None else (
        f" AND (SELECT c.cluster_id FROM {clusters} c WHERE c.unique_id = s.unique_id_l) = "
        f"(SELECT c.cluster_id FROM {clusters} c WHERE c.unique_id = s.unique_id_r)")
    con.execute(f"CREATE OR REPLACE VIEW {pairs} AS SELECT * FROM {scored} s "
                f"WHERE match_probability >= {float(threshold)!r}{agree}")
    return Judged(pairs, clusters, scored, layer)


def _labels_table(con: duckdb.DuckDBPyConnection,
                  verdicts: Mapping[tuple[str, str], Verdict]) -> None:
    """cruce_judged_labels (unique_id_l, unique_id_r, same): each pair in both orders, so that it
    joins the scored pairs whichever way Splink wrote them."""
    con.execute("CREATE OR REPLACE TABLE cruce_judged_labels "
                "(unique_id_l VARCHAR, unique_id_r VARCHAR, same BOOLEAN)")
    rows = [(a, b, v is Verdict.SAME) for (a, b), v in verdicts.items()]
    rows += [(b, a, same) for a, b, same in rows]
    if rows:
        con.executemany("INSERT INTO cruce_judged_labels VALUES (?, ?, ?)", rows)
