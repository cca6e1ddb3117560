"""`cruce demo`: build the synthetic world, give each agency its node, ingest, and report."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from cruce._files import private_dir, private_file
from cruce.cli._common import JsonOption, console, print_json, reports_errors
from cruce.cli._demo_checks import show_checks
from cruce.cli._demo_stats import show_statistics

if TYPE_CHECKING:
    from collections.abc import Callable

    from cruce.link import LinkResult
    from cruce.records import Record

DEMO_CASE = "COMPACT-DEMO-1"


@dataclass
class Story:
    """What the demo learnt from its logged consultations (the exports it linked), so that the
    networked part and the audit story need no further read of the stores."""

    purpose: dict[str, str] = field(default_factory=dict)  # record id -> purpose area
    caption: dict[str, str] = field(default_factory=dict)  # record id -> caption
    victims: dict[str, str] = field(default_factory=dict)  # agency -> one victim's record id
    first: dict[str, str] = field(default_factory=dict)  # agency -> first shareable person
    pair: tuple[str, str] | None = None  # one person in hn_police's and gt_police's records


@reports_errors
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the world's files and the node stores.")] = Path("demo-out"),
    people: Annotated[int, typer.Option(help="How many true people the world holds.")] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the world: same seed, same world.")] = 2019,
    network: Annotated[bool, typer.Option(help="Then serve the five nodes on 127.0.0.1 and "
                                          "let them share and answer a request.")] = True,
    as_json: JsonOption = False,
) -> None:
    """Build the demo world, ingest every agency into its own node, and summarise (with
    --json: the story untold, its figures as one JSON document)."""
    quiet, console.quiet = console.quiet, as_json or console.quiet
    try:
        summary = _run(out, people, seed, network)
    finally:
        console.quiet = quiet
    if as_json:
        print_json(summary)


def _run(out: Path, people: int, seed: int, network: bool) -> dict[str, Any]:
    from cruce.demo import WorldSpec, generate_world

    if out.exists():
        shutil.rmtree(out)
    world_dir = out / "world"
    nodes_dir = out / "nodes"
    private_dir(nodes_dir)  # the stores hold case data: 0700, whatever the umask
    with console.status("generating the synthetic world"):
        generate_world(world_dir, WorldSpec(seed=seed, people=people))
    agencies = sorted(p.name for p in world_dir.iterdir() if (p / "mapping.yml").exists())
    for agency in agencies:
        _ingest_agency(agency, world_dir / agency / "mapping.yml", nodes_dir / f"{agency}.duckdb")
    summary: dict[str, Any] = {"out": str(out), "agencies": _summarise(agencies, nodes_dir)}
    story = _link_across(agencies, nodes_dir, out / "shared", summary)
    if network:
        from cruce.cli._demo_exchange import exchange

        exchange(agencies, nodes_dir, story)
    summary["network"] = network
    summary["statistics"] = show_statistics(out, agencies, nodes_dir)  # flows, victims (stats)
    summary["checks"] = show_checks(out, world_dir, agencies, nodes_dir, seed)  # a manifest
    if story.pair is not None and "hn_police" in agencies:  # the record the story followed
        summary["audit"] = _show_audit(nodes_dir / "hn_police.duckdb", story.pair[0])
    elif agencies[0] in story.first:
        summary["audit"] = _show_audit(nodes_dir / f"{agencies[0]}.duckdb",
                                       story.first[agencies[0]])
    return summary


def _ingest_agency(agency: str, mapping: Path, db: Path) -> None:
    from cruce._node import Node

    with Node.open(db, agency=agency, user="demo") as node:
        for dataset, source in node.sources_of(mapping):
            with console.status(f"{agency}: ingesting {source.name}"):
                node.ingest(source, mapping=mapping, dataset=dataset)


def _summarise(agencies: list[str], nodes_dir: Path) -> list[dict[str, Any]]:
    from cruce._node import Node

    totals = Table("agency", "records", "people", "by schema", title="Records per agency")
    detail = Table("agency", "purpose area", "handling", "TLP", "records",
                   title="How the records may be used")
    counted = []
    for agency in agencies:
        with Node.open(nodes_dir / f"{agency}.duckdb") as node:
            by_schema = node.stats("schema")
            people = sum(n for s, n in by_schema if s == "Person")
            total = sum(n for _, n in by_schema)
            totals.add_row(agency, str(total), str(people),
                           ", ".join(f"{s} {n}" for s, n in by_schema))
            handling = node.stats("purpose", "handling_code", "tlp")
            for purpose, code, tlp, n in handling:
                detail.add_row(agency, purpose, code, tlp, str(n))
        counted.append({"agency": agency, "records": total, "people": people,
                        "by_schema": dict(by_schema),
                        "handling": [{"purpose": p, "handling_code": c, "tlp": t, "records": n}
                                     for p, c, t, n in handling]})
    console.print(totals)
    console.print(detail)
    return counted


def _link_across(agencies: list[str], nodes_dir: Path, shared: Path,
                 summary: dict[str, Any]) -> Story:
    """Each agency puts forward the people it may share (never victims); cruce links them.
    Each area's records are read under that area's purpose: one logged consultation each."""
    from cruce._node import Node
    from cruce._why import justification
    from cruce.link import link_files, summarise
    from cruce.records import PurposeArea

    private_dir(shared)
    story = Story()
    files = []
    for agency in agencies:
        path = shared / f"{agency}.jsonl"
        with Node.open(nodes_dir / f"{agency}.duckdb", user="demo") as node, \
                private_file(path) as fh:
            for area in PurposeArea:  # each record read once, under its own purpose
                why = justification(area.value, DEMO_CASE, "cross-border linkage demo")
                for record in node.export(why, schema="Person", collected_for=[area.value]):
                    _remember(story, agency, record)
                    if record.envelope.is_shareable:
                        fh.write(json.dumps(record.entity.to_dict(), ensure_ascii=False) + "\n")
        files.append(path)
    with console.status("linking the five agencies' people"):
        result = link_files(files, threshold=0.5)
    result.write_pairs(shared / "pairs.csv")
    result.write_clusters(shared / "clusters.csv")
    summary["linkage"] = {"shareable_records": result.records,
                          "cross_border_people": _print_cross_border(result, summarise),
                          "model_version": result.model_version}
    story.pair = _pair(result, "hn_police", "gt_police")
    return story


def _remember(story: Story, agency: str, record: Record) -> None:
    story.purpose[record.id] = record.envelope.purpose.value
    story.caption[record.id] = record.caption
    category = record.envelope.subject_category
    if category is not None and category.value == "victim":
        story.victims.setdefault(agency, record.id)
    if record.envelope.is_shareable and record.id < story.first.get(agency, "\uffff"):
        story.first[agency] = record.id


def _pair(result: LinkResult, left: str, right: str) -> tuple[str, str] | None:
    """One person the linkage found in both agencies: (left's record id, right's)."""
    con, clusters = result.con, result.clusters_table
    rows = con.execute(
        f"SELECT l.unique_id, r.unique_id FROM {clusters} cl JOIN features l "
        f"ON l.unique_id = cl.unique_id JOIN {clusters} cr ON cr.cluster_id = cl.cluster_id "
        "JOIN features r ON r.unique_id = cr.unique_id "
        "WHERE l.source LIKE ? AND r.source LIKE ? ORDER BY l.unique_id LIMIT 1",
        [f"%{left}%", f"%{right}%"],
    ).fetchall()
    return (str(rows[0][0]), str(rows[0][1])) if rows else None


def _print_cross_border(result: LinkResult, summarise: Callable[..., str]) -> int:
    con, clusters = result.con, result.clusters_table
    row = con.execute(
        f"SELECT count(*) FROM (SELECT cluster_id FROM {clusters} c JOIN features f "
        "ON f.unique_id = c.unique_id GROUP BY cluster_id HAVING count(DISTINCT f.source) > 1)"
    ).fetchall()[0]
    people = int(row[0]) if row else 0
    console.print(f"Cross-border people: {people} people known to more than one "
                  f"agency, from {result.records} shareable records "
                  f"(model {result.model_version})", highlight=False)
    table = Table("probability", "one agency's record", "another's", "evidence",
                  title="A few cross-border links and why")
    for p in result.explained_pairs(4, "source_l <> source_r AND match_probability < 0.999"):
        table.add_row(f"{p['match_probability']:.3f}", _who(p, "l"), _who(p, "r"),
                      summarise(p["explanation"], top=3))
    console.print(table)
    return people


def _who(row: dict[str, object], side: str) -> str:
    source = Path(str(row.get(f"source_{side}"))).stem
    name = " ".join(str(row[k]) for k in (f"given1_{side}", f"surname1_{side}",
                                          f"surname2_{side}") if row.get(k))
    return f"{name} ({source}, born {row.get(f'dob_{side}') or '?'})"


def _show_audit(db: Path, record: str) -> dict[str, Any]:
    """The end of the story: the node's signed audit head, a full verification, and who saw
    one record (the demo looked at each to link them)."""
    from cruce._node import Node
    from cruce.audit import verify_log
    from cruce.audit._sth import PUBLIC_KEY_FILE

    console.rule(f"The audit log of {db.stem}")
    with Node.open(db, user="demo") as node:
        assert node.audit is not None
        head = node.audit.head()
        seen = node.audit.who_saw(record)
        folder = node.audit.directory
    report = verify_log(folder, (folder / PUBLIC_KEY_FILE).read_bytes())
    console.print(f"head: {head.tree_size} entries, root {head.root_hash.hex()[:16]}…, signed "
                  f"{head.at.isoformat(timespec='seconds')}", highlight=False)
    console.print(f"verify: ok, {report.tree_size} entries and {report.heads_checked} signed "
                  "heads recomputed with the published key alone", highlight=False)
    console.print(f"who saw {record} (cruce audit who-saw):", highlight=False, soft_wrap=True)
    for entry in seen:
        e = entry.event
        to = f" to {', '.join(e['recipients'])}" if e["recipients"] else ""
        console.print(f"  #{entry.index} {e['at'][:19]} {e['op']}{to} by {e['actor']['user']} "
                      f"({e['actor']['agency']}, {e['actor']['role']}) for "
                      f"{e['justification']['purpose']}, case "
                      f"{e['justification']['case_reference'] or '-'}", highlight=False)
    return {"agency": db.stem, "tree_size": head.tree_size, "root_hash": head.root_hash.hex(),
            "verified_entries": report.tree_size, "record": record,
            "who_saw": [entry.event["op"] for entry in seen]}
