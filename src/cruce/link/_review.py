"""Which pairs a reviewer should judge: those whose answer would teach the model most.

A pair teaches in proportion to how unsure the model is of it (p(1 - p): a pair at 0.999 or
0.001 tells nothing new) and to how many other pairs share what the model saw of it (its
comparison-vector pattern: the levels of every comparison). The N pairs are spread over the
patterns rather than taken as the N nearest 0.5, which are mostly copies of one or two patterns
and so teach the same correction N times: each pattern is worth the square root of its summed
uncertainty, and each further pair taken from a pattern is worth less (value / (k + 1)).
Within a pattern pairs are drawn at random weighted by their uncertainty (the same draw for the
same data: the weight times a hash of the pair's ids), not only those nearest 0.5, which
differ from the rest of their pattern in the one way that put them there (a rare name): the
judged pairs should show the layer of `_learn` the whole pattern. They are listed least sure
first.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection

import duckdb

SURE = 0.001  # a pair scored beyond this (or 1 - this) is left out: its answer is known


def pattern_sql(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """SQL of a pair's comparison-vector pattern (the levels of every comparison)."""
    gammas = [str(r[0]) for r in con.execute(f"DESCRIBE {table}").fetchall()
              if str(r[0]).startswith("gamma_")]
    if not gammas:
        return "''"
    return "concat_ws(',', " + ", ".join(f'coalesce("{g}", -9)::VARCHAR' for g in gammas) + ")"


def allocate(values: dict[str, float], sizes: dict[str, int], n: int) -> dict[str, int]:
    """How many pairs to take from each pattern: greedily the pattern whose next pair is
    worth most (its value / (pairs already taken + 1)), never more than it holds."""
    taken = dict.fromkeys(values, 0)
    heap = [(-(v ** 0.5), key) for key, v in values.items() if v > 0 and sizes[key] > 0]
    heapq.heapify(heap)
    while n > 0 and heap:
        worth, key = heapq.heappop(heap)
        taken[key] += 1
        n -= 1
        if taken[key] < sizes[key]:
            heapq.heappush(heap, (-(values[key] ** 0.5) / (taken[key] + 1), key))
    return {key: k for key, k in taken.items() if k}


def select_for_review(con: duckdb.DuckDBPyConnection, table: str, n: int,
                      judged: Collection[tuple[str, str]] = ()) -> list[tuple[str, str, float]]:
    """The n pairs of `table` (unique_id_l, unique_id_r, match_probability, gamma_*) to judge
    next, least sure first; pairs already judged are left out."""
    if n <= 0:
        return []
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE cruce_review_pool AS SELECT unique_id_l, unique_id_r, "
        f"match_probability AS p, {pattern_sql(con, table)} AS pattern FROM {table} "
        f"WHERE match_probability BETWEEN {SURE!r} AND {1 - SURE!r}"
    )
    if judged:
        con.execute("CREATE OR REPLACE TEMP TABLE cruce_review_judged (a VARCHAR, b VARCHAR)")
        con.executemany("INSERT INTO cruce_review_judged VALUES (?, ?)",
                        [sorted(pair) for pair in judged])
        con.execute("DELETE FROM cruce_review_pool WHERE EXISTS (SELECT 1 FROM "
                    "cruce_review_judged j WHERE j.a = least(unique_id_l, unique_id_r) "
                    "AND j.b = greatest(unique_id_l, unique_id_r))")
    rows = con.execute("SELECT pattern, sum(p * (1 - p)), count(*) FROM cruce_review_pool "
                       "GROUP BY pattern").fetchall()
    shares = allocate({str(r[0]): float(r[1]) for r in rows},
                      {str(r[0]): int(r[2]) for r in rows}, n)
    con.execute("CREATE OR REPLACE TEMP TABLE cruce_review_shares (pattern VARCHAR, k INTEGER)")
    con.executemany("INSERT INTO cruce_review_shares VALUES (?, ?)", list(shares.items()))
    chosen = con.execute(
        "SELECT unique_id_l, unique_id_r, p FROM (SELECT *, row_number() OVER (PARTITION BY "
        "pattern ORDER BY p * (1 - p) * ((hash(unique_id_l || '|' || unique_id_r) % 1000003) "
        "+ 1) DESC, unique_id_l, unique_id_r) AS rank FROM cruce_review_pool) "
        "JOIN cruce_review_shares USING (pattern) WHERE rank <= k "
        "ORDER BY abs(p - 0.5), unique_id_l, unique_id_r"
    ).fetchall()
    return [(str(a), str(b), float(p)) for a, b, p in chosen]
