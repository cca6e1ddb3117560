"""Alerts: the import contract (`cruce alerts import FILE.jsonl --db NODE`), bad lines named
and nothing stored, only the issuer changes or withdraws, on both store backends."""

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cruce import Node
from cruce.audit import Justification
from cruce.checks import BadAlertFile, alert_row, import_alerts, parse_alert, withdraw_alert
from cruce.cli import app
from cruce.errors import InvalidInput, PermissionDenied

runner = CliRunner()
DOC = {"id": "A1", "kind": "document", "country": "HND", "doc_type": "passport",
       "number": "E1234567", "reason": "stolen", "action": "Retain the document; call the desk.",
       "expires": "2027-12-31"}
PERSON = {"id": "A2", "kind": "person", "given_names": "José Luis",
          "surnames": "Hernández López", "birth_date": "1990-05-17", "nationality": "HND",
          "reason": "wanted", "action": "Detain; notify INTERPOL NCB Tegucigalpa."}
VEHICLE = {"id": "A3", "kind": "vehicle", "plate": "P123BCD", "country": "GTM",
           "vin": "1M8GDM9AXKP042788", "reason": "stolen", "action": "Hold the vehicle."}


def write_lines(path: Path, *objects: object) -> Path:
    path.write_text("".join((o if isinstance(o, str) else json.dumps(o)) + "\n" for o in objects),
                    encoding="utf-8")
    return path


@pytest.fixture()
def hn(store_url: str) -> Node:
    node = Node.open(store_url, agency="hn_police")
    yield node
    node.close()


def test_the_three_kinds_of_the_contract_are_imported(hn: Node, tmp_path: Path) -> None:
    counts = import_alerts(hn, write_lines(tmp_path / "a.jsonl", DOC, PERSON, VEHICLE))
    assert counts == {"added": 3, "changed": 0, "unchanged": 0}
    stored = {a.alert_id: a for a in hn.store.list_alerts()}
    assert {a.kind for a in stored.values()} == {"document", "person", "vehicle"}
    assert stored["A1"].issuer == "hn_police" and stored["A1"].expires == date(2027, 12, 31)
    assert stored["A2"].body["action"] == PERSON["action"]
    # Without `expires`, five years (INTERPOL's initial retention).
    assert stored["A2"].expires.year == date.today().year + 5


def test_importing_the_same_file_again_changes_nothing(hn: Node, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "a.jsonl", DOC, PERSON)
    import_alerts(hn, path)
    assert import_alerts(hn, path) == {"added": 0, "changed": 0, "unchanged": 2}
    changed = write_lines(tmp_path / "b.jsonl", {**DOC, "action": "Seize."})
    assert import_alerts(hn, changed)["changed"] == 1


