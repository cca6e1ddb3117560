"""The CLI keeps issue 11's promises: a missing node is refused by every command, bad options
are one `Error: …` line on stderr with exit 2 (never a traceback), `--envelope` takes every
field an envelope has, and the output starts with what the command did."""

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cruce import Node, justification
from cruce.cli import app

runner = CliRunner()
SRC_CLI = Path(__file__).resolve().parents[2] / "src" / "cruce" / "cli"
GANGS = {"purpose": "gangs_organized_crime", "handling_code": "H2", "tlp": "AMBER",
         "source_reliability": "B", "information_accuracy": "2"}


def run(*args: str) -> Result:
    return runner.invoke(app, list(args))


def one_error_line(result: Result) -> str:
    """The refusal as the user sees it: exit 2, one line on stderr, no traceback, no stdout."""
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture()
def node(tmp_path: Path) -> str:
    db = str(tmp_path / "hn.duckdb")
    assert run("init", "--db", db, "--agency", "hn_police").exit_code == 0
    return db


@pytest.fixture()
def people(tmp_path: Path) -> Path:
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps({"id": "p1", "schema": "Person",
                                "properties": {"name": ["Ana Lopez"]}}) + "\n")
    return path


def test_keys_of_a_node_that_does_not_exist_is_refused_and_creates_nothing(
    tmp_path: Path
) -> None:
    typo = tmp_path / "hn.dukdb"
    line = one_error_line(run("keys", "--db", str(typo), "--country", "HN",
                              "--endpoint", "https://hn.example/"))
    assert line == (f"Error: no node at {typo}: check --db (or CRUCE_DB), or create it with "
                    f"cruce init --db {typo} --agency <agency>")
    assert list(tmp_path.iterdir()) == []  # no key folder for a node that is not there


def test_stats_by_an_unknown_field_names_the_choices(node: str) -> None:
    line = one_error_line(run("stats", "--db", node, "--by", "schema", "--by", "bogus"))
    assert line == ("Error: --by 'bogus' is not a field to count by; choose agency, schema, "
                    "purpose, handling_code, tlp, subject_category or dataset")


def test_ingest_prints_the_result_first_without_a_blank_line(node: str, people: Path) -> None:
    envelope = json.dumps({**GANGS, "retain_until": "2031-01-01"})
    result = run("ingest", str(people), "--db", node, "--dataset", "cases",
                 "--envelope", envelope)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("cases.jsonl: 1 rows -> 1 new"), result.stdout


def test_envelope_takes_retention_as_a_mapping_does(node: str, people: Path) -> None:
    envelope = json.dumps({**GANGS, "retention": "5y", "subject_category": "suspect",
                           "handling_code": "H3", "handling_restriction": "not before the hearing"})
    result = run("ingest", str(people), "--db", node, "--dataset", "cases",
                 "--envelope", envelope)
    assert result.exit_code == 0, result.output
    with Node.open(node) as opened:
        kept = opened.get("p1", justification("gangs_organized_crime", "HN-1")).envelope
    today = date.today()
    assert kept.retain_until == date(today.year + 5, today.month, min(today.day, 28))
    assert kept.subject_category is not None and kept.subject_category.value == "suspect"
    assert kept.handling_restriction == "not before the hearing"


@pytest.mark.parametrize(("given", "why"), [
    ({"retention": "five years"},
     "--envelope: retention 'five years' is not like '5y', '18m' or '90d'"),
    ({"retension": "5y"},
     "--envelope: retension: unknown field (did you mean 'retention'?)"),
])
def test_a_bad_envelope_retention_is_one_line_and_stores_nothing(
    node: str, people: Path, given: dict[str, str], why: str
) -> None:
    result = run("ingest", str(people), "--db", node, "--dataset", "cases",
                 "--envelope", json.dumps({**GANGS, **given}))
    assert one_error_line(result) == f"Error: {why}"
    with Node.open(node) as opened:
        assert opened.store.count() == 0


def test_the_cli_silences_no_type_check() -> None:
    """The node is typed as what it is (issue 11 #6): no `type: ignore` left in the CLI."""
    silenced = [f"{path.name}:{n}" for path in sorted(SRC_CLI.glob("*.py"))
                for n, line in enumerate(path.read_text().splitlines(), start=1)
                if re.search(r"#\s*type:\s*ignore", line)]
    assert silenced == []


@pytest.fixture()
def authority(tmp_path: Path) -> Path:
    assert run("directory", "keygen", "--out", str(tmp_path / "authority")).exit_code == 0
    return tmp_path / "authority" / "authority.pem"


HN_KEYS = {"signing_key": "aa" * 32, "encryption_key": "bb" * 32}


@pytest.mark.parametrize(("members", "why"), [
    ('{"id": "hn_police"}', "not a JSON list of member entries (from cruce keys)"),
    ("[1]", "member 1 is not a JSON object"),
    ('[{"id": "hn_police"}]',
     "member 1 (hn_police): missing country, endpoint, signing_key, encryption_key"),
    (json.dumps([{"id": "hn_police", "country": "HN", "endpoint": "https://hn.example/",
                  "signing_key": "zz", "encryption_key": "bb" * 32}]),
     "member 1 (hn_police): signing_key is not hex"),
    (json.dumps([{"id": "hn_police", "country": "Honduras", "endpoint": "https://hn.example/",
                  **HN_KEYS}]),
     "member hn_police: country 'Honduras' is not ISO alpha-2"),
])
def test_a_bad_member_list_is_one_line_naming_the_member(
    tmp_path: Path, authority: Path, members: str, why: str
) -> None:
    listed = tmp_path / "members.json"
    listed.write_text(members)
    out = tmp_path / "directory.json"
    result = run("directory", "sign", str(listed), "--key", str(authority), "--out", str(out))
    assert one_error_line(result) == f"Error: {listed}: {why}"
    assert not out.exists()


