"""Every generated mapping is a valid FtM mapping and a valid cruce mapping."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
import yaml
from followthemoney import model

from cruce.demo import AGENCIES, WorldSummary
from cruce.ingest import key_prefix, load_mapping
from cruce.records import SubjectCategory

# The envelope defaults the agencies' data-sharing terms call for.
ENVELOPES = {
    "hn_police": ("gangs_organized_crime", "H2", "AMBER"),
    "gt_police": ("trafficking_smuggling", "H1", "AMBER"),
    "sv_police": ("gangs_organized_crime", "H2", "AMBER"),
    "mx_migration": ("border_security", "H2", "AMBER+STRICT"),
    "us_border": ("border_security", "H1", "AMBER"),
}


def _mapping(world: WorldSummary, agency: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((world.out_dir / agency / "mapping.yml").read_text())
    return data


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as fh:
        return next(csv.reader(fh))


@pytest.mark.parametrize("agency", AGENCIES)
def test_every_query_loads_as_a_followthemoney_mapping(world: WorldSummary, agency: str) -> None:
    for dataset, block in _mapping(world, agency).items():
        assert dataset.startswith(f"{agency}_")
        for query in block["queries"]:
            mapped = model.make_mapping(query, key_prefix=key_prefix(agency, dataset))
            assert mapped.entities
            for name, entity in query["entities"].items():
                schema = model.get(entity["schema"])
                assert schema is not None, name
                for prop in entity.get("properties", {}):
                    assert schema.get(prop) is not None, f"{dataset}.{name}: {prop}"


def _columns_used(block: dict[str, Any], query: dict[str, Any]) -> set[str]:
    used = set(block["cruce"].get("columns", {}))
    for entity in query["entities"].values():
        used.update(entity["keys"])
        category = entity.get("envelope", {}).get("subject_category")
        if isinstance(category, dict):
            used.add(category["column"])
        for prop in entity.get("properties", {}).values():
            used.update(prop.get("columns", []))
            used.update([prop["column"]] if "column" in prop else [])
    return used


@pytest.mark.parametrize("agency", AGENCIES)
def test_cruce_accepts_every_dataset(world: WorldSummary, agency: str) -> None:
    datasets = load_mapping(world.out_dir / agency / "mapping.yml")
    assert {d.agency for d in datasets} == {agency}
    for dataset in datasets:
        purpose, code, tlp = ENVELOPES[agency]
        env = dataset.envelope
        assert (env["purpose"], env["handling_code"], env["tlp"]) == (purpose, code, tlp)


@pytest.mark.parametrize("agency", AGENCIES)
def test_every_column_a_mapping_names_is_in_its_file(world: WorldSummary, agency: str) -> None:
    for dataset, block in _mapping(world, agency).items():
        for query in block["queries"]:
            header = set(_header(world.out_dir / agency / query["csv_url"]))
            missing = _columns_used(block, query) - header
            assert not missing, f"{dataset} uses columns its file lacks: {missing}"


@pytest.mark.parametrize("agency", AGENCIES)
def test_person_entities_carry_a_subject_category_mapping(world: WorldSummary, agency: str) -> None:
    allowed = {c.value for c in SubjectCategory}
    for dataset, block in _mapping(world, agency).items():
        query = block["queries"][0]
        people = [e for e in query["entities"].values() if e["schema"] == "Person"]
        assert len(people) == 1, dataset
        category = people[0]["envelope"]["subject_category"]
        if isinstance(category, str):
            assert category in allowed
            continue
        assert set(category["map"].values()) <= allowed
        rows = csv.DictReader((world.out_dir / agency / query["csv_url"]).open(encoding="utf-8"))
        values = {row[category["column"]] for row in rows}
        assert values - {""} <= set(category["map"]), f"{dataset}: unmapped roles"


def test_the_person_mapping_uses_the_name_parts_each_source_has(world: WorldSummary) -> None:
    props = {
        agency: set(_mapping(world, agency)[f"{agency}_{suffix}"]["queries"][0]["entities"][entity]
                    ["properties"])
        for agency, suffix, entity in (
            ("hn_police", "personas", "persona"), ("gt_police", "personas", "persona"),
            ("mx_migration", "personas", "persona"), ("us_border", "subjects", "subject"),
        )
    }
    assert "firstName" not in props["hn_police"], "one name column: nothing to split"
    assert {"firstName", "fatherName", "motherName", "lastName"} <= props["gt_police"]
    assert {"firstName", "fatherName", "motherName", "lastName"} <= props["mx_migration"]
    assert {"firstName", "middleName", "lastName", "passportNumber"} <= props["us_border"]
