"""Clusters from scored pairs: strongest links first, joined only where the pairs across agree."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pyarrow as pa

from cruce.link._judgements import Judgement, Resolver


def cluster(con: duckdb.DuckDBPyConnection, scored: str, ids: Sequence[str],
            judgements: Sequence[Judgement], threshold: float) -> str:
    """Table `cruce_clusters` (unique_id, cluster_id), each cluster named by its smallest id.

    Links at or above the threshold join clusters strongest first, as connected components
    would, but two clusters of more than one record join only if their scored pairs across
    average at least the threshold: one strong link between a father's records and his son's
    (same names, same place) no longer chains the two people together when every other pair
    across says they differ. Judged `same` pairs always join, `different` ones never do."""
    resolver = Resolver(list(judgements))
    rows = con.execute(f"SELECT unique_id_l, unique_id_r, match_probability FROM {scored}"
                       ).fetchall()
    probability: dict[tuple[str, str], float] = {}
    for a, b, p in rows:
        probability[(str(a), str(b))] = probability[(str(b), str(a))] = float(p)
    members: dict[str, list[str]] = {}
    for record in ids:  # judged-same records start together
        members.setdefault(resolver.find(record), []).append(record)
    links = sorted(((p, a, b) for (a, b), p in probability.items() if a < b and p >= threshold),
                   key=lambda t: (-t[0], t[1], t[2]))
    for p, a, b in links:
        ra, rb = resolver.find(a), resolver.find(b)
        if ra == rb:
            continue
        left, right = members[ra], members[rb]
        if p < 1.0 and not _agree_across(left, right, probability, threshold):
            continue
        if resolver.union(a, b):
            root = resolver.find(a)
            del members[ra], members[rb]
            members[root] = left + right
    roots = {record: resolver.find(record) for record in ids}
    smallest: dict[str, str] = {}
    for record, root in roots.items():
        if root not in smallest or record < smallest[root]:
            smallest[root] = record
    table = pa.table({"unique_id": list(roots),
                      "cluster_id": [smallest[root] for root in roots.values()]})
    con.register("cruce_cluster_rows", table)
    con.execute("CREATE OR REPLACE TABLE cruce_clusters AS SELECT * FROM cruce_cluster_rows")
    con.unregister("cruce_cluster_rows")
    return "cruce_clusters"


MAX_CHECKED = 10_000  # pairs across two clusters beyond which they join unchecked (time)


def _agree_across(left: list[str], right: list[str], probability: dict[tuple[str, str], float],
                  threshold: float) -> bool:
    """Whether the scored pairs between two clusters average at least the threshold (two
    single records: their one link already does)."""
    if len(left) == 1 and len(right) == 1 or len(left) * len(right) > MAX_CHECKED:
        return True
    scores = [probability[(x, y)] for x in left for y in right if (x, y) in probability]
    return sum(scores) / len(scores) >= threshold
