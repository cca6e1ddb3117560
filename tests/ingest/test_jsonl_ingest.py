import json
from pathlib import Path

import pytest

from cruce import Node
from cruce.errors import BadRow, InvalidInput
from cruce.store import RecordQuery

DEFAULTS = {"dataset": "us_cases", "purpose": "border_security", "handling_code": "H1",
            "tlp": "AMBER", "source_reliability": "A", "information_accuracy": "1",
            "retain_until": "2031-12-31"}


def write_lines(path: Path, items: list[dict]) -> Path:
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


def person(pid: str, name: str, **props: list[str]) -> dict:
    return {"id": pid, "schema": "Person", "properties": {"name": [name], **props}}


def test_jsonl_entities_take_the_default_envelope(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "p.jsonl", [person("us-1", "Jose Hernandez", birthDate=["1990-03-05"])])
    with Node.open(tmp_path / "n.duckdb") as node:
        result = node.ingest(path, envelope={**DEFAULTS, "agency": "us_border"})
        assert (result.inserted, node.agency) == (1, "us_border")
        row = node.store._select(RecordQuery(ids=["us-1"]))[0]
    assert (row[5], row[6], row[9], row[8]) == ("us_border", "us_cases", "H1", "unknown")


def test_an_envelope_on_the_line_wins_and_victims_stay_red(tmp_path: Path) -> None:
    victim = person("us-2", "Ana Soto") | {"envelope": {"subject_category": "victim", "tlp": "GREEN"}}
    path = write_lines(tmp_path / "p.jsonl", [victim])
    with Node.open(tmp_path / "n.duckdb") as node:
        node.ingest(path, envelope={**DEFAULTS, "agency": "us_border"})
        row = node.store._select(RecordQuery(ids=["us-2"]))[0]
    assert (row[8], row[11], row[14]) == ("victim", "RED", False)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "(line)': not JSON: Expecting property name enclosed in double quotes"),
        (json.dumps({"id": "x", "schema": "Alien", "properties": {}}), "'Alien' is not a FollowTheMoney schema"),
        (json.dumps({"id": "x", "schema": "Person", "properties": {"colour": ["red"]}}), "Person has no property 'colour'"),
        (json.dumps(person("x", "A") | {"envelope": {"tlp": "PINK"}}), "column 'envelope.tlp': 'PINK' is not one of"),
    ],
)
def test_a_bad_line_names_file_and_line_and_stores_nothing(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(person("ok-1", "Luis Paz")) + "\n" + line + "\n", encoding="utf-8")
    with Node.open(tmp_path / "n.duckdb", agency="us_border") as node:
        with pytest.raises(BadRow) as err:
            node.ingest(path, envelope=DEFAULTS)
        assert node.store.count() == 0
    assert str(err.value).startswith(f"{path}, line 2, column ")
    assert message in str(err.value)


def test_jsonl_without_an_agency_is_refused(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "p.jsonl", [person("us-1", "Jose Hernandez")])
    with Node.open(tmp_path / "n.duckdb") as node, pytest.raises(InvalidInput, match="JSON lines need an agency"):
        node.ingest(path, envelope=DEFAULTS)


def test_export_then_reingest_round_trips(tmp_path: Path, agency_dir: Path) -> None:
    from cruce import justification

    why = justification("gangs_organized_crime", "HN-2026-77", "round trip")
    with Node.open(tmp_path / "a.duckdb") as a:
        a.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
        lines = [json.dumps(r.to_dict()) for r in a.export(why)]
        before = a.store._query("SELECT id, schema, properties, tlp, subject_category FROM records ORDER BY id")
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Node.open(tmp_path / "b.duckdb") as b:
        b.ingest(path)
        after = b.store._query("SELECT id, schema, properties, tlp, subject_category FROM records ORDER BY id")
    assert before == after
