"""bench/link.py's helpers: Febrl -> FtM JSON lines, truth pairs, pairwise metrics, and the
Splink configuration of its Febrl examples."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from bench._linkbench import cruce_cli, febrl, metrics, splink_peer


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


def _truth(con: duckdb.DuckDBPyConnection, groups: dict[str, list[str]]) -> None:
    frame = pd.DataFrame(
        [(r, e) for e, records in groups.items() for r in records],
        columns=["record_id", "entity_id"],
    )
    con.register("truth_df", frame)
    metrics.load_truth(con, "truth", "truth_df")


def _pairs(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str, float]]) -> None:
    con.register("pairs", pd.DataFrame(rows, columns=["left_id", "right_id", "probability"]))


# Febrl -> FtM Person JSON lines


def test_entity_of_febrl_ids() -> None:
    assert febrl.entity_of("rec-12-org") == "rec-12"
    assert febrl.entity_of(" rec-12-dup-3 ") == "rec-12"
    with pytest.raises(ValueError):
        febrl.entity_of("rec-12")


def test_iso_date_keeps_only_real_dates() -> None:
    assert febrl.iso_date("19560409") == "1956-04-09"
    assert febrl.iso_date(" 19560409 ") == "1956-04-09"
    assert febrl.iso_date("19561399") is None  # month 13
    assert febrl.iso_date("19560230") is None  # 30 February
    assert febrl.iso_date("1956049") is None
    assert febrl.iso_date(float("nan")) is None
    assert febrl.iso_date(None) is None


def test_to_person_maps_contract_properties_only() -> None:
    row = {
        "rec_id": "rec-7-dup-0", "given_name": "mitchell", "surname": "green",
        "street_number": "7", "address_1": "wallaby place", "suburb": "cleveland",
        "postcode": "2119", "state": "sa", "date_of_birth": "19560409", "soc_sec_id": "1804974",
    }
    person = febrl.to_person(row)
    assert person == {
        "id": "rec-7-dup-0",
        "schema": "Person",
        "properties": {
            "name": ["mitchell green"], "firstName": ["mitchell"], "lastName": ["green"],
            "birthDate": ["1956-04-09"], "birthPlace": ["cleveland"], "idNumber": ["1804974"],
        },
    }
    bare = febrl.to_person({**row, "given_name": float("nan"), "date_of_birth": "19561399"},
                           place=False, ssn=False)
    assert bare["properties"] == {"name": ["green"], "lastName": ["green"]}


def test_write_jsonl_febrl4_two_files(tmp_path: Path) -> None:
    frames = [frame.head(300) for frame in febrl.load("febrl4")]
    paths = febrl.write_jsonl(frames, tmp_path, "febrl4", ssn=False)
    assert [p.name for p in paths] == ["febrl4_a.jsonl", "febrl4_b.jsonl"]
    a = [json.loads(line) for line in paths[0].read_text().splitlines()]
    b = [json.loads(line) for line in paths[1].read_text().splitlines()]
    assert len(a) == len(b) == 300
    assert all(e["id"].endswith("-org") for e in a)
    assert all(e["id"].endswith("-dup-0") for e in b)
    assert not any("idNumber" in e["properties"] for e in a + b)
    dates = [d for e in a for d in e["properties"].get("birthDate", [])]
    assert dates and all(len(d) == 10 and d[4] == d[7] == "-" for d in dates)


def test_febrl_truth_pairs() -> None:
    con = duckdb.connect()
    for name, expected in (("febrl1", 500), ("febrl4", 5000)):
        con.register("truth_df", febrl.truth_frame(febrl.load(name)))
        metrics.load_truth(con, "truth", "truth_df")
        con.unregister("truth_df")
        assert metrics.true_pair_count(con, "truth") == expected


# Truth pairs and pairwise metrics


def test_true_pairs_counted_from_group_sizes(con: duckdb.DuckDBPyConnection) -> None:
    _truth(con, {"P1": ["a", "b", "c"], "P2": ["d"], "P3": ["e", "f"]})
    assert metrics.true_pair_count(con, "truth") == 3 + 0 + 1


def test_pairs_against_clusters(con: duckdb.DuckDBPyConnection) -> None:
    _truth(con, {"P1": ["a", "b", "c"], "P2": ["d"]})
    # a-b right, b-a its duplicate, c-b right, c-d wrong, x-a unknown record: wrong, a-a ignored
    _pairs(con, [("a", "b", 0.9), ("b", "a", 0.8), ("c", "b", 0.6), ("c", "d", 0.7),
                 ("x", "a", 0.95), ("a", "a", 1.0)])
    score = metrics.score_pairs(con, "pairs", "truth")
    assert (score.predicted, score.true, score.tp) == (4, 3, 2)
    assert score.precision == pytest.approx(0.5)
    assert score.recall == pytest.approx(2 / 3)
    assert score.f1 == pytest.approx(2 * 2 / (4 + 3))
    at = metrics.score_pairs(con, "pairs", "truth", threshold=0.8)  # a-b (0.9), x-a
    assert (at.predicted, at.tp) == (2, 1)


def test_best_threshold_sweeps_every_probability(con: duckdb.DuckDBPyConnection) -> None:
    _truth(con, {"P1": ["a", "b", "c"], "P2": ["d"]})
    _pairs(con, [("a", "b", 0.9), ("c", "d", 0.7), ("c", "b", 0.6), ("a", "c", 0.2),
                 ("a", "d", 0.1)])
    best = metrics.best_threshold(con, "pairs", "truth")
    # >= 0.2 gives tp 3 of 4 predicted: F1 6/7, better than >= 0.9 (2/4) or >= 0.6 (4/6)
    assert best.threshold == pytest.approx(0.2)
    assert (best.predicted, best.tp) == (4, 3)
    assert best.f1 == pytest.approx(6 / 7)


def test_cluster_scores(con: duckdb.DuckDBPyConnection) -> None:
    _truth(con, {"P1": ["a", "b", "c"], "P2": ["d"]})
    con.register("clusters", pd.DataFrame(
        {"id": ["a", "b", "c", "d"], "cluster_id": ["1", "1", "2", "2"]}))
    score = metrics.score_clusters(con, "clusters", "truth")
    assert (score.predicted, score.true, score.tp) == (2, 3, 1)
    con.register("perfect", pd.DataFrame(
        {"id": ["a", "b", "c", "d"], "cluster_id": ["1", "1", "1", "2"]}))
    assert metrics.score_clusters(con, "perfect", "truth").f1 == 1.0


def test_empty_predictions_score_zero(con: duckdb.DuckDBPyConnection) -> None:
    _truth(con, {"P1": ["a", "b"]})
    _pairs(con, [])
    score = metrics.score_pairs(con, "pairs", "truth")
    assert (score.predicted, score.tp, score.f1) == (0, 0, 0.0)
    assert metrics.best_threshold(con, "pairs", "truth").threshold is None


def test_cruce_outputs_read_with_or_without_header(tmp_path: Path) -> None:
    pairs, clusters = tmp_path / "p.csv", tmp_path / "c.csv"
    pairs.write_text("left_id,right_id,probability\na,b,0.9\n")
    clusters.write_text("a,1\nb,1\n")
    con = duckdb.connect()
    cruce_cli.load_outputs(con, cruce_cli.CruceRun(0.0, pairs, clusters))
    assert con.execute("select * from cruce_pairs").fetchall() == [("a", "b", 0.9)]
    assert con.execute("select * from cruce_clusters").fetchall() == [("a", "1"), ("b", "1")]


# Splink as its Febrl examples configure it


def test_splink_documented_config_on_febrl1() -> None:
    frames = febrl.load("febrl1")
    run = splink_peer.run_febrl(frames)
    run.con.register("truth_df", febrl.truth_frame(frames))
    metrics.load_truth(run.con, "truth", "truth_df")
    score = metrics.score_pairs(run.con, "splink_pairs", "truth", run.doc_threshold)
    assert run.doc_threshold == 0.2
    assert score.f1 > 0.9
    run.con.close()


def test_splink_plan_without_ssn_drops_it() -> None:
    plan = splink_peer.febrl_plan(dedupe=False, ssn=False)
    text = repr(plan.blocking) + repr(plan.comparisons) + repr(plan.deterministic)
    assert "soc_sec_id" not in text
    assert len(splink_peer.febrl_plan(dedupe=False).comparisons) == len(plan.comparisons) + 1
