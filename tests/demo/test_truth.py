"""The ground truth names exactly the records cruce makes of the agencies' files."""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml
from followthemoney import model
from tests.demo.conftest import truth

from cruce import Node
from cruce.demo import AGENCIES, WorldSummary
from cruce.ingest import key_prefix, load_mapping

ORG_SCHEMATA = ("Organization", "Company")


def _ftm_ids(folder: Path, agency: str, schemata: tuple[str, ...]) -> dict[str, set[str]]:
    """Ids FtM's own mapper gives the entities of these schemata, by dataset."""
    found: dict[str, set[str]] = defaultdict(set)
    mapping: dict[str, Any] = yaml.safe_load((folder / "mapping.yml").read_text())
    logging.getLogger("followthemoney").setLevel(logging.ERROR)  # dates it cannot read
    for dataset, block in mapping.items():
        for query in block["queries"]:
            query = {**query, "csv_url": str(folder / query["csv_url"])}
            for entity in model.map_entities(query, key_prefix=key_prefix(agency, dataset)):
                if entity.schema.name in schemata and entity.id:
                    found[dataset].add(entity.id)
    return found


def _truth_ids(world: WorldSummary, name: str, agency: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for row in truth(world, name):
        if row["agency"] == agency:
            found[row["dataset"]].add(row["record_id"])
    return found


@pytest.mark.parametrize("agency", AGENCIES)
def test_truth_person_ids_are_the_ids_of_the_mapped_people(
    world: WorldSummary, agency: str
) -> None:
    # A person keyed by the same subject id in two files of the agency is one record (ids
    # are namespaced by agency), listed once in the truth: compare the agency's ids as a set.
    expected = _ftm_ids(world.out_dir / agency, agency, ("Person",))
    assert _all(_truth_ids(world, "people.csv", agency)) == _all(expected)


@pytest.mark.parametrize("agency", ["hn_police", "gt_police", "sv_police"])
def test_truth_org_ids_are_the_ids_of_the_mapped_organisations(
    world: WorldSummary, agency: str
) -> None:
    expected = _ftm_ids(world.out_dir / agency, agency, ORG_SCHEMATA)
    assert expected and _all(_truth_ids(world, "organizations.csv", agency)) == _all(expected)


def _all(by_dataset: dict[str, set[str]]) -> set[str]:
    return set().union(*by_dataset.values())


def test_every_record_is_one_true_person_and_world_json_counts_them(world: WorldSummary) -> None:
    rows = truth(world)
    assert len({r["record_id"] for r in rows}) == len(rows)
    counts = json.loads((world.out_dir / "truth" / "world.json").read_text())
    assert counts == world.counts
    assert counts["truth"]["person_records"] == len(rows)
    assert counts["truth"]["organization_records"] == len(truth(world, "organizations.csv"))
    assert {r["person_id"] for r in rows} <= {f"P{i:07d}" for i in range(counts["people"])}


@pytest.mark.parametrize("agency", AGENCIES)
def test_cruce_ingests_every_file_without_a_bad_row(world: WorldSummary, agency: str) -> None:
    mapping = world.out_dir / agency / "mapping.yml"
    expected = Counter(r["agency"] for r in truth(world))[agency]
    with Node.open(":memory:", agency=agency) as node:
        for dataset in load_mapping(mapping):
            for query in dataset.queries:
                assert query.path is not None
                result = node.ingest(query.path, mapping=mapping, dataset=dataset.dataset)
                assert result.rejected == 0
        people = dict(node.stats("schema"))["Person"]
    assert people == expected
