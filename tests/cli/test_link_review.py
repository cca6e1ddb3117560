"""Learning from reviewers through the CLI: `cruce link --review/--judgements`, and in a node
`cruce review`, `cruce judge`, `cruce evaluate`, then the next `cruce link --db`."""

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cruce import Node
from cruce.cli import app
from cruce.demo import WorldSpec, write_people_jsonl
from cruce.demo._noise import NoiseRates

runner = CliRunner()
ENVELOPE = {"dataset": "subjects", "purpose": "intelligence", "handling_code": "H1",
            "tlp": "AMBER", "source_reliability": "B", "information_accuracy": "2",
            "retain_until": "2031-12-31"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], dict[str, str]]:
    folder = tmp_path_factory.mktemp("people")
    # A noisy world (four times the demo's error rates): enough pairs the model is unsure of.
    written = write_people_jsonl(folder, WorldSpec(seed=5, people=600,
                                                   noise=NoiseRates().scaled(4)))
    truth = {r["record_id"]: r["person_id"]
             for r in csv.DictReader((folder / "truth" / "people.csv").open())}
    return sorted(written.values()), truth


def link(*args: str) -> str:
    result = runner.invoke(app, ["link", *args])
    assert result.exit_code == 0, result.output
    return result.output


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open()))


def answer(review: Path, truth: dict[str, str], out: Path) -> list[tuple[str, str, str]]:
    judged = [(r["left_id"], r["right_id"],
               "same" if truth.get(r["left_id"]) == truth.get(r["right_id"]) else "different")
              for r in rows(review)]
    with out.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["left_id", "right_id", "judgement"])
        writer.writerows(judged)
    return judged


def test_review_writes_unsure_pairs_and_judgements_are_forced_and_learnt(
        world: tuple[list[Path], dict[str, str]], tmp_path: Path) -> None:
    files, truth = world
    inputs = [str(f) for f in files]
    link(*inputs, "--out", str(tmp_path / "p0.csv"), "--clusters", str(tmp_path / "c0.csv"),
         "--review", "40", "--review-out", str(tmp_path / "r.csv"))
    with (tmp_path / "r.csv").open() as fh:
        assert fh.readline().strip() == "left_id,right_id,probability"
    review = rows(tmp_path / "r.csv")
    assert 10 < len(review) <= 40
    probabilities = [float(r["probability"]) for r in review]
    assert all(0.001 <= p <= 0.999 for p in probabilities), "a certain pair teaches nothing"
    assert len(set(probabilities)) > 5
    judged = answer(tmp_path / "r.csv", truth, tmp_path / "j.csv")
    assert {v for _, _, v in judged} == {"same", "different"}
    out = link(*inputs, "--out", str(tmp_path / "p1.csv"), "--clusters", str(tmp_path / "c1.csv"),
               "--judgements", str(tmp_path / "j.csv"))
    assert f"learnt from {len(review)} judged pairs" in out
    pairs = {tuple(sorted((r["left_id"], r["right_id"]))): float(r["probability"])
             for r in rows(tmp_path / "p1.csv")}
    cluster = {r["id"]: r["cluster_id"] for r in rows(tmp_path / "c1.csv")}
    for a, b, verdict in judged:
        if verdict == "same":
            assert pairs[tuple(sorted((a, b)))] == 1.0 and cluster[a] == cluster[b]
        else:
            assert tuple(sorted((a, b))) not in pairs and cluster[a] != cluster[b]
    before = {tuple(sorted((r["left_id"], r["right_id"]))): float(r["probability"])
              for r in rows(tmp_path / "p0.csv")}
    judged_pairs = {tuple(sorted((a, b))) for a, b, _ in judged}
    moved = [pair for pair in set(before) & set(pairs) - judged_pairs
             if abs(before[pair] - pairs[pair]) > 1e-6]
    assert moved, "the judgements moved the scores of pairs nobody judged"


def test_no_learn_only_forces_the_judged_pairs(world: tuple[list[Path], dict[str, str]],
                                               tmp_path: Path) -> None:
    files, truth = world
    inputs = [str(f) for f in files]
    link(*inputs, "--out", str(tmp_path / "p0.csv"), "--review", "30", "--review-out",
         str(tmp_path / "r.csv"))
    judged = answer(tmp_path / "r.csv", truth, tmp_path / "j.csv")
    out = link(*inputs, "--out", str(tmp_path / "p1.csv"), "--judgements",
               str(tmp_path / "j.csv"), "--no-learn")
    assert "learnt from 0 judged pairs" in out
    before = {tuple(sorted((r["left_id"], r["right_id"]))) for r in rows(tmp_path / "p0.csv")}
    after = {tuple(sorted((r["left_id"], r["right_id"]))) for r in rows(tmp_path / "p1.csv")}
    assert after - before <= {tuple(sorted((a, b))) for a, b, v in judged if v == "same"}
    assert before - after <= {tuple(sorted((a, b))) for a, b, v in judged if v == "different"}