@pytest.mark.parametrize(("obj", "message"), [
    ({**DOC, "country": "HN"}, "country: 'HN' is not a three-letter country code "
                                     "(ISO 3166 alpha-3)"),
    ({**DOC, "doc_type": "license"}, "doc_type: 'license' is not a document type "
     "(passport, id_card, visa, residence_permit, travel_document, or P, I, V, R, T)"),
    ({**DOC, "number": "--"}, "number: '--' has no letters or digits"),
    ({**DOC, "reason": "wanted"}, "reason: 'wanted' is not one of stolen, lost, invalidated, "
                                  "revoked for a document"),
    ({**DOC, "expires": "31/12/2027"}, "expires: '31/12/2027' is not a date (YYYY-MM-DD)"),
    ({**DOC, "expiry": "2027-12-31"}, "expiry: not a field of a document alert"),
    ({k: v for k, v in DOC.items() if k != "action"}, "action: missing"),
    ({**PERSON, "birth_date": "1990-13"}, "birth_date: '1990-13' is not YYYY, YYYY-MM or "
                                          "YYYY-MM-DD"),
    ({**VEHICLE, "vin": "1M8GDM9AYKP042788"}, "vin: VIN 1M8GDM9AYKP042788: check digit 'Y' "
                                              "does not match (computed X): misread or altered"),
    ({**DOC, "kind": "boat"}, "kind: 'boat' is not one of document, person, vehicle"),
])
def test_a_bad_field_is_named(obj: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_alert(obj)
    assert caught.value.message == message


def test_a_partial_birth_date_is_kept_as_given() -> None:
    assert parse_alert({**PERSON, "birth_date": "1990"}).fields["birth_date"] == "1990"
    assert parse_alert({**PERSON, "birth_date": "1990-05"}).fields["birth_date"] == "1990-05"


def test_a_file_with_bad_lines_names_each_and_stores_nothing(hn: Node, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "alerts.jsonl", DOC, {**PERSON, "reason": "lost"}, "{oops",
                       VEHICLE, {**VEHICLE, "id": "A1"})
    with pytest.raises(BadAlertFile) as caught:
        import_alerts(hn, path)
    assert caught.value.problems == [
        "alerts.jsonl:2: reason: 'lost' is not one of wanted, missing for a person",
        "alerts.jsonl:3: line: not JSON (Expecting property name enclosed in double quotes at "
        "column 2)",
        "alerts.jsonl:5: id: 'A1' is already on line 1",
    ]
    assert hn.store.list_alerts() == []


def test_only_the_issuer_changes_or_withdraws_an_alert(hn: Node, tmp_path: Path) -> None:
    # gt_pnc's alert, held here as a share from Guatemala would leave it.
    why = Justification("border_security", "shared by its issuer")
    hn.store.put_alerts([alert_row(parse_alert({**VEHICLE, "id": "GT-9"}))], "gt_pnc",
                        hn.actor, why)
    path = write_lines(tmp_path / "mine.jsonl", DOC, {**VEHICLE, "id": "GT-9", "action": "x"})
    with pytest.raises(BadAlertFile) as caught:
        import_alerts(hn, path)
    assert caught.value.problems == [
        "mine.jsonl:2: id: alert 'GT-9' is gt_pnc's: only its issuer changes or withdraws it"]
    with pytest.raises(PermissionDenied, match="'GT-9' is gt_pnc's"):
        withdraw_alert(hn, "GT-9")
    with pytest.raises(PermissionDenied):  # the store itself refuses, whoever calls it
        hn.store.put_alerts([alert_row(parse_alert({**VEHICLE, "id": "GT-9"}))], "hn_police",
                            hn.actor, why)
    (stored,) = hn.store.list_alerts()
    assert (stored.issuer, stored.body["action"], stored.is_withdrawn) == \
        ("gt_pnc", VEHICLE["action"], False)


def test_the_issuer_withdraws_its_alert_and_it_stays_withdrawn(hn: Node, tmp_path: Path) -> None:
    import_alerts(hn, write_lines(tmp_path / "a.jsonl", DOC))
    generation = hn.store.alerts_generation()
    withdraw_alert(hn, "A1", "recovered by its holder")
    assert [a.is_withdrawn for a in hn.store.list_alerts()] == [True]
    assert hn.store.alerts_generation() > generation
    # Imported again, it is live again: the issuer re-issued it.
    assert import_alerts(hn, write_lines(tmp_path / "a.jsonl", DOC))["changed"] == 1


def test_cli_imports_and_names_bad_lines(tmp_path: Path) -> None:
    db = str(tmp_path / "hn.duckdb")
    assert runner.invoke(app, ["init", "--db", db, "--agency", "hn_police"]).exit_code == 0
    good = write_lines(tmp_path / "good.jsonl", DOC, PERSON, VEHICLE)
    result = runner.invoke(app, ["alerts", "import", str(good), "--db", db])
    assert result.exit_code == 0, result.output
    assert "3 alerts added, 0 changed, 0 unchanged" in result.output
    bad = write_lines(tmp_path / "bad.jsonl", {**DOC, "id": "B1"}, {**DOC, "id": "B2", "number": ""})
    result = runner.invoke(app, ["alerts", "import", str(bad), "--db", db])
    assert result.exit_code == 2
    assert "bad.jsonl:2: number: missing" in result.output
    assert "Error: bad.jsonl: 1 bad line, nothing imported" in result.output
    listed = runner.invoke(app, ["alerts", "list", "--db", db, "--json"])
    assert [a["id"] for a in json.loads(listed.output)] == ["A1", "A2", "A3"]
    assert runner.invoke(app, ["alerts", "withdraw", "A1", "--db", db]).exit_code == 0


def test_a_bulk_import_finds_what_is_held_and_whose(hn: Node, tmp_path: Path) -> None:
    many = [{**DOC, "id": f"B{i}", "number": f"N{i:07d}"} for i in range(6000)]
    assert import_alerts(hn, write_lines(tmp_path / "a.jsonl", *many))["added"] == 6000
    why = Justification("border_security", "shared by its issuer")
    hn.store.put_alerts([alert_row(parse_alert({**VEHICLE, "id": "GT-1"}))], "gt_pnc",
                        hn.actor, why)
    again = [*many[:5999], {**many[5999], "action": "Seize."}]
    assert import_alerts(hn, write_lines(tmp_path / "b.jsonl", *again)) == \
        {"added": 0, "changed": 1, "unchanged": 5999}
    with pytest.raises(BadAlertFile) as caught:
        import_alerts(hn, write_lines(tmp_path / "c.jsonl", *many, {**VEHICLE, "id": "GT-1"}))
    assert caught.value.problems == [
        "c.jsonl:6001: id: alert 'GT-1' is gt_pnc's: only its issuer changes or withdraws it"]