@pytest.mark.parametrize(("key_text", "why"), [
    (None, "cannot read the authority's key: no such file"),
    ("not a key", "not a PEM private key (the authority.pem of cruce directory keygen)"),
])
def test_a_bad_authority_key_is_one_line(
    tmp_path: Path, key_text: str | None, why: str
) -> None:
    key = tmp_path / "authority.pem"
    if key_text is not None:
        key.write_text(key_text)
    listed = tmp_path / "members.json"
    listed.write_text(json.dumps([{"id": "hn_police", "country": "HN",
                                   "endpoint": "https://hn.example/", **HN_KEYS}]))
    out = tmp_path / "directory.json"
    result = run("directory", "sign", str(listed), "--key", str(key), "--out", str(out))
    assert one_error_line(result) == f"Error: {key}: {why}"
    assert not out.exists()


def test_a_table_too_wide_for_the_terminal_shows_each_record_whole(
    tmp_path: Path, agency_dir: Path
) -> None:
    """At 80 columns a search table would fold 'Person' and the caption one letter or three
    per line; each record is shown as its fields instead, every value whole."""
    db = str(tmp_path / "hn.duckdb")
    assert run("ingest", str(agency_dir / "mapping.yml"), "--db", db, "--create").exit_code == 0
    found = run("search", "tzul", "--db", db, "--purpose", "gangs_organized_crime",
                "--case", "HN-1")
    assert found.exit_code == 0, found.output
    fields = [line.split(maxsplit=1) for line in found.stdout.splitlines() if line.strip()]
    assert ["caption", "Cruz Tzul Pedro"] in fields
    assert ["schema", "Person"] in fields and ["TLP", "AMBER"] in fields
    [record_id] = [value for name, *value in fields if name == "id"]
    assert len(record_id[0]) == 40
    assert fields[-1] == ["1", "records"]


def test_a_path_that_cannot_be_used_is_one_line_naming_it(
    tmp_path: Path, node: str, people: Path
) -> None:
    """A file where a folder should be, a folder where a file should be: the path and why,
    never an OSError traceback."""
    plain = tmp_path / "plain"
    plain.write_text("")
    line = one_error_line(run("init", "--db", str(plain / "hn.duckdb"), "--agency", "hn_police"))
    assert line.startswith(f"Error: {plain / 'hn.duckdb'}") and line.endswith(": Not a directory")
    line = one_error_line(run("export", "--db", node, "-o", str(tmp_path),
                              "--purpose", "gangs_organized_crime", "--case", "HN-1"))
    assert line == f"Error: {tmp_path}: Is a directory"
    envelope = json.dumps({**GANGS, "retention": "5y"})
    line = one_error_line(run("ingest", str(people), "--db", node, "--dataset", "cases",
                              "--envelope", envelope, "--rejects", str(plain / "bad.jsonl")))
    assert line.startswith(f"Error: {plain}") and line.endswith(": Not a directory")
    with Node.open(node) as opened:
        assert opened.store.count() == 0  # the file is one transaction: nothing of it kept


@pytest.mark.parametrize("limit", ["0", "-5"])
def test_search_limit_below_one_is_refused(node: str, limit: str) -> None:
    line = one_error_line(run("search", "x", "--db", node, "--limit", limit,
                              "--purpose", "gangs_organized_crime", "--case", "HN-1"))
    assert line == f"Error: --limit {limit}: give 1 or more"


@pytest.mark.slow
def test_the_demo_prints_its_figures_as_one_json_document(tmp_path: Path) -> None:
    """`demo` prints tables, so it takes --json too: nothing on stdout but the document."""
    done = subprocess.run(
        [sys.executable, "-m", "cruce", "demo", "--out", str(tmp_path / "out"), "--people", "300",
         "--no-network", "--json"],
        capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads(done.stdout)
    agencies = {a["agency"]: a for a in summary["agencies"]}
    assert sorted(agencies) == ["gt_police", "hn_police", "mx_migration", "sv_police",
                                "us_border"]
    assert all(a["people"] == a["by_schema"]["Person"] > 0 for a in agencies.values())
    assert summary["linkage"]["cross_border_people"] > 0
    assert summary["network"] is False
    audit = summary["audit"]
    assert audit["verified_entries"] == audit["tree_size"] > 0
    assert len(audit["record"]) == 40 and "consultation" in audit["who_saw"]


def test_each_ingested_file_is_one_line_of_output(tmp_path: Path, agency_dir: Path) -> None:
    result = run("ingest", str(agency_dir / "mapping.yml"), "--db", str(tmp_path / "n.duckdb"),
                 "--create")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "personas.csv: 4 rows -> 9 new, 0 changed, 0 unchanged records in hn_police_personas "
        "(hn_police)"]
