"""The CLI through Typer's runner: exit codes, exact error lines, state checked via the API."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cruce import Node, justification
from cruce.cli import app

runner = CliRunner()
JUSTIFY = ["--purpose", "gangs_organized_crime", "--case", "HN-2026-0042"]


def run(*args: str) -> object:
    return runner.invoke(app, list(args))


def test_init_binds_the_node_to_its_agency(tmp_path: Path) -> None:
    db = tmp_path / "n.duckdb"
    result = run("init", "--db", str(db), "--agency", "hn_police")
    assert result.exit_code == 0, result.output
    with Node.open(db) as node:
        assert node.agency == "hn_police"


def test_init_without_agency_is_a_usage_error(tmp_path: Path) -> None:
    result = run("init", "--db", str(tmp_path / "n.duckdb"))
    assert result.exit_code == 2
    assert result.output.strip() == "Error: init needs --agency (e.g. --agency hn_police)"


def test_ingest_a_mapped_csv_then_stats(tmp_path: Path, agency_dir: Path) -> None:
    db = str(tmp_path / "n.duckdb")
    result = run("ingest", str(agency_dir / "personas.csv"), "--mapping", str(agency_dir / "mapping.yml"), "--db", db, "--create")
    assert result.exit_code == 0, result.output
    assert "4 rows -> 9 new, 0 changed, 0 unchanged records" in " ".join(result.output.split())
    stats = run("stats", "--db", db, "--by", "schema")
    assert stats.exit_code == 0, stats.output
    assert "Person" in stats.output and "Membership" in stats.output


def test_ingest_a_mapping_file_ingests_every_source_it_names(tmp_path: Path, agency_dir: Path) -> None:
    db = tmp_path / "n.duckdb"
    result = run("ingest", str(agency_dir / "mapping.yml"), "--db", str(db), "--create")
    assert result.exit_code == 0, result.output
    with Node.open(db) as node:
        assert node.store.count() == 9


def test_bad_row_is_one_error_line_with_exit_2(tmp_path: Path, agency_dir: Path) -> None:
    path = agency_dir / "personas.csv"
    path.write_text(path.read_text().replace("05/03/1990", "1990-31-12"))
    result = run("ingest", str(path), "--mapping", str(agency_dir / "mapping.yml"), "--db", str(tmp_path / "n.duckdb"), "--create")
    assert result.exit_code == 2
    assert " ".join(result.output.split()) == (
        f"Error: {path}, line 2, column 'fecha_nacimiento': '1990-31-12' is not a date in the "
        "declared formats DD/MM/YYYY, MM/YYYY, YYYY"
    )


def test_missing_file_is_an_error_not_a_traceback(tmp_path: Path, agency_dir: Path) -> None:
    result = run("ingest", str(tmp_path / "nope.csv"), "--mapping", str(agency_dir / "mapping.yml"), "--db", str(tmp_path / "n.duckdb"), "--create")
    assert result.exit_code == 2
    assert result.output.strip() == f"Error: {tmp_path / 'nope.csv'}: no such file"


def test_search_show_export_need_a_justification(tmp_path: Path, agency_dir: Path) -> None:
    db = str(tmp_path / "n.duckdb")
    run("ingest", str(agency_dir / "mapping.yml"), "--db", db, "--create")
    for args in (["search", "jose"], ["show", "x"], ["export"]):
        result = run(*args, "--db", db)
        assert result.exit_code == 2, args
        assert result.output.strip() == (
            "Error: a consultation needs a justification: give --purpose and --case "
            "(or CRUCE_PURPOSE and CRUCE_CASE)"
        )


def test_search_then_show_a_record(tmp_path: Path, agency_dir: Path) -> None:
    db = str(tmp_path / "n.duckdb")
    run("ingest", str(agency_dir / "mapping.yml"), "--db", db, "--create")
    with Node.open(db) as node:
        [row] = node.store._query("SELECT id FROM records WHERE search_text LIKE '%tzul%'")
    found = run("search", "Tzul", "--db", db, *JUSTIFY)
    assert found.exit_code == 0, found.output
    assert "1 records" in found.output
    shown = run("show", row[0], "--db", db, *JUSTIFY)
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    assert data["properties"]["name"] == ["Cruz Tzul Pedro"]
    assert data["envelope"]["subject_category"] == "witness"


def test_show_unknown_id_is_not_found(tmp_path: Path, agency_dir: Path) -> None:
    db = str(tmp_path / "n.duckdb")
    run("ingest", str(agency_dir / "mapping.yml"), "--db", db, "--create")
    result = run("show", "nope", "--db", db, *JUSTIFY)
    assert result.exit_code == 2
    assert result.output.strip() == "Error: no record with id 'nope'"


def test_export_writes_ftm_json_lines_with_envelopes(tmp_path: Path, agency_dir: Path) -> None:
    db = str(tmp_path / "n.duckdb")
    out = tmp_path / "out.jsonl"
    run("ingest", str(agency_dir / "mapping.yml"), "--db", db, "--create")
    result = run("export", "--db", db, "--out", str(out), "--schema", "Person", *JUSTIFY)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 4
    assert {line["schema"] for line in lines} == {"Person"}
    assert all("envelope" in line and "tlp" in line["envelope"] for line in lines)


def test_every_command_has_help() -> None:
    for command in ("init", "ingest", "show", "search", "export", "stats", "demo", "link", "review", "judge", "evaluate", "users", "node", "share", "inbox", "outbox", "keys", "directory", "erase", "expire"):
        result = run(command, "--help")
        assert result.exit_code == 0, result.output
        assert "Usage" in result.output


def test_erase_on_a_node_outside_the_compact_erases_and_logs(tmp_path: Path, agency_dir: Path, monkeypatch) -> None:
    monkeypatch.delenv("CRUCE_DIRECTORY", raising=False)
    db = str(tmp_path / "n.duckdb")
    run("ingest", str(agency_dir / "mapping.yml"), "--db", db, "--create")
    with Node.open(db) as node:
        [row] = node.store._query("SELECT id FROM records WHERE search_text LIKE '%tzul%'")
    result = run("erase", row[0], "--db", db, *JUSTIFY, "--why", "court order")
    assert result.exit_code == 0, result.output
    assert "erased 1; 0 recipients notified" in result.output
    with Node.open(db) as node:
        assert not node.store._query("SELECT 1 FROM records WHERE id = ?", (row[0],))
        assert [e.event["op"] for e in node.audit.iter_events()][-1] == "erasure"


# -- a mistyped --db never starts a node (issue 11 #3) ----------------------------------------
def test_a_mistyped_db_is_refused_and_creates_nothing(tmp_path: Path, agency_dir: Path) -> None:
    db = tmp_path / "hn.duckdb"
    assert run("init", "--db", str(db), "--agency", "hn_police").exit_code == 0
    typo = tmp_path / "hn.dukdb"
    for args in (["search", "jose", *JUSTIFY], ["show", "x", *JUSTIFY], ["export", *JUSTIFY],
                 ["stats"], ["inbox"], ["outbox"], ["erase", "x", *JUSTIFY], ["users", "list"],
                 ["ingest", str(agency_dir / "mapping.yml")]):
        result = run(*args, "--db", str(typo))
        assert result.exit_code == 2, (args, result.output)
        assert " ".join(result.output.split()) == (
            f"Error: no node at {typo}: check --db (or CRUCE_DB), or create it with "
            f"cruce init --db {typo} --agency <agency>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hn.duckdb", "hn.duckdb.audit",
                                                          "hn_police"]


def test_inbox_without_db_leaves_nothing_in_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CRUCE_DB", raising=False)
    result = run("inbox")
    assert result.exit_code == 2
    assert list(tmp_path.iterdir()) == []


def test_a_duplicate_user_exits_2(tmp_path: Path) -> None:
    db = str(tmp_path / "n.duckdb")
    run("init", "--db", db, "--agency", "hn_police")
    assert run("users", "add", "ana", "--role", "analyst", "--db", db).exit_code == 0
    again = run("users", "add", "ana", "--role", "analyst", "--db", db)
    assert again.exit_code == 2
    assert again.output.strip() == "Error: user 'ana' exists already"


def test_version_prints_the_package_version() -> None:
    from cruce import __version__

    result = run("--version")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"cruce {__version__}"


def test_stats_and_search_print_json_with_whole_ids(tmp_path: Path, agency_dir: Path) -> None:
    db = str(tmp_path / "n.duckdb")
    run("ingest", str(agency_dir / "mapping.yml"), "--db", db, "--create")
    stats = run("stats", "--db", db, "--by", "schema", "--json")
    assert stats.exit_code == 0, stats.output
    assert json.loads(stats.output) == [{"schema": "Membership", "records": 3},
                                        {"schema": "Organization", "records": 2},
                                        {"schema": "Person", "records": 4}]
    found = run("search", "tzul", "--db", db, *JUSTIFY)
    with Node.open(db) as node:
        [record] = node.search("tzul", justification("gangs_organized_crime", "HN-1"))
    assert record.id in found.output  # on one line, never shortened with …
    assert "…" not in found.output
