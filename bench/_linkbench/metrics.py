"""Pairwise precision, recall and F1, computed in DuckDB.

Inputs are relations (table or view names) on one DuckDB connection:

- truth: `record_id, entity_id`; the true pairs are the pairs of records sharing an entity.
  Their number is a sum over group sizes, n(n-1)/2: the pairs themselves are never built.
- pairs: `left_id, right_id[, probability]`, a predicted pair in either order, possibly twice.
- clusters: `id, cluster_id`; the predicted pairs are the pairs sharing a cluster, counted the
  same way (true positives by (cluster, entity) group sizes).

A record missing from the truth is of no entity: every predicted pair with it is false.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb


@dataclass(frozen=True)
class PairScore:
    """Counts of predicted, true and correctly predicted pairs, and the threshold used."""

    predicted: int
    true: int
    tp: int
    threshold: float | None = None

    @property
    def precision(self) -> float:
        return self.tp / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.tp / self.true if self.true else 0.0

    @property
    def f1(self) -> float:
        total = self.predicted + self.true
        return 2 * self.tp / total if total else 0.0


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...]:
    rows = con.execute(sql).fetchall()  # fetch all: DuckDB 2 keeps a half-read result open
    assert len(rows) == 1
    return tuple(rows[0])


def load_truth(con: duckdb.DuckDBPyConnection, name: str, relation: str) -> None:
    """Create table `name` (record_id, entity_id) from a relation with those columns, one row
    per record (a record listed twice keeps one entity)."""
    con.execute(
        f"""create or replace table {name} as
            select cast(record_id as varchar) as record_id,
                   any_value(cast(entity_id as varchar)) as entity_id
            from {relation} group by 1"""
    )


def true_pair_count(con: duckdb.DuckDBPyConnection, truth: str) -> int:
    (count,) = _one(
        con,
        f"""select coalesce(sum(n * (n - 1) // 2), 0)::bigint from (
                select count(*)::bigint as n from {truth}
                where entity_id is not null group by entity_id)""",
    )
    return int(count)


def _labelled_pairs(pairs: str, truth: str, with_probability: bool) -> str:
    """Distinct unordered pairs (highest probability kept), each with hit = same entity."""
    prob = "max(probability)" if with_probability else "1.0"
    return f"""
        with p as (
            select least(left_id, right_id) as a, greatest(left_id, right_id) as b,
                   {prob} as probability
            from (select cast(left_id as varchar) as left_id,
                         cast(right_id as varchar) as right_id
                         {", probability" if with_probability else ""} from {pairs})
            where left_id <> right_id
            group by 1, 2)
        select p.probability,
               coalesce(ta.entity_id = tb.entity_id, false)::int as hit
        from p
        left join {truth} ta on ta.record_id = p.a
        left join {truth} tb on tb.record_id = p.b"""


def score_pairs(
    con: duckdb.DuckDBPyConnection, pairs: str, truth: str, threshold: float | None = None
) -> PairScore:
    """Score the predicted pairs; with `threshold`, only those with probability >= it."""
    keep = f"where probability >= {float(threshold)!r}" if threshold is not None else ""
    predicted, tp = _one(
        con,
        f"""select count(*)::bigint, coalesce(sum(hit), 0)::bigint
            from ({_labelled_pairs(pairs, truth, threshold is not None)}) {keep}""",
    )
    return PairScore(int(predicted), true_pair_count(con, truth), int(tp), threshold)


def best_threshold(con: duckdb.DuckDBPyConnection, pairs: str, truth: str) -> PairScore:
    """The threshold over the pairs' probabilities that gives the highest F1 (exact sweep:
    every distinct probability is a candidate)."""
    true = true_pair_count(con, truth)
    rows = con.execute(
        f"""with l as ({_labelled_pairs(pairs, truth, True)}),
            g as (select probability, count(*) as n, sum(hit) as tp from l group by 1),
            c as (select probability,
                         sum(n) over (order by probability desc) as cn,
                         sum(tp) over (order by probability desc) as ctp
                  from g)
            select probability, cn::bigint, ctp::bigint from c
            order by 2.0 * ctp / (cn + {true}) desc, probability desc limit 1"""
    ).fetchall()
    if not rows:
        return PairScore(0, true, 0, None)
    row = rows[0]
    return PairScore(int(row[1]), true, int(row[2]), float(row[0]))


def score_clusters(con: duckdb.DuckDBPyConnection, clusters: str, truth: str) -> PairScore:
    """Score the pairs implied by clusters (records sharing a cluster_id)."""
    predicted, tp = _one(
        con,
        f"""with c as (select distinct cast(id as varchar) as id,
                              cast(cluster_id as varchar) as cluster_id from {clusters}),
            j as (select c.cluster_id, t.entity_id from c
                  left join {truth} t on t.record_id = c.id)
            select
              (select coalesce(sum(n * (n - 1) // 2), 0) from
                 (select count(*)::bigint as n from c group by cluster_id))::bigint,
              (select coalesce(sum(n * (n - 1) // 2), 0) from
                 (select count(*)::bigint as n from j where entity_id is not null
                  group by cluster_id, entity_id))::bigint""",
    )
    return PairScore(int(predicted), true_pair_count(con, truth), int(tp))
