"""Purpose limitation at consultation (issue 10 #10): a search, read or export returns only
records whose purpose is compatible with the stated one, says how many it withheld, and logs
only what it returned; the CLI consults as the operator, not as `admin`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cruce import Node, justification
from cruce.cli import app
from cruce.errors import PermissionDenied
from cruce.records import PurposeArea, _purposes
from cruce.records._purposes import compatible

runner = CliRunner()
BORDER = justification("border_security", "US-2026-9", "border check")
GANGS = justification("gangs_organized_crime", "HN-2026-0042", "a lead")
TRAFFICKING = justification("trafficking_smuggling", "HN-2026-0077", "a route")
INTEL = justification("intelligence", "HN-INT-3", "analysis")
SHORT = {"trafficking": "trafficking_smuggling", "gangs": "gangs_organized_crime",
         "intelligence": "intelligence", "border": "border_security"}


def documented_table() -> dict[tuple[str, str], bool]:
    """The oracle: the table as the module's docstring writes it, read as text."""
    doc = _purposes.__doc__ or ""
    header = next(line for line in doc.splitlines() if "record's purpose" in line)
    columns = [SHORT[w] for w in header.split("\\")[1].split()[2:]]
    table: dict[tuple[str, str], bool] = {}
    for line in doc.splitlines():
        words = line.split()
        if words and words[0] in {p.value for p in PurposeArea} and len(words) == 5:
            for column, cell in zip(columns, words[1:], strict=True):
                table[(words[0], column)] = cell == "yes"
    return table


def test_compatible_follows_the_documented_table_cell_by_cell() -> None:
    table = documented_table()
    assert len(table) == 16
    for (stated, held), allowed in table.items():
        assert compatible(stated, held) is allowed, (stated, held)
    assert not compatible("border_security", "gangs_organized_crime")  # the finding itself
    assert all(compatible(p.value, p.value) for p in PurposeArea)
    for bad in ("", "admin", "BORDER_SECURITY", "border_security "):
        assert not compatible(bad, "border_security") and not compatible("border_security", bad)
    assert not compatible("border_security", None)


def test_the_legal_basis_is_named() -> None:
    doc = _purposes.__doc__ or ""
    assert re.search(r"Directive 2016/680 Art\. 4\(1\)\(b\)", doc)
    assert "Art. 4(2)" in doc


# -- on a node ---------------------------------------------------------------------------------
def border_lines(path: Path) -> Path:
    items = [{"id": "us-1", "schema": "Person", "properties": {"name": ["Jose Hernandez"]}},
             {"id": "us-2", "schema": "Person", "properties": {"name": ["Ana Hernandez"]}}]
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


@pytest.fixture()
def mixed(tmp_path: Path, agency_dir: Path) -> Path:
    """hn_police's gang records (9, 2 named Hernandez) and border records (2, both Hernandez)."""
    db = tmp_path / "hn.duckdb"
    with Node.open(db, agency="hn_police", user="loader") as node:
        node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
        node.ingest(border_lines(tmp_path / "border.jsonl"), envelope={
            "dataset": "crossings", "purpose": "border_security", "handling_code": "H0",
            "tlp": "AMBER", "source_reliability": "B", "information_accuracy": "2",
            "retain_until": "2031-12-31"})
    return db


def consulted(node: Node) -> list[list[str]]:
    assert node.audit is not None
    return [e.event["record_ids"] for e in node.audit.iter_events()
            if e.event["op"] == "consultation"]


def test_a_border_search_of_gang_records_returns_and_logs_none_of_them(mixed: Path) -> None:
    with Node.open(mixed, user="officer") as node:
        found = node.search("hernandez", BORDER)
        assert sorted(r.id for r in found) == ["us-1", "us-2"]
        assert found.withheld == 2  # the two gang records named Hernandez
        assert {r.envelope.purpose for r in found} == {"border_security"}
        assert consulted(node) == [["us-1", "us-2"]]
        gangs = node.search("hernandez", GANGS)
        assert (len(gangs), gangs.withheld) == (2, 2)
        assert {r.envelope.purpose for r in gangs} == {"gangs_organized_crime"}
        both = node.search("hernandez", TRAFFICKING)  # compatible with both areas
        assert (len(both), both.withheld) == (4, 0)
        assert node.search("hernandez", INTEL) == [] and node.search("hernandez", INTEL).withheld == 4