def test_a_bad_judgements_file_is_one_line(world: tuple[list[Path], dict[str, str]],
                                           tmp_path: Path) -> None:
    files, _ = world
    bad = tmp_path / "j.csv"
    bad.write_text("left_id,right_id,judgement\nnobody-1,nobody-2,same\n")
    result = runner.invoke(app, ["link", *map(str, files), "--out", str(tmp_path / "p.csv"),
                                 "--judgements", str(bad)])
    assert result.exit_code == 2
    assert result.output.strip() == f"Error: {bad}:2: left_id: no record with id 'nobody-1'"


def test_review_needs_somewhere_to_write(world: tuple[list[Path], dict[str, str]],
                                         tmp_path: Path) -> None:
    files, _ = world
    result = runner.invoke(app, ["link", *map(str, files), "--out", str(tmp_path / "p.csv"),
                                 "--review", "5"])
    assert result.exit_code == 2 and "--review-out" in result.output


def test_explain_as_json(world: tuple[list[Path], dict[str, str]], tmp_path: Path) -> None:
    files, _ = world
    out = link(*map(str, files), "--out", str(tmp_path / "p.csv"), "--explain", "3", "--json")
    report = json.loads(out)
    assert report["records"] > 500 and len(report["explained"]) == 3
    pair = report["explained"][0]
    assert pair["left_name"] and pair["right_name"] and pair["left_source"] != pair["right_source"]
    assert {"field", "level", "weight"} <= set(pair["explanation"][0])


def test_node_review_judge_evaluate_and_learn(world: tuple[list[Path], dict[str, str]],
                                              tmp_path: Path) -> None:
    files, truth = world
    db = str(tmp_path / "n.duckdb")
    every = tmp_path / "people.jsonl"  # every agency's people, held by one node
    every.write_text("".join(f.read_text() for f in files))
    with Node.open(db, agency="us_border") as node:
        node.ingest(every, envelope=ENVELOPE)
    result = runner.invoke(app, ["evaluate", "--db", db])
    assert result.exit_code == 0 and "nan" not in result.output
    assert "nothing to compute: no pair is judged" in result.output
    first = json.loads(link("--db", db, "--json"))
    shown = runner.invoke(app, ["review", "--db", db, "--limit", "20", "--json"])
    assert shown.exit_code == 0, shown.output
    pairs = json.loads(shown.output)
    assert 8 <= len(pairs) <= 20
    assert all(0.001 <= p["probability"] <= 0.999 for p in pairs), "not all 1.000"
    assert [abs(p["probability"] - 0.5) for p in pairs] == sorted(
        abs(p["probability"] - 0.5) for p in pairs)
    top = pairs[0]
    assert top["left"]["name"] and top["right"]["name"], "names side by side"
    assert any(f["property"] == "birthDate" for f in top["fields"])
    assert {e["field"] for e in top["explanation"]} >= {"given_name", "surnames"}
    table = runner.invoke(app, ["review", "--db", db, "--limit", "20"])
    assert top["left_id"] in table.output and "birthDate" in table.output
    assert "bits" in table.output
    a, b = top["left_id"], top["right_id"]
    judged = runner.invoke(app, ["judge", a, b, "different", "--why", "first look", "--db", db])
    assert judged.exit_code == 0, judged.output
    one = runner.invoke(app, ["evaluate", "--db", db])
    assert one.exit_code == 0 and "nan" not in one.output
    assert "cannot compute recall: no pair is judged the same" in one.output
    verdicts: list[str] = []
    for p in pairs:  # the truth, the first pair judged again (the latest judgement counts)
        v = "same" if truth[p["left_id"]] == truth[p["right_id"]] else "different"
        verdicts.append(v)
        done = runner.invoke(app, ["judge", p["left_id"], p["right_id"], v, "--why", "checked",
                                   "--db", db])
        assert done.exit_code == 0, done.output
    assert min(verdicts.count("same"), verdicts.count("different")) >= 2, verdicts
    second = json.loads(link("--db", db, "--json"))
    assert second["learnt_from"] == len(pairs) and second["model_version"] != first["model_version"]
    after = json.loads(runner.invoke(app, ["review", "--db", db, "--json"]).output)
    judged_pairs = {tuple(sorted((p["left_id"], p["right_id"]))) for p in pairs}
    assert not judged_pairs & {tuple(sorted((p["left_id"], p["right_id"]))) for p in after}
