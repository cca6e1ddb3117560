"""The careful Splink user's flattening of FtM Person records, errors by agency pair, and
recordlinkage's scores and identifier."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from bench._linkbench import agency_errors, careful_splink, febrl, metrics, rl_peer
from bench._linkbench.splink_persons import flatten, person_row


def _row(props: dict[str, list[str]], surnames_first: bool = False) -> dict[str, Any]:
    return person_row({"id": "x-1", "properties": props}, surnames_first)


def _names(row: dict[str, Any]) -> tuple[Any, ...]:
    return row["first_name"], row["middle_name"], row["surname"], row["surname_2"]


def test_surnames_first_with_a_comma() -> None:
    row = _row({"name": ["ZELAYA ANDINO, EDWIN MANUEL"]})
    assert _names(row) == ("edwin", "manuel", "zelaya", "andino")


def test_bare_names_split_by_the_agency_layout() -> None:
    given_first = _row({"name": ["MARIO JOSÉ HERNÁNDEZ PADILLA"]})
    assert _names(given_first) == ("mario", "jose", "hernandez", "padilla")
    assert _names(_row({"name": ["Reyes Garcia Jesus Alexander"]}, surnames_first=True)) == (
        "jesus", "alexander", "reyes", "garcia")
    assert _names(_row({"name": ["Torres Cruz Arturo"]}, surnames_first=True)) == (
        "arturo", None, "torres", "cruz")
    assert _names(_row({"name": ["María López de Santos"]})) == (
        "maria", None, "lopez", None)


def test_married_and_hyphenated_surnames() -> None:
    mx = _row({"name": ["María Concepción May de Herrera"], "firstName": ["María Concepción"],
               "fatherName": ["May"], "motherName": ["de Herrera"]})
    assert _names(mx) == ("maria", "concepcion", "may", None)
    sv = _row({"firstName": ["Guadalupe"], "lastName": ["Zelaya de Santos"]})
    assert _names(sv)[2:] == ("zelaya", None)
    us = _row({"name": ["ZELAYA-SANTOS, GUADALUPE M"], "firstName": ["GUADALUPE"],
               "middleName": ["M"], "lastName": ["ZELAYA-SANTOS"]})
    assert _names(us) == ("guadalupe", "m", "zelaya", "santos")


def test_us_layout_and_suffix() -> None:
    moved = _row({"name": ["OROZCO, JUAN PABLO KUC"], "firstName": ["JUAN"],
                  "middleName": ["PABLO KUC"], "lastName": ["OROZCO"]})
    assert _names(moved) == ("juan", "pablo kuc", "orozco", None)
    junior = _row({"name": ["SANTOS JR, JUAN"]})
    assert _names(junior) == ("juan", None, "santos", None)
    assert junior["first_name_surname_concat"] == "juan santos"


def test_dates_estimated_partial_and_swapped() -> None:
    def dates(value: str) -> tuple[Any, ...]:
        row = _row({"name": ["A B"], "birthDate": [value]})
        return row["dob"], row["dob_swapped"], row["birth_year"]

    assert dates("1990-01-01") == (None, None, 1990)  # estimated: the year only
    assert dates("1990") == (None, None, 1990)
    assert dates("1990-07") == (None, None, 1990)
    assert dates("1990-03-05") == ("1990-03-05", "1990-05-03", 1990)
    assert dates("1990-05-05") == ("1990-05-05", None, 1990)
    assert dates("1990-03-25") == ("1990-03-25", None, 1990)
    assert _row({"name": ["A B"], "birthDate": ["1990", "1990-03-25"]})["dob"] == "1990-03-25"


def test_every_other_field_kept() -> None:
    row = _row({"name": ["Ana Cruz"], "idNumber": ["0801-1990-12345", "A123456"],
                "passportNumber": ["x 99"], "gender": ["female"], "nationality": ["HN"],
                "birthPlace": ["San Pedro Sula, Cortés"],
                "address": ["Colonia Kennedy, Tegucigalpa, Francisco Morazán"],
                "alias": ["Anita Cruz Lopez", "La Flaca"], "phone": ["+504 3311-2233"]})
    assert row["ids"] == ["0801199012345", "a123456", "x99"]
    assert (row["gender"], row["nationality"]) == ("female", "hn")
    assert row["birth_place"] == "san pedro sula"
    assert row["address"] == "colonia kennedy tegucigalpa"
    assert row["name_variants"] == ["ana cruz", "anita lopez"]
    assert row["phone"] == "50433112233"


def test_flatten_reads_surnames_first_by_file(tmp_path: Path) -> None:
    for stem in ("hn_police", "gt_police"):
        entity = {"id": f"{stem}-1", "schema": "Person",
                  "properties": {"name": ["Reyes Garcia Jesus"]}}
        (tmp_path / f"{stem}.jsonl").write_text(json.dumps(entity) + "\n", encoding="utf-8")
    frame = flatten(sorted(tmp_path.glob("*.jsonl")), ["hn_police"])
    got = dict(zip(frame["unique_id"], frame["first_name"], strict=True))
    assert got == {"gt_police-1": "reyes", "hn_police-1": "jesus"}


def test_budgets_follow_cruce_and_splink_defaults() -> None:
    assert careful_splink.cruce_u_pairs(39_350) == 300_000
    assert careful_splink.cruce_u_pairs(197_000) == 985_000
    assert careful_splink.cruce_u_pairs(2_000_000) == 5_000_000
    equal, defaults = careful_splink.budgets(100_000)
    assert (equal.u_pairs, equal.em_pairs) == (500_000, 2e6)
    assert (defaults.u_pairs, defaults.em_pairs) == (1e6, None)


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


def test_errors_by_agency_pair(con: duckdb.DuckDBPyConnection) -> None:
    truth = pd.DataFrame({"record_id": ["us_border-1", "mx_migration-1", "us_border-2",
                                        "us_border-3"],
                          "entity_id": ["p1", "p1", "p2", "p3"]})
    con.register("truth_df", truth)
    metrics.load_truth(con, "truth", "truth_df")
    con.register("pairs", pd.DataFrame({
        "left_id": ["us_border-2", "mx_migration-1"], "right_id": ["us_border-3", "us_border-1"],
        "probability": [0.9, 0.4]}))
    rows = agency_errors.by_agency_pair(con, "truth", {"a": ("pairs", None),
                                                        "b": ("pairs", 0.5)})
    got = {r.agencies: (r.true_pairs, r.missed, r.false) for r in rows}
    assert got == {
        "mx_migration / us_border": (1, {"a": 0, "b": 1}, {"a": 0, "b": 0}),
        "us_border / us_border": (0, {"a": 0, "b": 0}, {"a": 1, "b": 1}),
    }


def test_recordlinkage_scores_every_candidate_and_uses_the_id() -> None:
    frames = [frame.head(400) for frame in febrl.load("febrl1")]
    without, with_id = rl_peer.run(frames), rl_peer.run(frames, ssn=True)
    rule = without[0]
    assert set(rule.scored.columns) == {"left_id", "right_id", "probability"}
    assert len(rule.scored) >= len(rule.pairs)
    assert rule.rule_threshold is not None
    kept = rule.scored[rule.scored["probability"] > rule.rule_threshold]
    assert len(kept) == len(rule.pairs)
    assert with_id[0].rule_threshold is not None
    assert with_id[0].rule_threshold < rule.rule_threshold  # one more feature
    assert ((with_id[1].scored["probability"] >= 0) & (with_id[1].scored["probability"] <= 1)
            ).all()
