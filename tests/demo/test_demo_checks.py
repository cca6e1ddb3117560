"""The border-checks step of `cruce demo`: three agencies import alerts drawn from their own
records on their own nodes, a 50-traveller manifest with the contract's columns is checked at
each, and exactly the planted travellers hit (a misread document number lower, a misspelt
surname still), each check a logged consultation. On the session's world, without the ingest:
the alerts and the checks need only the nodes."""

from __future__ import annotations

import csv
from pathlib import Path

from cruce._node import Node
from cruce.checks import MANIFEST_COLUMNS, RESULT_COLUMNS
from cruce.cli._demo_checks import show_checks
from cruce.demo import WorldSummary

AGENCIES = ["gt_police", "hn_police", "mx_migration", "sv_police", "us_border"]


def test_the_demo_checks_a_manifest_and_only_the_planted_travellers_hit(
        world: WorldSummary, tmp_path: Path) -> None:
    nodes = tmp_path / "nodes"
    nodes.mkdir()
    for agency in AGENCIES:
        Node.open(nodes / f"{agency}.duckdb", agency=agency, user="demo").close()

    figures = show_checks(tmp_path, world.out_dir, AGENCIES, nodes, seed=2019)

    with (tmp_path / "checks" / "manifest.csv").open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        manifest = list(reader)
    assert tuple(reader.fieldnames or ()) == MANIFEST_COLUMNS
    assert len(manifest) == figures["travellers"] == 50
    for row in manifest:  # as airlines write names
        for name in (row["given_names"], row["surnames"]):
            assert name.isascii() and name == name.upper()
    with (tmp_path / "RESULTS.csv").open(newline="", encoding="utf-8") as fh:
        results = list(csv.reader(fh))
    assert tuple(results[0]) == RESULT_COLUMNS
    hits = {(alert, kind): float(score) for _, kind, alert, score in results[1:]}
    assert set(hits) == {("GT-W-1", "person"), ("GT-V-1", "vehicle"), ("MX-M-1", "person"),
                         ("US-D-1", "document"), ("US-D-2", "document")}
    assert hits["US-D-2", "document"] < hits["US-D-1", "document"] == 1.0  # misread, lower
    assert figures["hits"] == {"document": 2, "person": 2, "vehicle": 1}
    assert figures["alerts"] == {"gt_police": 2, "mx_migration": 1, "us_border": 2}

    misspelt = next(r for r in manifest if r["traveller_id"] == next(
        t for t, _, a, _ in results[1:] if a == "GT-W-1"))
    planted = (tmp_path / "checks" / "gt_police.alerts.jsonl").read_text(encoding="utf-8")
    assert misspelt["surnames"] not in planted  # the name hit despite the misspelling

    for agency, alert in (("gt_police", "GT-W-1"), ("us_border", "US-D-1")):
        with Node.open(nodes / f"{agency}.duckdb") as node:  # on its issuer's node, logged
            assert {a.issuer for a in node.store.list_alerts()} == {agency}
            assert node.audit is not None
            seen = node.audit.who_saw(f"alert:{alert}")
            assert [e.event["justification"]["purpose"] for e in seen] == ["border_security"]
