"""`cruce audit` through the runner: verify, head, proofs, export, who-saw."""

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cruce import Node
from cruce.cli import app

runner = CliRunner()
JUSTIFY = ["--purpose", "gangs_organized_crime", "--case", "HN-2026-0042"]


@pytest.fixture()
def db(tmp_path: Path, agency_dir: Path) -> str:
    path = str(tmp_path / "n.duckdb")
    assert runner.invoke(app, ["ingest", str(agency_dir / "mapping.yml"), "--db", path, "--create"]).exit_code == 0
    assert runner.invoke(app, ["search", "tzul", "--db", path, *JUSTIFY, "--why", "lead 7"]).exit_code == 0
    return path


def test_verify_passes_on_an_intact_log(db: str) -> None:
    result = runner.invoke(app, ["audit", "verify", "--db", db])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: 2 entries, root ")


def test_verify_names_the_first_bad_entry_of_a_tampered_log(db: str) -> None:
    entries = Path(db + ".audit") / "entries.log"
    data = bytearray(entries.read_bytes())
    data[len(data) - 20] ^= 0x01  # a byte of the last event changed
    entries.write_bytes(bytes(data))
    result = runner.invoke(app, ["audit", "verify", "--db", db])
    assert result.exit_code == 1
    assert result.output.startswith("Error: audit log entry 1: ")


def test_head_and_proofs_verify(db: str) -> None:
    head = json.loads(runner.invoke(app, ["audit", "head", "--db", db]).output)
    assert head["tree_size"] == 2
    inclusion = json.loads(runner.invoke(app, ["audit", "prove-inclusion", "0", "--db", db]).output)
    assert inclusion["verified"] is True and inclusion["root_hash"] == head["root_hash"]
    consistency = json.loads(runner.invoke(app, ["audit", "prove-consistency", "1", "2", "--db", db]).output)
    assert consistency["verified"] is True


def test_proof_of_an_entry_beyond_the_log_is_refused(db: str) -> None:
    result = runner.invoke(app, ["audit", "prove-inclusion", "99", "--db", db])
    assert result.exit_code == 2
    assert result.output.strip() == "Error: entry 99 is not in the log of 2 entries"


def test_who_saw_lists_the_consultation_with_its_justification(db: str) -> None:
    with Node.open(db) as node:
        [row] = node.store._query("SELECT id FROM records WHERE search_text LIKE '%tzul%'")
    result = runner.invoke(app, ["audit", "who-saw", row[0], "--db", db])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "consultation by" in text and "case HN-2026-0042: lead 7" in text
    assert f"1 consultations or disclosures of {row[0]}" in text


def test_reading_the_log_is_itself_logged(db: str) -> None:
    runner.invoke(app, ["audit", "who-saw", "x", "--db", db, "--why", "complaint 12"])
    out = runner.invoke(app, ["audit", "export", "--db", db, "--format", "jsonl"]).output
    events = [json.loads(line) for line in out.splitlines()]
    assert [e["op"] for e in events] == ["collection", "consultation", "consultation", "consultation"]
    assert events[2]["details"] == {"audit_log": "who-saw x"}
    assert events[2]["justification"]["text"] == "complaint 12"


def test_export_as_csv_for_an_oversight_body(db: str) -> None:
    result = runner.invoke(app, ["audit", "export", "--db", db, "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["op"] for r in rows[:2]] == ["collection", "consultation"]
    assert rows[1]["case_reference"] == "HN-2026-0042"


def test_export_in_an_unknown_format_is_refused(db: str) -> None:
    result = runner.invoke(app, ["audit", "export", "--db", db, "--format", "xml"])
    assert result.exit_code == 2
    assert result.output.strip() == "Error: --format must be jsonl or csv, not 'xml'"


def test_a_log_open_in_another_process_is_a_usage_error_with_one_line(db: str) -> None:
    from cruce.audit import AuditLog

    with AuditLog.open(Path(db + ".audit")):  # as a running node holds it
        result = runner.invoke(app, ["audit", "head", "--db", db])
    assert result.exit_code == 2
    assert result.output.strip() == f"Error: audit log {db}.audit is open in another process"


def test_verify_uses_the_pinned_key_even_when_the_key_beside_the_log_is_gone(db: str) -> None:
    (Path(db + ".audit") / "log-key.pub.pem").unlink()
    result = runner.invoke(app, ["audit", "verify", "--db", db])
    assert result.exit_code == 0, result.output
    assert "under the key pinned in the node's store" in result.output
