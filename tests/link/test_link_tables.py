"""The store's public linkage methods (issue 11 #4) behave the same on DuckDB and PostgreSQL
(that linkage uses only them: tests/store/test_store_door.py)."""

from __future__ import annotations

import json
from pathlib import Path

from cruce import Node
from cruce.store import MemorySink, open_store
from cruce.store._linkage_tables import PairRow

ENVELOPE = {"dataset": "subjects", "purpose": "gangs_organized_crime", "handling_code": "H1",
            "tlp": "AMBER", "source_reliability": "B", "information_accuracy": "2",
            "retain_until": "2031-12-31"}


def _pair(a: str, b: str, p: float, version: str = "m-1") -> PairRow:
    return PairRow(a, b, p, version, json.dumps([{"field": "name", "level": "x", "weight": 1.0}]))


def test_a_run_is_stored_whole_and_replaces_the_previous_one(store_url: str) -> None:
    store = open_store(store_url, MemorySink())
    try:
        store.save_link_run("m-1", '{"a": 1}', 3, [_pair("a", "b", 0.9), _pair("a", "c", 0.55)],
                            {"a": "k1", "b": "k1", "c": "k2"})
        assert store.pair_scores() == {("a", "b"): 0.9, ("a", "c"): 0.55}
        assert [p.right_id for p in store.pairs_by_uncertainty()] == ["c", "b"]
        assert store.canonical_id_of("b") == "k1" and store.canonical_id_of("zz") is None
        store.save_link_run("m-1", '{"a": 1}', 3, [_pair("b", "c", 0.7)], {"c": "k9"})
        store.save_link_run("m-2", '{"a": 2}', 3, [], {})
        assert store.pair_scores() == {} and store.canonical_ids() == {}
        assert store.model_versions() == ["m-1", "m-2"], "a model version is stored once"
    finally:
        store.close()


def test_judgements_are_appended_in_order_and_only_ids_are_read(store_url: str, tmp_path: Path) -> None:
    people = tmp_path / "people.jsonl"
    people.write_text("".join(json.dumps({"id": i, "schema": "Person", "properties": {
        "name": [f"Ana Lopez {i}"]}}) + "\n" for i in ("p1", "p2")), encoding="utf-8")
    with Node.open(store_url, agency="hn_police") as node:
        node.ingest(people, envelope=ENVELOPE)
        sink = MemorySink()
        node.store.sink, before = sink, node.store.sink
        try:
            assert node.store.known_record_ids(["p1", "p2", "nope"]) == {"p1", "p2"}
            assert node.store.known_record_ids([]) == set()
            first = node.store.add_judgement("p1", "p2", "same", "ana", "hn_police", "one id")
            second = node.store.add_judgement("p1", "p2", "different", "ben", "hn_police", "twins")
        finally:
            node.store.sink = before
        assert second == first + 1
        assert [(r.verdict, r.username, r.reason) for r in node.store.judgement_rows()] == [
            ("same", "ana", "one id"), ("different", "ben", "twins")]
        assert sink.events == [], "linkage tables hold no record content: no consultation"

