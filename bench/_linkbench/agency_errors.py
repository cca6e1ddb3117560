"""Missed and false pairs per agency pair, for each tool (issue 12: where the errors are).

A record's agency is its id up to the last dash (`us_border-0000012` -> `us_border`), the
evaluation world's id layout. A pair's agency pair is the two agencies in name order.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class AgencyPairErrors:
    agencies: str
    true_pairs: int
    missed: dict[str, int]
    false: dict[str, int]


def _predicted(pairs: str, threshold: float | None) -> str:
    keep = f"and probability >= {float(threshold)!r}" if threshold is not None else ""
    return f"""select distinct least(cast(left_id as varchar), cast(right_id as varchar)) as a,
                      greatest(cast(left_id as varchar), cast(right_id as varchar)) as b
               from {pairs} where left_id <> right_id {keep}"""


def by_agency_pair(con: duckdb.DuckDBPyConnection, truth: str,
                   tools: dict[str, tuple[str, float | None]]) -> list[AgencyPairErrors]:
    """`tools`: name -> (pairs relation, threshold or None for every pair in it)."""
    con.execute(f"""create or replace temp table ap_records as
        select record_id, entity_id, regexp_extract(record_id, '^(.*)-[^-]*$', 1) as agency
        from {truth}""")
    con.execute("""create or replace temp table ap_true as
        select l.record_id as a, r.record_id as b from ap_records l join ap_records r
        on l.entity_id = r.entity_id and l.record_id < r.record_id""")
    label = """least(coalesce(ra.agency, '?'), coalesce(rb.agency, '?')) || ' / ' ||
               greatest(coalesce(ra.agency, '?'), coalesce(rb.agency, '?'))"""
    joins = """left join ap_records ra on ra.record_id = x.a
               left join ap_records rb on rb.record_id = x.b"""
    counts: dict[str, dict[str, int]] = {}

    def add(key: str, sql: str) -> None:
        for agencies, n in con.execute(sql).fetchall():
            counts.setdefault(agencies, {})[key] = int(n)

    add("true", f"select {label}, count(*) from ap_true x {joins} group by 1")
    for tool, (pairs, threshold) in tools.items():
        con.execute(f"create or replace temp table ap_pred as {_predicted(pairs, threshold)}")
        add(f"missed:{tool}", f"""select {label}, count(*) from (select * from ap_true
            except select * from ap_pred) x {joins} group by 1""")
        add(f"false:{tool}", f"""select {label}, count(*) from (select * from ap_pred
            except select * from ap_true) x {joins} group by 1""")
    rows = [AgencyPairErrors(agencies, c.get("true", 0),
                             {t: c.get(f"missed:{t}", 0) for t in tools},
                             {t: c.get(f"false:{t}", 0) for t in tools})
            for agencies, c in counts.items()]
    return sorted(rows, key=lambda r: (-sum(r.missed.values()) - sum(r.false.values()),
                                       r.agencies))


def print_breakdown(rows: list[AgencyPairErrors], tools: list[str], caption: str) -> None:
    print(f"Errors by agency pair ({caption}):\n")
    head = " | ".join(f"{t} missed | {t} false" for t in tools)
    print(f"| agencies | true pairs | {head} |")
    print("|---|---:|" + "---:|" * (2 * len(tools)))
    for r in rows:
        cells = " | ".join(f"{r.missed[t]} | {r.false[t]}" for t in tools)
        print(f"| {r.agencies} | {r.true_pairs} | {cells} |")
    totals = " | ".join(f"{sum(r.missed[t] for r in rows)} | {sum(r.false[t] for r in rows)}"
                        for t in tools)
    print(f"| all | {sum(r.true_pairs for r in rows)} | {totals} |\n")