def test_a_read_of_an_incompatible_record_is_refused_and_not_logged_as_read(mixed: Path) -> None:
    with Node.open(mixed, user="officer") as node:
        gang_id = node.search("tzul", GANGS)[0].id
        before = consulted(node)
        with pytest.raises(PermissionDenied) as refused:
            node.get(gang_id, BORDER)
        assert refused.value.message == (
            f"record {gang_id!r} was collected for a purpose not compatible with border_security "
            "(purpose limitation, Directive 2016/680 Art. 4(1)(b))")
        assert consulted(node) == before
        assert node.get(gang_id, TRAFFICKING).id == gang_id


def test_an_export_streams_only_what_the_purpose_may_read(mixed: Path) -> None:
    with Node.open(mixed, user="officer") as node:
        exported = node.export(BORDER)
        assert exported.withheld == 9
        assert sorted(r.id for r in exported) == ["us-1", "us-2"]
        people = node.export(GANGS, schema="Person")
        assert (len(list(people)), people.withheld) == (4, 2)


def test_the_cli_consults_as_the_operator_and_says_what_it_withheld(
    mixed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRUCE_USER", raising=False)
    db = str(mixed)
    args = ["--purpose", "border_security", "--case", "US-2026-9"]
    shown = runner.invoke(app, ["--user", "ana.lopez", "search", "hernandez", "--db", db, *args])
    assert shown.exit_code == 0, shown.output
    assert " ".join(shown.output.split()).endswith(
        "2 records; 2 more withheld: collected for purposes not compatible with border_security")
    as_json = runner.invoke(app, ["search", "hernandez", "--db", db, *args, "--json"],
                            env={"CRUCE_USER": "ben.ortiz"})
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert data["withheld"] == 2 and [r["id"] for r in data["records"]] == ["us-1", "us-2"]
    out = mixed.parent / "export.jsonl"
    exported = runner.invoke(app, ["export", "--db", db, "-o", str(out), *args])
    assert exported.exit_code == 0, exported.output
    assert len(out.read_text().splitlines()) == 2
    assert "2 records exported; 9 withheld" in " ".join(exported.output.split())
    with Node.open(mixed) as node:
        assert node.audit is not None
        actors = [e.event["actor"] for e in node.audit.iter_events()
                  if e.event["op"] == "consultation"]
    assert actors == [{"agency": "hn_police", "user": "ana.lopez", "role": "operator"},
                      {"agency": "hn_police", "user": "ben.ortiz", "role": "operator"},
                      {"agency": "hn_police", "user": _login(), "role": "operator"}]


def _login() -> str:
    from cruce.settings import Settings

    return Settings.from_env({}).user


def test_an_export_of_one_collection_purpose_still_needs_a_compatible_stated_one(
    mixed: Path,
) -> None:
    with Node.open(mixed, user="officer") as node:
        border = node.export(TRAFFICKING, collected_for=["border_security"])
        assert (sorted(r.id for r in border), border.withheld) == (["us-1", "us-2"], 0)
        gangs = node.export(BORDER, collected_for=["gangs_organized_crime"])
        assert (list(gangs), gangs.withheld) == ([], 9)


def test_an_operator_name_unfit_for_the_log_is_refused(mixed: Path) -> None:
    result = runner.invoke(app, ["--user", "ana\nadmin", "stats", "--db", str(mixed)])
    assert result.exit_code == 2
    assert result.output.strip() == ("Error: --user / CRUCE_USER 'ana\\nadmin' is not a user "
                                     "name (letters, digits, _ . @ -, at most 64 characters)")
