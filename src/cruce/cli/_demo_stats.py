"""The statistics step of `cruce demo`: a movement summary with its plots, and the
counter-trafficking tables the nodes release together (counted inside each node, combined by
secret sharing, no cell under 11)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from rich.table import Table

from cruce._files import private_dir
from cruce.cli._common import console

DEMO_ROUND = "STATS-DEMO-1"
AS_OF = dt.date(2026, 11, 30)  # the last day of the synthetic flows


def show_statistics(out: Path, agencies: list[str], nodes_dir: Path) -> dict[str, Any]:
    """Flows (synthetic partner counts) and the combined victim tables; their figures."""
    folder = out / "statistics"
    private_dir(folder)
    return {"flows": _flows(folder), "trafficking": _trafficking(agencies, nodes_dir)}


def _flows(folder: Path) -> dict[str, Any]:
    from cruce.cli._flows import print_summary
    from cruce.stats._flow_demo import write_flow_file
    from cruce.stats._flow_summary import daily_by_corridor, summarise_store
    from cruce.stats._flows import flow_store, import_flows
    from cruce.stats._plots import plot_flows

    flows = write_flow_file(folder / "flows.csv", AS_OF)
    db = folder / "stats.duckdb"
    import_flows(flows, db)
    with flow_store(db) as store:
        summary = summarise_store(store)
        daily = daily_by_corridor(store, summary.as_of)
    console.rule("Movement statistics (partners' headcounts at monitoring points, no personal data)")
    print_summary(summary)
    plots = plot_flows(summary, daily, folder / "plots")
    console.print(f"plots: {', '.join(str(p) for p in plots)}", highlight=False)
    return {"store": str(db), "as_of": summary.as_of.isoformat(),
            "people_last_7": summary.demographics["last_7"]["people"],
            "surges": [s.to_dict() for s in summary.surges], "plots": [str(p) for p in plots]}


def _trafficking(agencies: list[str], nodes_dir: Path) -> dict[str, Any]:
    from cruce._node import Node
    from cruce.share import Member, NodeKeys
    from cruce.stats import TOTAL
    from cruce.stats._secure_sum import MIN_CELL, run_round
    from cruce.stats._trafficking import COUNTRIES, SEXES, local_vector, victim_cases

    vectors, victims = {}, {}
    for agency in agencies:
        with Node.open(nodes_dir / f"{agency}.duckdb", user="demo-statistician") as node:
            cases = victim_cases(node, as_of=AS_OF, home_country=agency[:2].upper(),
                                 case_reference=DEMO_ROUND)
        vectors[agency], victims[agency] = local_vector(cases), len(cases)
    keys = {a: NodeKeys.generate() for a in agencies}  # the demo's own; nodes use theirs
    now = dt.datetime.now(dt.UTC)
    members = {a: Member(a, a[:2].upper(), f"https://cruce.{a}.example/", keys[a].public().signing,
                         keys[a].public().encryption, now - dt.timedelta(days=1),
                         now + dt.timedelta(days=1)) for a in agencies}
    published = run_round(vectors, round_id=DEMO_ROUND, coordinator="compact_secretariat",
                          keys=keys, members=members)
    by_nationality = published[0]
    console.rule("Counter-trafficking statistics (combined across nodes by secret sharing)")
    sexes = [*SEXES, TOTAL]
    table = Table("nationality", *sexes, title=f"Identified victims, no cell under {MIN_CELL} "
                  "(x: suppressed)")
    for nationality in (*COUNTRIES, TOTAL):
        table.add_row(nationality, *(by_nationality.render((nationality, s)) for s in sexes))
    console.print(table)
    console.print(f"victims counted inside each node: {victims}; only secret shares left them",
                  highlight=False)
    return {"victims_per_node": victims, "min_cell": MIN_CELL,
            "suppressed": sum(len(t.primary) + len(t.secondary) for t in published),
            "by_nationality_sex": {"|".join(k): by_nationality.render(k)
                                   for k in sorted(by_nationality.values)}}


__all__ = ["show_statistics"]
