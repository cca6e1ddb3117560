"""The store contract: one behaviour suite, run against every backend (DuckDB, PostgreSQL).

The PostgreSQL runs need a server (CRUCE_TEST_POSTGRES, default
postgresql://postgres@127.0.0.1:5432/test); each test gets a fresh schema, dropped afterwards.
Deselect them with `-m "not postgres"`.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from tests._postgres import fresh_store_url
from tests.conftest import MAPPING, ROWS, write_csv

from cruce import Node
from cruce.audit import MAX_LISTED_IDS, Actor, Justification, Operation, digest_ids
from cruce.errors import CruceError, InvalidInput, NotFound
from cruce.ingest._mapping import load_mapping
from cruce.ingest._tabular import stage_file
from cruce.store import MemorySink, RecordQuery, Store, open_store
from cruce.store._schema import MIGRATIONS, RECORD_COLUMNS

ACTOR = Actor("hn_police", "analyst1", "analyst")
WHY = Justification("gangs_organized_crime", "investigation", "HN-2026-0042", "a lead")
COLLECT = Justification("gangs_organized_crime", "collection by the owning agency")


# -- fixtures -------------------------------------------------------------------------------
@pytest.fixture()
def pg_url() -> Iterator[str]:
    with fresh_store_url() as pg:
        yield pg


@pytest.fixture()
def sink() -> MemorySink:
    return MemorySink()


@pytest.fixture()
def store(store_url: str, sink: MemorySink) -> Iterator[Store]:
    opened = open_store(store_url, sink)
    yield opened
    opened.close()


# -- tables to write --------------------------------------------------------------------------
@pytest.fixture()
def staged(tmp_path: Path) -> pa.Table:
    """The fixture export through the real ingest staging: 4 people, 2 gangs, 3 memberships."""
    return stage(tmp_path, ROWS)


def stage(folder: Path, rows: list[str]) -> pa.Table:
    (folder / "mapping.yml").write_text(MAPPING, encoding="utf-8")
    path = write_csv(folder / "personas.csv", rows)
    [mapping] = load_mapping(folder / "mapping.yml")
    return stage_file(path, mapping, mapping.queries[0], keep_going=False).table


def people(ids: list[str], *, name: str = "Person", retain_until: date | None = None,
           **overrides: Any) -> pa.Table:
    """Hand-built Person records with the given ids (RECORD_COLUMNS, typed as ingest makes them)."""
    now = datetime.now(UTC)
    rows = []
    for i, record_id in enumerate(ids):
        label = f"{name} {record_id}"
        rows.append({
            "id": record_id, "schema": "Person", "caption": label,
            "properties": json.dumps({"name": [label]}), "search_text": label.lower(),
            "agency": "hn_police", "dataset": "hn_police_personas",
            "purpose": "gangs_organized_crime", "subject_category": "suspect",
            "handling_code": "H2", "handling_restriction": None, "tlp": "AMBER",
            "source_reliability": "B", "information_accuracy": "2", "is_shareable": True,
            "retain_until": retain_until or date.today() + timedelta(days=365),
            "source_file": "people.csv", "source_line": i + 2, "batch": "b",
            "created_at": now, "updated_at": now,
        } | overrides)
    schema = pa.schema([
        pa.field(c, {"is_shareable": pa.bool_(), "retain_until": pa.date32(),
                     "source_line": pa.int32(), "created_at": pa.timestamp("us", tz="UTC"),
                     "updated_at": pa.timestamp("us", tz="UTC")}.get(c, pa.string()))
        for c in RECORD_COLUMNS
    ])
    return pa.Table.from_pylist(rows, schema=schema)


def write(store: Store, table: pa.Table, batch: str | None = None,
          source: str = "hn_police_personas:personas.csv"):
    """Write as ingest does: one source (dataset and file) whose re-writes replace its part."""
    batch = batch or secrets.token_hex(4)
    return store.write_table(table, ACTOR, COLLECT, batch, {"file": "personas.csv"}, source=source)


def ops(sink: MemorySink) -> list[str]:
    return [e.operation.value for e in sink.events]


def ids_of(table: pa.Table) -> list[str]:
    return [str(v) for v in table.column("id").to_pylist()]


# Ids whose byte order differs from most locales' order (upper before "_" before lower case).
ODD_IDS = ["b-2", "B-1", "_x", "a.1", "A_0", "zz", "Z9", "ña", "n~"]


# -- the suite ------------------------------------------------------------------------------
def test_migrations_run_once_and_reopening_keeps_everything(store_url: str, staged: pa.Table) -> None:
    first = open_store(store_url, MemorySink())
    try:
        assert first.migrate() == len(MIGRATIONS)
        write(first, staged)
        first.set_setting("agency", "hn_police")
    finally:
        first.close()
    again = open_store(store_url, MemorySink())
    try:
        assert again.migrate() == len(MIGRATIONS)
        versions = [r[0] for r in again._query("SELECT version FROM schema_migrations ORDER BY 1")]
        assert versions == list(range(1, len(MIGRATIONS) + 1))
        assert again.count() == staged.num_rows == 9
        assert again.get_setting("agency") == "hn_police"
    finally:
        again.close()


def test_a_write_inserts_then_the_same_write_changes_nothing(
    store: Store, sink: MemorySink, staged: pa.Table
) -> None:
    first = write(store, staged, "batch-1")
    assert (first.inserted, first.updated, first.unchanged) == (9, 0, 0)
    [collection] = sink.events
    assert collection.operation is Operation.COLLECTION and collection.batch == "batch-1"
    assert list(collection.record_ids) == sorted(ids_of(staged))
    assert collection.record_count == 9 and collection.record_digest is None
    assert collection.actor == ACTOR and collection.details == {"file": "personas.csv"}

    again = write(store, staged, "batch-2")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 9)
    assert ops(sink) == ["collection"], "an unchanged re-write logs nothing"
    assert store.count() == 9


def test_a_changed_row_is_one_alteration(store: Store, sink: MemorySink, tmp_path: Path) -> None:
    write(store, stage(tmp_path, ROWS))
    changed_rows = [ROWS[0].replace("05/03/1990", "06/03/1990"), *ROWS[1:]]
    result = write(store, stage(tmp_path, changed_rows))
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 8)
    assert ops(sink) == ["collection", "alteration"]
    [jose] = store.read(RecordQuery(text="hernandez jose"), ACTOR, WHY)
    assert sink.events[1].record_ids == (jose.id,) and sink.events[1].record_count == 1
    assert jose.entity.get("birthDate") == ["1990-03-06"]


def test_an_empty_write_writes_and_logs_nothing(store: Store, sink: MemorySink) -> None:
    result = write(store, people([]))
    assert (result.inserted, result.updated, result.unchanged) == (0, 0, 0)
    assert sink.events == [] and store.count() == 0


def test_many_writes_in_one_session(store: Store, sink: MemorySink) -> None:
    # Enough repeats for the driver to prepare its statements (psycopg: after 5).
    for round_ in range(8):
        result = write(store, people([f"p{round_}", "shared"], name=f"Round {round_}"))
        assert (result.inserted, result.updated) == ((2, 0) if round_ == 0 else (1, 1))
        assert store.get_setting("missing") is None
        assert len(store.read(RecordQuery(ids=["shared", f"p{round_}"]), ACTOR, WHY)) == 2
    assert store.count() == 9
    [shared] = store.read(RecordQuery(ids=["shared"]), ACTOR, WHY)
    assert shared.caption == "Round 7 shared"


def test_provenance_and_times_alone_are_no_change(store: Store, sink: MemorySink) -> None:
    write(store, people(["p1", "p2"]))
    later = datetime.now(UTC) + timedelta(hours=1)
    result = write(store, people(["p1", "p2"], source_file="other.csv", updated_at=later))
    assert (result.inserted, result.updated, result.unchanged) == (0, 0, 2)
    result = write(store, people(["p1", "p2"], tlp="RED", is_shareable=False))
    assert (result.inserted, result.updated, result.unchanged) == (0, 2, 0)
    assert [e.record_ids for e in sink.events] == [("p1", "p2"), ("p1", "p2")]


def test_large_writes_name_their_records_by_count_and_digest(
    store: Store, sink: MemorySink
) -> None:
    ids = [f"rec-{i:05d}" for i in range(1500)] + ODD_IDS
    table = people(ids)
    result = write(store, table)
    assert result.inserted == len(ids) > MAX_LISTED_IDS
    [collection] = sink.events
    assert collection.record_ids == () and collection.record_count == len(ids)
    assert collection.record_digest == digest_ids(ids)

    # 1,200 altered, 1 more listed id than the limit allows; plus a few new ones, listed.
    altered = ids[:1200]
    fresh = ["new-1", "New-2"]
    mixed = pa.concat_tables([
        people(altered, name="Renamed"), people(ids[1200:]), people(fresh)
    ])
    result = write(store, mixed)
    assert (result.inserted, result.updated, result.unchanged) == (2, 1200, len(ids) - 1200)
    collection, alteration = sink.events[1:]
    assert collection.operation is Operation.COLLECTION
    assert collection.record_ids == tuple(sorted(fresh))
    assert alteration.operation is Operation.ALTERATION and alteration.record_ids == ()
    assert alteration.record_count == 1200 and alteration.record_digest == digest_ids(altered)
    assert json.loads(alteration.encode())["record_digest"] == digest_ids(altered)


def test_reads_come_back_in_byte_order_of_id(store: Store, sink: MemorySink) -> None:
    write(store, people(ODD_IDS))
    records = store.read(RecordQuery(schema="Person"), ACTOR, WHY)
    assert [r.id for r in records] == sorted(ODD_IDS)
    assert sink.events[-1].record_ids == tuple(sorted(ODD_IDS))
    assert [r.id for r in store.read(RecordQuery(limit=3), ACTOR, WHY)] == sorted(ODD_IDS)[:3]


def test_get_read_and_search_log_consultations(
    store: Store, sink: MemorySink, staged: pa.Table
) -> None:
    write(store, staged)
    [jose] = store.read(RecordQuery(text="HERNÁNDEZ josé"), ACTOR, WHY)
    assert jose.caption == "Hernandez Garcia Jose Luis" and jose.schema == "Person"
    assert jose.envelope.tlp.value == "AMBER" and jose.envelope.is_shareable is True
    assert isinstance(jose.envelope.retain_until, date)
    got = store.get(jose.id, ACTOR, WHY)
    assert got.to_dict() == jose.to_dict()
    people_read = store.read(RecordQuery(schema="Person", agency="hn_police"), ACTOR, WHY)
    assert len(people_read) == 4
    consultations = sink.events[1:]
    assert [e.operation for e in consultations] == [Operation.CONSULTATION] * 3
    assert [e.record_ids for e in consultations[:2]] == [(jose.id,), (jose.id,)]
    assert consultations[2].record_ids == tuple(sorted(r.id for r in people_read))
    assert consultations[0].justification == WHY and consultations[0].actor == ACTOR


def test_a_read_that_finds_nothing_logs_nothing(
    store: Store, sink: MemorySink, staged: pa.Table
) -> None:
    write(store, staged)
    assert store.read(RecordQuery(text="nobody here"), ACTOR, WHY) == []
    assert store.read(RecordQuery(ids=[]), ACTOR, WHY) == []
    with pytest.raises(NotFound):
        store.get("no-such-id", ACTOR, WHY)
    assert ops(sink) == ["collection"]


def test_export_logs_one_consultation_before_any_record(store: Store, sink: MemorySink) -> None:
    ids = [f"x{i:04d}" for i in range(1200)]
    write(store, people(ids))
    stream = store.iter_read(RecordQuery(schema="Person"), ACTOR, WHY, chunk=500)
    first = next(stream)
    [_, export] = sink.events
    assert export.operation is Operation.CONSULTATION and export.details == {"export": True}
    assert export.to_dict()["record_digest"] == digest_ids(ids)
    assert [first.id, *(r.id for r in stream)] == ids


@pytest.mark.slow
def test_many_ids_in_one_read_and_one_erasure(store: Store, sink: MemorySink) -> None:
    # More ids than PostgreSQL's 65,535 bind parameters per statement.
    ids = [f"m{i:06d}" for i in range(70_000)]
    write(store, people(ids))
    asked = ids[::1000] + [f"missing-{i}" for i in range(70_000)]
    assert [r.id for r in store.read(RecordQuery(ids=asked), ACTOR, WHY)] == ids[::1000]
    assert store.erase(ids[:66_000], ACTOR, WHY) == 66_000
    assert store.count() == 4_000
    assert sink.events[-1].to_dict()["record_digest"] == digest_ids(ids[:66_000])


def test_erasure_removes_the_record_and_logs_ids_without_content(
    store: Store, sink: MemorySink, staged: pa.Table
) -> None:
    write(store, staged)
    [pedro] = store.read(RecordQuery(text="tzul"), ACTOR, WHY)
    assert store.erase([pedro.id, "not-stored"], ACTOR, WHY) == 1
    erasure = sink.events[-1]
    assert erasure.operation is Operation.ERASURE and erasure.record_ids == (pedro.id,)
    encoded = erasure.encode().decode()
    assert "tzul" not in encoded.lower() and "pedro" not in encoded.lower()
    assert store.count() == 8
    with pytest.raises(NotFound):
        store.get(pedro.id, ACTOR, WHY)
    with pytest.raises(NotFound):
        store.erase([pedro.id], ACTOR, WHY)
    # The record comes back whole when its file is ingested again.
    assert write(store, staged).inserted == 1


def test_erase_expired_erases_only_records_past_their_date(
    store: Store, sink: MemorySink
) -> None:
    today = date.today()
    write(store, pa.concat_tables([
        people(["old-1", "old-2"], retain_until=today - timedelta(days=1)),
        people(["today"], retain_until=today),
        people(["later"]),
    ]))
    assert store.erase_expired(today, ACTOR, WHY) == 2
    assert sink.events[-1].operation is Operation.ERASURE
    assert sink.events[-1].record_ids == ("old-1", "old-2")
    assert store.erase_expired(today, ACTOR, WHY) == 0
    assert sorted(r[0] for r in store._query("SELECT id FROM records")) == ["later", "today"]


def test_counts_are_aggregates_only(store: Store, sink: MemorySink, staged: pa.Table) -> None:
    write(store, staged)
    assert store.counts("schema") == [("Membership", 3), ("Organization", 2), ("Person", 4)]
    assert store.counts("agency", "tlp") == [("hn_police", "AMBER", 8), ("hn_police", "RED", 1)]
    assert store.count() == 9
    assert ops(sink) == ["collection"]
    with pytest.raises(ValueError, match="cannot group by 'properties'"):
        store.counts("properties")


def test_a_failed_transaction_leaves_nothing(store_url: str, staged: pa.Table) -> None:
    class Boom(Exception):
        pass

    store = open_store(store_url)  # events in the store's own table, in the same transaction
    try:
        store.set_setting("agency", "hn_police")
        with pytest.raises(Boom), store.transaction():
            write(store, staged)
            store.set_setting("agency", "someone_else")
            assert store.count() == 9, "inside the transaction the write is visible"
            raise Boom
        assert store.count() == 0
        assert store._query("SELECT count(*) FROM access_events")[0][0] == 0
        assert store._query("SELECT count(*) FROM batches")[0][0] == 0
        assert store.get_setting("agency") == "hn_police"
        # The store is usable afterwards, and nested transactions join the outer one.
        with store.transaction(), store.transaction():
            write(store, staged)
        assert store.count() == 9
        assert store._query("SELECT count(*) FROM access_events")[0][0] == 1
    finally:
        store.close()


def test_a_failed_write_rolls_back_records_and_events(store_url: str, staged: pa.Table) -> None:
    store = open_store(store_url)
    try:
        write(store, staged)

        def explode(_: object) -> None:
            raise RuntimeError("sink down")

        store.sink.emit = explode  # type: ignore[method-assign]
        with pytest.raises(RuntimeError, match="sink down"):
            write(store, people(["p1"]))
        del store.sink.emit
        assert store.count() == 9
        assert store._query("SELECT count(*) FROM access_events")[0][0] == 1
    finally:
        store.close()


def test_sources_merge_and_a_source_rewrites_only_its_part(store: Store) -> None:
    register = people(["p1"], properties=json.dumps({"name": ["Ana Diaz"]}))
    events = people(["p1"], properties=json.dumps({"alias": ["La Guera"]}),
                    subject_category="victim", tlp="RED", is_shareable=False)
    write(store, register, source="register")
    write(store, events, source="events")
    [ana] = store.read(RecordQuery(ids=["p1"]), ACTOR, WHY)
    assert ana.entity.get("name") == ["Ana Diaz"] and ana.entity.get("alias") == ["La Guera"]
    assert ana.envelope.subject_category is not None
    assert ana.envelope.subject_category.value == "victim" and ana.envelope.tlp.value == "RED"
    write(store, people(["p1"], properties=json.dumps({"name": ["Ana Díaz"]})), source="register")
    [ana] = store.read(RecordQuery(ids=["p1"]), ACTOR, WHY)
    assert ana.entity.get("name") == ["Ana Díaz"] and ana.entity.get("alias") == ["La Guera"]


def test_node_settings(store: Store) -> None:
    assert store.get_setting("agency") is None
    store.set_setting("agency", "hn_police")
    store.set_setting("agency", "gt_pnc")
    store.set_setting("note", "100% ready?")
    assert store.get_setting("agency") == "gt_pnc"
    assert store.get_setting("note") == "100% ready?"


def test_a_node_ingests_the_export_through_the_whole_stack(store_url: str, agency_dir: Path) -> None:
    with Node.open(store_url, agency="hn_police", user="analyst1") as node:
        result = node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
        assert (result.rows, result.inserted, result.updated, result.rejected) == (4, 9, 0, 0)
        again = node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, 9)
        assert dict(node.stats("schema")) == {"Membership": 3, "Organization": 2, "Person": 4}
        why = Justification("gangs_organized_crime", case_reference="HN-2026-0042")
        [found] = node.search("hernandez jose", why)
        assert found.entity.get("phone") == ["+50499887766"]
    with Node.open(store_url) as node:
        assert node.agency == "hn_police"
        if node.audit is not None:  # a store file: events go to the tamper-evident log beside it
            logged = [entry.event["op"] for entry in node.audit.iter_events()]
        else:  # a server store without CRUCE_AUDIT_DIR keeps them in its own table
            logged = [r[0] for r in node.store._query("SELECT operation FROM access_events ORDER BY seq")]
        assert logged == ["collection", "consultation"]


# -- PostgreSQL only ------------------------------------------------------------------------
def test_an_unreachable_server_is_one_line_naming_the_url_without_its_password() -> None:
    with pytest.raises(CruceError) as caught:
        open_store("postgresql://cruce:s3cret@127.0.0.1:1/nodes?connect_timeout=2")
    message = str(caught.value)
    assert message.startswith("cannot open store postgresql://cruce@127.0.0.1:1/nodes")
    assert "s3cret" not in message and "\n" not in message


@pytest.mark.postgres
def test_a_missing_schema_is_a_clear_error(pg_url: str) -> None:
    url = pg_url.replace("cruce_test_", "cruce_missing_")
    with pytest.raises(CruceError, match="no schema has been selected to create in"):
        open_store(url)


# -- one validation for every backend (cruce.store._limits) ------------------------------------
def test_values_too_long_for_their_column_are_refused_alike(store: Store) -> None:
    """DuckDB ignores VARCHAR lengths: the store checks them itself, as PostgreSQL would."""
    with pytest.raises(InvalidInput) as caught:
        write(store, pa.concat_tables([people(["ok"]), people(["long"], dataset="d" * 129)]))
    assert str(caught.value) == ("cannot store records: record 2 (id 'long'), column dataset: "
                                 "is 129 characters long; at most 128")
    with pytest.raises(InvalidInput, match=r"record 1 \(id 'xxxxx.*column id: is 65 characters"):
        write(store, people(["x" * 65]))
    with pytest.raises(InvalidInput, match="column caption: is 1000001 characters long"):
        write(store, people(["big"], caption="c" * 1_000_001))
    assert store.count() == 0 and not store._query("SELECT * FROM fragments")


def test_the_longest_values_the_schema_allows_are_kept(store: Store) -> None:
    write(store, people(["i" * 64, *ODD_IDS], dataset="d" * 128))
    assert store.count() == 1 + len(ODD_IDS)


@pytest.mark.parametrize("column", ["properties", "caption", "search_text", "source_file"])
def test_a_nul_character_is_refused_alike(store: Store, column: str) -> None:
    """PostgreSQL's text cannot hold NUL; DuckDB's can, so the store refuses it everywhere."""
    with pytest.raises(InvalidInput, match=f"record 1 \\(id 'p1'\\), column {column}: holds a NUL"):
        write(store, people(["p1"], **{column: "a\x00b"}))
    assert store.count() == 0


@pytest.mark.parametrize("bad", ["", "a b", "tab\there", "nl\n", "\x7fdel", "\x00"])
def test_an_id_that_is_empty_or_holds_a_control_character_is_refused(store: Store,
                                                                     bad: str) -> None:
    with pytest.raises(InvalidInput, match="cannot store records: record 2 .*column id"):
        write(store, pa.concat_tables([people(["fine"]), people([bad])]))
    assert store.count() == 0


@pytest.mark.postgres
def test_an_id_written_twice_in_one_write_is_refused_clearly(pg_url: str) -> None:
    store = open_store(pg_url)
    try:
        with pytest.raises(InvalidInput, match="hold id 'p1' more than once"):
            write(store, pa.concat_tables([people(["p1", "p2"]), people(["p1"])]))
        assert store.count() == 0
    finally:
        store.close()


def test_many_rows_go_into_a_store_table_in_one_write_and_roll_back_together(
    store: Store,
) -> None:
    """How a linkage run stores its pairs and clusters (a row per record)."""
    rows = [(f"rec-{i:05d}", f"c-{i // 3:05d}", "m-1") for i in range(5000)]
    store._append_rows("clusters", ("record_id", "canonical_id", "model_version"), rows)
    stored = store._query("SELECT record_id, canonical_id, model_version FROM clusters "
                          "ORDER BY record_id")
    assert [tuple(r) for r in stored] == rows
    pairs = [("a", "b", 0.97, "m-1", '{"name": "ñandú \\"quoted\\"\\ttab"}')]
    store._append_rows("link_pairs", ("left_id", "right_id", "probability", "model_version",
                                      "explanation"), pairs)
    assert [tuple(r) for r in store._query("SELECT * FROM link_pairs")] == pairs
    with pytest.raises(RuntimeError), store.transaction():
        store._append_rows("clusters", ("record_id", "canonical_id", "model_version"),
                           [("late", "c-late", "m-2")])
        raise RuntimeError("the run fails after storing")
    assert store._query("SELECT count(*) FROM clusters")[0][0] == 5000
    store._append_rows("clusters", ("record_id", "canonical_id", "model_version"), [])
