"""Checks against the index: exact and one-transcription-error hits, expiry, withdrawal,
person screening with explanations, vehicles, and the index topped up as alerts change."""

import json
from datetime import date
from pathlib import Path

import pytest

from cruce import Node
from cruce.checks import AlertIndex, import_alerts, withdraw_alert
from cruce.errors import InvalidInput

ALERTS = [
    {"id": "D1", "kind": "document", "country": "HND", "doc_type": "passport",
     "number": "E1234567", "reason": "stolen", "action": "Retain the passport.",
     "expires": "2030-12-31"},
    {"id": "D2", "kind": "document", "country": "GTM", "doc_type": "id_card",
     "number": "2345-67890-0101", "reason": "lost", "action": "Call RENAP."},
    {"id": "D3", "kind": "document", "country": "SLV", "doc_type": "passport",
     "number": "B0S1ZX", "reason": "invalidated", "action": "Refuse.",
     "expires": "2026-01-31"},
    {"id": "P1", "kind": "person", "given_names": "José Luis", "surnames": "Hernández López",
     "birth_date": "1990-05-17", "nationality": "HND", "reason": "wanted",
     "action": "Detain; call the NCB."},
    {"id": "P2", "kind": "person", "given_names": "María de los Ángeles",
     "surnames": "Tzul Pérez", "birth_date": "2009", "nationality": "GTM",
     "reason": "missing", "victim": True, "action": "Protect; call the victims' unit."},
    {"id": "V1", "kind": "vehicle", "plate": "P123BCD", "country": "GTM",
     "vin": "1M8GDM9AXKP042788", "reason": "stolen", "action": "Hold the vehicle."},
]
TODAY = date(2026, 6, 1)


@pytest.fixture()
def index(store_url: str, tmp_path: Path) -> AlertIndex:
    node = Node.open(store_url, agency="hn_police")
    path = tmp_path / "alerts.jsonl"
    path.write_text("".join(json.dumps(a) + "\n" for a in ALERTS), encoding="utf-8")
    import_alerts(node, path, today=TODAY)
    yield AlertIndex.build(node.store, today=TODAY)
    node.close()


def hits(found: list) -> list[tuple[str, float]]:
    return [(h.alert_id, h.score) for h in found]


def test_a_document_hits_by_its_normalised_number(index: AlertIndex) -> None:
    assert hits(index.check_document("hnd", "P", "e-123 4567", today=TODAY)) == [("D1", 1.0)]
    assert hits(index.check_document("GTM", "dni", "2345 67890 0101", today=TODAY)) == \
        [("D2", 1.0)]


@pytest.mark.parametrize(("typed", "why"), [
    ("E12345G7", "6 read as G"), ("EI234567", "1 read as I"), ("E123456", "dropped (7)"),
    ("E12345678", "too many (8)"), ("E1234S67", "5 read as S"),
])
def test_one_typical_transcription_error_still_hits_lower(index: AlertIndex, typed: str,
                                                          why: str) -> None:
    (hit,) = index.check_document("HND", "passport", typed, today=TODAY)
    assert hit.alert_id == "D1" and 0.5 < hit.score < 1.0 and why in hit.explanation
    assert hit.action == "Retain the passport." and hit.issuer == "hn_police"


def test_a_near_number_of_another_type_or_country_does_not_hit(index: AlertIndex) -> None:
    assert index.check_document("GTM", "passport", "E1234567", today=TODAY) == []
    assert index.check_document("HND", "id_card", "E12345G7", today=TODAY) == []
    assert index.check_document("HND", "passport", "E12345", today=TODAY) == []  # two errors


def test_expired_alerts_never_hit(index: AlertIndex) -> None:
    assert index.check_document("SLV", "passport", "B0S1ZX", today=TODAY) == []
    # An index built while it was live still holds it: the check itself refuses it after.
    earlier = AlertIndex.build(index.store, today=date(2026, 1, 1))
    assert earlier.memory()["documents"] == 3
    assert hits(earlier.check_document("SLV", "passport", "B0S1ZX", today=date(2026, 1, 31))) \
        == [("D3", 1.0)]
    assert earlier.check_document("SLV", "passport", "B0S1ZX", today=date(2026, 2, 1)) == []


def test_a_withdrawn_alert_stops_hitting_at_once(index: AlertIndex) -> None:
    node = Node(index.store, "officer", "operator")
    node._agency = "hn_police"
    withdraw_alert(node, "D1")
    assert index.check_document("HND", "passport", "E1234567", today=TODAY) == []


