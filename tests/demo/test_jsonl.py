"""The JSON-lines export: what cruce stores of each agency's people, with its truth."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from tests.demo.conftest import PEOPLE_FILES

from cruce import Node, justification
from cruce.demo import AGENCIES, WorldSpec, generate_world, write_people_jsonl
from cruce.records import PurposeArea, make_entity

SPEC = WorldSpec(seed=3, people=400)
ALLOWED = {"name", "firstName", "middleName", "lastName", "fatherName", "motherName", "alias",
           "gender", "birthDate", "nationality", "birthPlace", "birthCountry", "idNumber",
           "passportNumber", "phone"}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    root = tmp_path_factory.mktemp("jsonl")
    generate_world(root / "world", SPEC)
    return root / "world", write_people_jsonl(root / "jsonl", SPEC)


def _entities(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_each_line_is_a_valid_person_with_its_truth(exported: tuple[Path, dict[str, Path]]) -> None:
    _, paths = exported
    assert sorted(paths) == sorted(AGENCIES)
    truth_path = next(iter(paths.values())).parent / "truth" / "people.csv"
    truth = {r["record_id"]: r for r in csv.DictReader(truth_path.open(encoding="utf-8"))}
    count = 0
    for agency, path in paths.items():
        for data in _entities(path):
            entity = make_entity(data)
            assert entity.schema.name == "Person"
            assert set(data["properties"]) <= ALLOWED
            assert truth[data["id"]]["agency"] == agency
            count += 1
    assert count == len(truth)


@pytest.mark.parametrize("agency", AGENCIES)
def test_jsonl_holds_what_cruce_stores_from_the_csv(
    exported: tuple[Path, dict[str, Path]], agency: str
) -> None:
    world, paths = exported
    dataset, filename = PEOPLE_FILES[agency]
    with Node.open(":memory:", agency=agency) as node:
        node.ingest(world / agency / filename, mapping=world / agency / "mapping.yml",
                    dataset=dataset)
        stored = {}
        for area in PurposeArea:  # each record read under its own purpose (purpose limitation)
            why = justification(area.value, "DEMO-TEST")
            stored |= {r.id: r.entity.to_dict()["properties"]
                       for r in node.export(why, schema="Person", collected_for=[area.value])}
    mine = {e["id"]: e["properties"] for e in _entities(paths[agency])}
    assert mine.keys() == stored.keys()
    for record_id, props in mine.items():
        theirs = stored[record_id]
        assert {k: sorted(v) for k, v in props.items()} == {k: sorted(v) for k, v in theirs.items()}
