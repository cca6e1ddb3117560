"""`cruce check manifest|document|person|vehicle` (the contract), each a consultation in the
audit log with the officer and the post; a manifest's bad rows named, the others checked."""

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cruce import Node
from cruce.checks import MANIFEST_COLUMNS, RESULT_COLUMNS, check_digit
from cruce.cli import app

runner = CliRunner()
WHY = ["--purpose", "border_security", "--case", "HN-BORDER-2026-17"]
ALERTS = [
    {"id": "A1", "kind": "document", "country": "HND", "doc_type": "passport",
     "number": "E1234567", "reason": "stolen", "action": "Retain it.", "expires": "2099-12-31"},
    {"id": "A2", "kind": "person", "given_names": "José Luis", "surnames": "Hernández López",
     "birth_date": "1990-05-17", "nationality": "HND", "reason": "wanted", "action": "Detain."},
    {"id": "A3", "kind": "vehicle", "plate": "P123BCD", "country": "GTM", "reason": "stolen",
     "action": "Hold the vehicle."},
]


@pytest.fixture()
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "hn.duckdb")
    assert runner.invoke(app, ["init", "--db", path, "--agency", "hn_police"]).exit_code == 0
    alerts = tmp_path / "alerts.jsonl"
    alerts.write_text("".join(json.dumps(a) + "\n" for a in ALERTS), encoding="utf-8")
    result = runner.invoke(app, ["alerts", "import", str(alerts), "--db", path])
    assert result.exit_code == 0, result.output
    return path


def manifest(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, MANIFEST_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def consultations(db: str) -> list[dict]:
    node = Node.open(db)
    try:
        return [e.event for e in node.audit.iter_events() if e.event["op"] == "consultation"]
    finally:
        node.close()


def test_a_manifest_gives_one_row_per_hit_and_names_bad_rows(db: str, tmp_path: Path) -> None:
    travellers = [{"traveller_id": f"T{i:03d}", "given_names": "ANA", "surnames": f"GOMEZ{i}",
                   "birth_date": "1980-01-01", "nationality": "HND"} for i in range(500)]
    travellers[7] = {"traveller_id": "T007", "given_names": "JOSE LUIS",
                     "surnames": "HERNANDEZ LOPEZ", "birth_date": "1990-05-17",
                     "nationality": "HND", "document_type": "P", "document_country": "HND",
                     "document_number": "E1234567"}
    travellers[8] = {"traveller_id": "T008", "plate": "P123BC0", "plate_country": "GTM"}
    travellers[9] = {"traveller_id": "T009", "document_number": "X1", "document_type": "P"}
    travellers[10] = {"traveller_id": "T010", "nationality": "Honduras", "surnames": "X"}
    out = tmp_path / "results.csv"
    result = runner.invoke(app, ["check", "manifest", str(manifest(tmp_path / "m.csv", travellers)),
                                 "--db", db, "--out", str(out), *WHY, "--post", "HN-Corinto"])
    assert result.exit_code == 2, result.output
    assert "m.csv:11: document_country: missing" in result.output
    assert "m.csv:12: nationality: 'Honduras' is not a three-letter country code" in result.output
    assert "498 travellers checked, 2 with hits (3 hits)" in result.output
    with out.open(encoding="utf-8") as got:
        rows = list(csv.reader(got))
    assert tuple(rows[0]) == RESULT_COLUMNS
    found = {(r[0], r[1], r[2]): float(r[3]) for r in rows[1:]}
    assert set(found) == {("T007", "document", "A1"), ("T007", "person", "A2"),
                          ("T008", "vehicle", "A3")}
    assert found[("T007", "document", "A1")] == 1.0 and 0 < found[("T008", "vehicle", "A3")] < 1
    (event,) = consultations(db)
    assert event["actor"]["user"] and event["details"] == {
        "check": "border", "post": "HN-Corinto", "travellers": 498, "hits": 3}
    assert event["record_ids"] == ["alert:A1", "alert:A2", "alert:A3"]
    assert event["justification"]["case_reference"] == "HN-BORDER-2026-17"


def test_a_check_needs_a_justification(db: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", "document", "E1234567", "--country", "HND", "--db", db])
    assert result.exit_code == 2
    assert "Error: a consultation needs a justification" in result.output
    assert consultations(db) == []


def test_one_document_person_and_vehicle(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRUCE_PURPOSE", "border_security")
    monkeypatch.setenv("CRUCE_CASE", "HN-BORDER-2026-18")
    monkeypatch.setenv("CRUCE_POST", "GT-Tecun-Uman")
    result = runner.invoke(app, ["--user", "officer.ramos", "check", "document", "E1234S67",
                                 "--country", "HND", "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    (hit,) = json.loads(result.output)["hits"]
    assert (hit["alert_id"], hit["action"]) == ("A1", "Retain it.") and hit["score"] < 1
    result = runner.invoke(app, ["check", "person", "--surnames", "HERNANDEZ LOPEZ",
                                 "--given-names", "JOSE LUIS", "--birth-date", "1990-05-17",
                                 "--db", db, "--json"])
    assert [h["alert_id"] for h in json.loads(result.output)["hits"]] == ["A2"]
    result = runner.invoke(app, ["check", "vehicle", "--plate", "P123BCD", "--country", "MEX",
                                 "--db", db])
    assert result.exit_code == 0 and "no hit" in result.output
    events = consultations(db)
    assert [e["details"]["post"] for e in events] == ["GT-Tecun-Uman"] * 3
    assert events[0]["actor"]["user"] == "officer.ramos"
    assert [e["details"]["hits"] for e in events] == [1, 1, 0]


def td3(number: str) -> str:
    line1 = "P<HNDHERNANDEZ<LOPEZ<<JOSE<LUIS".ljust(44, "<")
    body = f"{number:<<9}{check_digit(f'{number:<<9}')}HND900517{check_digit('900517')}M"
    body += f"301231{check_digit('301231')}" + "<" * 14 + "0"
    line2 = body + check_digit(body[0:10] + body[13:20] + body[21:43])
    return f"{line1}\n{line2}"


def test_an_mrz_is_checked_for_its_document_and_its_holder(db: str) -> None:
    result = runner.invoke(app, ["check", "document", "--mrz", td3("E1234567"), "--db", db,
                                 *WHY, "--json"])
    assert result.exit_code == 0, result.output
    assert {(h["kind"], h["alert_id"]) for h in json.loads(result.output)["hits"]} == \
        {("document", "A1"), ("person", "A2")}


def test_an_mrz_with_a_bad_check_digit_is_reported(db: str) -> None:
    zone = td3("E1234567").replace("E1234567<", "E1234561<")
    result = runner.invoke(app, ["check", "document", "--mrz", zone, "--db", db, *WHY])
    assert result.exit_code == 2
    assert "Error: MRZ document number: check digit" in result.output
    assert consultations(db) == []
