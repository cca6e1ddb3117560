"""Every read and write of records passes through the store's access point and is logged."""

import json
from pathlib import Path

import pytest

from cruce import Node, justification
from cruce.audit import Operation
from cruce.errors import InvalidInput, NotFound
from cruce.store import RecordQuery


def events(node: Node) -> list[dict]:
    """What the node's tamper-evident audit log holds, in order."""
    assert node.audit is not None
    return [entry.event for entry in node.audit.iter_events()]


WHY = justification("gangs_organized_crime", "HN-2026-0042", "checking a lead")


def test_ingest_logs_one_collection_with_who_what_why(node: Node, agency_dir: Path) -> None:
    result = node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
    [event] = events(node)
    assert event["op"] == Operation.COLLECTION
    assert event["actor"] == {"agency": "hn_police", "user": "analyst1", "role": "operator"}
    assert event["justification"]["purpose"] == "gangs_organized_crime"
    assert event["record_count"] == result.inserted == len(event["record_ids"])
    assert event["batch"] == result.batch


def test_unchanged_reingest_logs_nothing_and_a_change_logs_an_alteration(node: Node, agency_dir: Path) -> None:
    node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
    node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
    assert [e["op"] for e in events(node)] == ["collection"]
    text = (agency_dir / "personas.csv").read_text().replace("05/03/1990", "06/03/1990")
    (agency_dir / "personas.csv").write_text(text)
    node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
    ops = events(node)
    assert [e["op"] for e in ops] == ["collection", "alteration"]
    assert ops[1]["record_count"] == 1


def test_reads_log_a_consultation_naming_the_records_and_the_case(node: Node, agency_dir: Path) -> None:
    node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
    found = node.search("hernandez jose", WHY)
    record = node.get(found[0].id, WHY)
    consultations = [e for e in events(node) if e["op"] == "consultation"]
    assert [c["record_ids"] for c in consultations] == [[record.id], [record.id]]
    assert consultations[0]["justification"]["case_reference"] == "HN-2026-0042"


def test_a_search_that_finds_nothing_logs_nothing(node: Node, agency_dir: Path) -> None:
    node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
    assert node.search("nobody here", WHY) == []
    assert [e["op"] for e in events(node)] == ["collection"]


def test_search_ignores_accents_and_case(node: Node, agency_dir: Path) -> None:
    node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
    assert [r.caption for r in node.search("HERNÁNDEZ josé", WHY)] == ["Hernandez Garcia Jose Luis"]


def test_erasure_logs_the_ids_but_never_the_content(node: Node, agency_dir: Path) -> None:
    node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
    target = node.search("tzul", WHY)[0]
    node.store.erase([target.id], node.actor, WHY)
    erasure = events(node)[-1]
    assert erasure["op"] == "erasure" and erasure["record_ids"] == [target.id]
    assert "Tzul" not in json.dumps(erasure) and "tzul" not in json.dumps(erasure)
    with pytest.raises(NotFound):
        node.get(target.id, WHY)


def test_export_logs_one_consultation_before_returning_records(node: Node, agency_dir: Path) -> None:
    node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
    exported = list(node.export(WHY, schema="Person"))
    last = events(node)[-1]
    assert last["op"] == "consultation" and last["record_count"] == len(exported) == 4


def test_consultation_without_justification_is_refused() -> None:
    with pytest.raises(InvalidInput, match="a consultation needs a justification"):
        justification("gangs_organized_crime", None)
    with pytest.raises(InvalidInput, match="purpose 'curiosity' is not one of"):
        justification("curiosity", "HN-1")


def test_stats_reads_no_record_and_logs_nothing(node: Node, agency_dir: Path) -> None:
    node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
    node.stats("agency", "tlp")
    assert len(events(node)) == 1


def test_a_failed_write_leaves_no_event_and_no_record(node: Node, agency_dir: Path) -> None:
    from cruce.audit import Actor

    node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
    [target, *_] = node.store.read(RecordQuery(schema="Person"), node.actor, WHY)
    before = (node.store.count(), len(events(node)))

    class Boom(Exception):
        pass

    def explode(_: object) -> None:
        raise Boom

    node.store.sink.emit = explode  # type: ignore[method-assign]
    with pytest.raises(Boom):
        node.store.erase([target.id], Actor("hn_police", "x"), WHY)
    del node.store.sink.emit
    assert (node.store.count(), len(events(node))) == before


def test_reading_people_for_linkage_logs_a_combination(node: Node, agency_dir: Path) -> None:
    node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
    table = node.store.read_for_linkage(node.actor, WHY)
    combination = events(node)[-1]
    assert combination["op"] == "combination"
    assert combination["record_count"] == table.num_rows == 4
    assert sorted(combination["record_ids"]) == sorted(table.column("id").to_pylist())
    assert combination["details"] == {"purpose": "entity resolution", "schema": "Person"}