def test_the_index_is_topped_up_as_alerts_change(index: AlertIndex, tmp_path: Path) -> None:
    node = Node(index.store, "officer", "operator")
    path = tmp_path / "more.jsonl"
    path.write_text(json.dumps({**ALERTS[0], "id": "D9", "number": "X9999999"}) + "\n" +
                    json.dumps({**ALERTS[1], "number": "1111"}) + "\n", encoding="utf-8")
    node._agency = "hn_police"
    import_alerts(node, path, today=TODAY)
    assert index.refresh(TODAY, force=True)
    assert hits(index.check_document("HND", "passport", "X9999999", today=TODAY)) == [("D9", 1.0)]
    # D2 changed its number: the old one no longer hits, the new one does.
    assert index.check_document("GTM", "id_card", "2345-67890-0101", today=TODAY) == []
    assert hits(index.check_document("GTM", "id_card", "1111", today=TODAY)) == [("D2", 1.0)]


def test_a_person_is_screened_fuzzily_and_each_hit_explained(index: AlertIndex) -> None:
    (hit,) = index.check_person("JOSE LUIS", "HERNANDEZ LOPEZ", "1990-05-17", "HND",
                                today=TODAY)
    assert hit.alert_id == "P1" and hit.score > 0.99 and hit.action == "Detain; call the NCB."
    assert {e["field"] for e in hit.details} == {"surname1", "surname2", "given_names",
                                                 "birth_date", "nationality"}
    # A nickname, a misspelt surname, no second surname: still a hit, lower.
    (near,) = index.check_person("CHEPE", "HERNANDES", "1990-05-17", today=TODAY)
    assert near.alert_id == "P1" and 0.5 <= near.score < hit.score
    assert "sounds alike" in near.explanation and "nickname" in near.explanation
    # A missing girl's alert (birth year only) found from a manifest's upper-case ASCII.
    assert hits(index.check_person("MARIA DE LOS ANGELES", "TZUL PEREZ", "2009-03-02",
                                   today=TODAY))[0][0] == "P2"


def test_another_person_of_the_same_surnames_does_not_hit(index: AlertIndex) -> None:
    assert index.check_person("PEDRO", "HERNANDEZ LOPEZ", "1971-02-03", today=TODAY) == []
    assert index.check_person("JOSE LUIS", "MARTINEZ", "1990-05-17", today=TODAY) == []


def test_a_vehicle_hits_by_plate_or_vin(index: AlertIndex) -> None:
    assert hits(index.check_vehicle("P-123 BCD", "GTM", today=TODAY)) == [("V1", 1.0)]
    assert hits(index.check_vehicle("P123BC0", "GTM", today=TODAY)) == [("V1", 0.85)]
    assert index.check_vehicle("P123BCD", "MEX", today=TODAY) == []
    assert hits(index.check_vehicle(code="1m8gdm9axkp042788", today=TODAY)) == [("V1", 1.0)]
    with pytest.raises(InvalidInput, match="check digit"):
        index.check_vehicle(code="1M8GDM9A1KP042788", today=TODAY)


def test_memory_is_reported(index: AlertIndex) -> None:
    memory = index.memory()
    assert (memory["documents"], memory["plates"], memory["vins"], memory["persons"]) == \
        (2, 1, 1, 2)
    assert memory["key_bytes"] == 16 * 4  # D3 expired before the build


def test_a_block_of_namesakes_is_left_out_while_a_narrower_key_finds_the_person() -> None:
    from cruce.checks._persons import MAX_BLOCK, PersonIndex, standardise

    people = PersonIndex()
    for i in range(MAX_BLOCK + 100):  # Hernández born in 1990, all but one other people
        people._add(i, standardise(f"NAME{i}", "HERNANDEZ", f"1990-01-{1 + i % 28:02d}", ""))
    people._add(9999, standardise("JOSE", "HERNANDEZ LOPEZ", "1990-05-17", "HND"))
    query = standardise("JOSE", "HERNANDEZ LOPEZ", "1990-05-17", "")
    assert people.candidates(query) == {MAX_BLOCK + 100}  # its position: the narrow keys only
    assert [seq for seq, _, _ in people.screen(query)] == [9999]
    # Every key broad: the narrowest is still scored (a broad query is never answered empty).
    assert len(people.candidates(standardise("", "HERNANDEZ", "1990", ""))) > MAX_BLOCK
