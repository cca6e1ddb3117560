"""Linkage reaches the store only through its public linkage methods (issue 11 #4), and those
methods behave the same on DuckDB and PostgreSQL."""

from __future__ import annotations

import ast
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from cruce import Node
from cruce.store import MemorySink, open_store
from cruce.store._linkage_tables import PairRow

POSTGRES = os.environ.get("CRUCE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
SRC = Path(__file__).resolve().parents[2] / "src" / "cruce"
ENVELOPE = {"dataset": "subjects", "purpose": "gangs_organized_crime", "handling_code": "H1",
            "tlp": "AMBER", "source_reliability": "B", "information_accuracy": "2",
            "retain_until": "2031-12-31"}


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "duckdb":
        yield str(tmp_path / "node.duckdb")
        return
    schema = f"cruce_test_{secrets.token_hex(6)}"
    try:
        admin = psycopg.connect(POSTGRES, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server at {POSTGRES}: {str(exc).splitlines()[0]}")
    with admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            yield f"{POSTGRES}{'&' if '?' in POSTGRES else '?'}options=-csearch_path%3D{schema}"
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def _pair(a: str, b: str, p: float, version: str = "m-1") -> PairRow:
    return PairRow(a, b, p, version, json.dumps([{"field": "name", "level": "x", "weight": 1.0}]))


def test_a_run_is_stored_whole_and_replaces_the_previous_one(url: str) -> None:
    store = open_store(url, MemorySink())
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


def test_judgements_are_appended_in_order_and_only_ids_are_read(url: str, tmp_path: Path) -> None:
    people = tmp_path / "people.jsonl"
    people.write_text("".join(json.dumps({"id": i, "schema": "Person", "properties": {
        "name": [f"Ana Lopez {i}"]}}) + "\n" for i in ("p1", "p2")), encoding="utf-8")
    with Node.open(url, agency="hn_police") as node:
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


def test_link_never_calls_a_private_store_method() -> None:
    """The store is the only door: no `store._query`, `_execute`, `_append_rows`, `_select`
    or other `_` attribute of a store outside cruce/store/ in linkage's modules."""
    files = [*sorted((SRC / "link").glob("*.py")), SRC / "cli" / "_link.py"]
    private = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                    and not node.attr.startswith("__") and _names_a_store(node.value)):
                private.append(f"{path.name}:{node.lineno}: .{node.attr}")
    assert private == []


def _names_a_store(value: ast.expr) -> bool:
    return (isinstance(value, ast.Name) and value.id == "store") or (
        isinstance(value, ast.Attribute) and value.attr == "store")
