"""Linkage end to end: the outside contract, explanations, judgements in a node."""

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cruce import Node
from cruce.cli import app
from cruce.demo import WorldSpec, write_people_jsonl
from cruce.link import link_files

runner = CliRunner()

# Two records of one person as two agencies wrote them: police surnames-first capitals with
# DD/MM read as 5 March, a US file with the nickname, no maternal surname, the date MM/DD.
HN = {"id": "hn-jlh", "schema": "Person", "properties": {
    "name": ["HERNANDEZ GARCIA JOSE LUIS"], "birthDate": ["1990-03-05"],
    "idNumber": ["0801-1990-12345"], "nationality": ["hn"]}}
US = {"id": "us-jlh", "schema": "Person", "properties": {
    "firstName": ["Chepe"], "lastName": ["Hernandez"], "birthDate": ["1990-05-03"],
    "nationality": ["hn"], "idNumber": ["0801199012345"]}}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("people")
    written = write_people_jsonl(folder, WorldSpec(seed=11, people=400))
    with written["hn_police"].open("a") as fh:
        fh.write(json.dumps(HN) + "\n")
    with written["us_border"].open("a") as fh:
        fh.write(json.dumps(US) + "\n")
    return {**{k: v for k, v in written.items()}, "truth": folder / "truth" / "people.csv"}


def jsonl(files: dict[str, Path]) -> list[Path]:
    return [p for k, p in sorted(files.items()) if k != "truth"]


def test_outside_contract_writes_pairs_and_a_cluster_for_every_record(files: dict[str, Path], tmp_path: Path) -> None:
    pairs, clusters = tmp_path / "pairs.csv", tmp_path / "clusters.csv"
    args = ["link", *map(str, jsonl(files)), "--out", str(pairs), "--clusters", str(clusters),
            "--threshold", "0.5"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(pairs.open()))
    assert rows and set(rows[0]) == {"left_id", "right_id", "probability"}
    assert all(float(r["probability"]) >= 0.5 for r in rows)
    records = sum(1 for p in jsonl(files) for _ in p.open())
    cluster_rows = list(csv.DictReader(clusters.open()))
    assert len(cluster_rows) == records and set(cluster_rows[0]) == {"id", "cluster_id"}
    truth = {r["record_id"]: r["person_id"] for r in csv.DictReader(files["truth"].open())}
    found = [(r["left_id"], r["right_id"]) for r in rows if r["left_id"] in truth and r["right_id"] in truth]
    precision = sum(truth[a] == truth[b] for a, b in found) / len(found)
    assert precision > 0.95


def test_nickname_swapped_date_and_formatted_id_still_link_with_explanation(files: dict[str, Path]) -> None:
    result = link_files(jsonl(files), threshold=0.5)
    [pair] = result.explained_pairs(1, "(unique_id_l = 'hn-jlh' AND unique_id_r = 'us-jlh') OR "
                                       "(unique_id_l = 'us-jlh' AND unique_id_r = 'hn-jlh')")
    assert pair["match_probability"] > 0.9
    levels = {e["field"]: e["level"] for e in pair["explanation"]}
    assert levels["birth_date"] == "day and month swapped"
    assert levels["given_name"] == "same given name (nickname or formal)"
    assert levels["documents"] == "a document number equal"
    weights = {e["field"]: e["weight"] for e in pair["explanation"]}
    assert weights["documents"] > 0 and weights["birth_date"] > 0


def test_threshold_out_of_range_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["link", str(tmp_path / "a.jsonl"), "--out", str(tmp_path / "p.csv"), "--threshold", "1.5"])
    assert result.exit_code == 2
    assert result.output.strip() == "Error: --threshold must be in (0, 1], not 1.5"


def test_missing_input_file_is_named(tmp_path: Path) -> None:
    result = runner.invoke(app, ["link", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "p.csv")])
    assert result.exit_code == 2
    assert result.output.strip() == f"Error: {tmp_path / 'nope.jsonl'}: no such file"


def test_judgements_override_the_model_in_a_node(files: dict[str, Path], tmp_path: Path) -> None:
    with Node.open(tmp_path / "n.duckdb", agency="us_border") as node:
        node.ingest(files["us_border"], envelope={
            "dataset": "subjects", "purpose": "border_security", "handling_code": "H1",
            "tlp": "AMBER", "source_reliability": "B", "information_accuracy": "2",
            "retain_until": "2031-12-31"})
        summary = node.linkage.run(0.5)
        assert summary.records > 90 and summary.model_version.startswith("m-")
        stored = node.store.pairs_by_uncertainty()
        assert {p.model_version for p in stored} == {summary.model_version}, "every stored score names its model"
        pair = [(p.left_id, p.right_id) for p in stored if p.probability >= 0.5]
        assert pair, "the world has duplicates inside one agency"
        a, b = pair[0]
        assert node.linkage.cluster_of(a) == node.linkage.cluster_of(b)
        node.linkage.judge(a, b, "different", "different mothers' names on file")
        node.linkage.run(0.5)
        assert node.linkage.cluster_of(a) != node.linkage.cluster_of(b)
        assert node.linkage.infer(b, a).value == "different"
        assert all((p["left_id"], p["right_id"]) != (min(a, b), max(a, b)) for p in node.linkage.review(50))


@pytest.mark.spark
@pytest.mark.slow
def test_spark_engine_finds_the_same_pairs_as_duckdb(files: dict[str, Path], tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    small = [files["hn_police"], files["gt_police"]]
    on_duckdb = link_files(small, threshold=0.5)
    on_spark = link_files(small, threshold=0.5, engine="spark")
    pairs = [set(r.con.execute(f"SELECT unique_id_l, unique_id_r FROM {r.pairs_table}").fetchall())
             for r in (on_duckdb, on_spark)]
    assert pairs[0] and len(pairs[0] & pairs[1]) >= 0.95 * len(pairs[0] | pairs[1])
    clusters = on_spark.con.execute(f"SELECT count(*) FROM {on_spark.clusters_table}").fetchall()[0][0]
    assert clusters == on_spark.records


def test_judgements_evaluate_the_model_and_retrain_it(files: dict[str, Path], tmp_path: Path) -> None:
    with Node.open(tmp_path / "n.duckdb", agency="mx_migration") as node:
        node.ingest(files["mx_migration"], envelope={
            "dataset": "personas", "purpose": "border_security", "handling_code": "H2",
            "tlp": "AMBER+STRICT", "source_reliability": "B", "information_accuracy": "2",
            "retain_until": "2031-12-31"})
        first = node.linkage.run(0.5)
        truth = {r["record_id"]: r["person_id"] for r in csv.DictReader(files["truth"].open())}
        scored = sorted(node.store.pair_scores(), key=node.store.pair_scores().__getitem__)
        judged = 0
        for left, right in scored:  # a reviewer who knows the truth, least sure pairs first
            verdict = "same" if truth.get(left) == truth.get(right) else "different"
            node.linkage.judge(left, right, verdict, "checked against the civil register")
            judged += 1
        assert judged >= 5
        report = node.linkage.evaluate(0.5)
        assert report["tp"] + report["fp"] + report["fn"] + report["tn"] == judged
        assert report["precision"] > 0.9
        retrained = node.linkage.run(0.5, retrain=True)
        assert retrained.model_version != first.model_version, "labels changed the model"
        assert node.store.model_versions() == [first.model_version, retrained.model_version]
