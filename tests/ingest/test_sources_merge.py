"""A record described by several files of one dataset is the merge of what each file says."""

import json
from pathlib import Path

from tests.conftest import MAPPING

from cruce import Node
from cruce.ingest import entity_id, key_prefix
from cruce.store import RecordQuery

EVENTS = """
    - csv_url: detenciones.csv
      entities:
        persona:
          schema: Person
          keys: [id_persona]
          envelope:
            subject_category: suspect
          properties:
            alias: {column: alias_detencion}
        detencion:
          schema: Event
          keys: [id_detencion]
          properties:
            name: {literal: "Detención"}
            date: {column: fecha}
            involved: {entity: persona}
"""


def setup(agency_dir: Path) -> Path:
    mapping = agency_dir / "mapping.yml"
    mapping.write_text(MAPPING + EVENTS.replace("\n", "\n", 1), encoding="utf-8")
    (agency_dir / "detenciones.csv").write_text(
        "id_detencion,id_persona,fecha,alias_detencion\nD-1,HN-2,2026-01-02,La Güera\n",
        encoding="utf-8",
    )
    return mapping


def person(node: Node, key: str) -> dict:
    pid = entity_id(key_prefix("hn_police", "hn_police_personas"), [key])
    [row] = node.store._select(RecordQuery(ids=[pid]))
    return {"props": json.loads(row[3]), "category": row[8], "tlp": row[11]}


def test_a_second_file_adds_to_a_record_without_erasing_it(node: Node, agency_dir: Path) -> None:
    mapping = setup(agency_dir)
    node.ingest(agency_dir / "personas.csv", mapping=mapping)
    node.ingest(agency_dir / "detenciones.csv", mapping=mapping)
    maria = person(node, "HN-2")
    assert maria["props"]["name"] == ["Lopez De Hernandez Maria"]
    assert maria["props"]["alias"] == ["La Güera"]
    assert (maria["category"], maria["tlp"]) == ("victim", "RED"), "victim protection wins the merge"


def test_reingesting_one_source_replaces_only_its_own_part(node: Node, agency_dir: Path) -> None:
    mapping = setup(agency_dir)
    node.ingest(agency_dir / "personas.csv", mapping=mapping)
    node.ingest(agency_dir / "detenciones.csv", mapping=mapping)
    text = (agency_dir / "personas.csv").read_text().replace(",1985,", ",1986,")
    (agency_dir / "personas.csv").write_text(text)
    result = node.ingest(agency_dir / "personas.csv", mapping=mapping)
    assert result.updated == 1
    maria = person(node, "HN-2")
    assert maria["props"]["birthDate"] == ["1986"], "the corrected value replaces the old one"
    assert maria["props"]["alias"] == ["La Güera"], "the other file's part stays"


def test_sources_in_either_order_give_the_same_record(tmp_path: Path, agency_dir: Path) -> None:
    mapping = setup(agency_dir)
    with Node.open(tmp_path / "a.duckdb") as a, Node.open(tmp_path / "b.duckdb") as b:
        a.ingest(agency_dir / "personas.csv", mapping=mapping)
        a.ingest(agency_dir / "detenciones.csv", mapping=mapping)
        b.ingest(agency_dir / "detenciones.csv", mapping=mapping)
        b.ingest(agency_dir / "personas.csv", mapping=mapping)
        sql = "SELECT id, schema, properties, subject_category, tlp FROM records ORDER BY id"
        assert a.store._query(sql) == b.store._query(sql)
