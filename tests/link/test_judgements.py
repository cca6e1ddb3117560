from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cruce.errors import InvalidInput
from cruce.link._clusters import canonical_ids, new_canonical_id
from cruce.link._judgements import (
    Judgement,
    Resolver,
    Verdict,
    cluster_with_judgements,
    read_judgements,
)


def j(a: str, b: str, verdict: str) -> Judgement:
    return Judgement.make(a, b, verdict, "analyst1", "checked the passport photos")


def test_same_and_different_answer_a_pair_never_judged() -> None:
    resolver = Resolver([j("A", "B", "same"), j("B", "C", "different")])
    assert resolver.infer("A", "C") is Verdict.DIFFERENT
    assert resolver.infer("A", "B") is Verdict.SAME
    assert resolver.infer("A", "D") is None


def test_sameness_is_transitive() -> None:
    resolver = Resolver([j("A", "B", "same"), j("B", "C", "same"), j("C", "D", "same")])
    assert resolver.infer("A", "D") is Verdict.SAME


def test_the_latest_judgement_on_a_pair_counts() -> None:
    resolver = Resolver([j("A", "B", "same"), j("A", "B", "different")])
    assert resolver.infer("A", "B") is Verdict.DIFFERENT
    resolver = Resolver([j("A", "B", "different"), j("A", "B", "unsure")])
    assert resolver.infer("A", "B") is None


def test_judging_apart_what_is_judged_the_same_is_refused() -> None:
    with pytest.raises(InvalidInput, match="already judged the same"):
        Resolver([j("A", "B", "same"), j("B", "C", "same"), j("A", "C", "different")])


def test_bad_judgements_are_refused() -> None:
    with pytest.raises(InvalidInput, match="verdict 'maybe' is not one of"):
        Judgement.make("A", "B", "maybe", "u", "r")
    with pytest.raises(InvalidInput, match="needs a reason"):
        Judgement.make("A", "B", "same", "u", " ")
    with pytest.raises(InvalidInput, match="two different records"):
        Judgement.make("A", "A", "same", "u", "r")


def test_judgements_override_the_model_in_clustering() -> None:
    pairs = [("A", "B", 0.99), ("B", "C", 0.95), ("D", "E", 0.2)]
    plain = cluster_with_judgements("ABCDE", pairs, [], 0.5)
    assert plain["A"] == plain["B"] == plain["C"] and plain["D"] != plain["E"]
    judged = cluster_with_judgements("ABCDE", pairs, [j("A", "C", "different"), j("D", "E", "same")], 0.5)
    assert judged["A"] == judged["B"] != judged["C"], "a chain of model links never crosses 'different'"
    assert judged["D"] == judged["E"], "a 'same' judgement joins what the model kept apart"


def test_canonical_ids_survive_a_rerun_that_adds_a_member() -> None:
    first = canonical_ids({"b": "g1", "c": "g1", "x": "g2"}, {})
    assert first["b"] == first["c"] == new_canonical_id("b")
    second = canonical_ids({"a": "h1", "b": "h1", "c": "h1", "x": "h2"}, first)
    assert second["a"] == second["b"] == first["b"], "the cluster keeps its id though 'a' sorts first"
    assert second["x"] == first["x"]


def test_a_split_cluster_keeps_its_id_on_the_larger_part() -> None:
    first = canonical_ids({"a": "g", "b": "g", "c": "g"}, {})
    second = canonical_ids({"a": "1", "b": "1", "c": "2"}, first)
    assert second["a"] == second["b"] == first["a"]
    assert second["c"] != first["a"]


@given(st.lists(st.tuples(st.sampled_from("ABCDEFG"), st.sampled_from("ABCDEFG"),
                          st.floats(0, 1)), max_size=30))
def test_clusters_never_join_records_judged_different(pairs: list[tuple[str, str, float]]) -> None:
    pairs = [(a, b, p) for a, b, p in pairs if a != b]
    judgements = [j("A", "G", "different"), j("B", "F", "different")]
    clusters = cluster_with_judgements("ABCDEFG", pairs, judgements, 0.5)
    assert clusters["A"] != clusters["G"] and clusters["B"] != clusters["F"]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_judgements_file_is_read_in_order_ids_restored(tmp_path: Path) -> None:
    path = write(tmp_path / "j.csv", "left_id,right_id,judgement\nB,A,same\n'=C,D,Different\n"
                                     "A,B,unsure\n\nE,F,different\n")
    read = read_judgements(path, {"A", "B", "=C", "D", "E", "F"})
    assert [(x.left_id, x.right_id, x.verdict.value) for x in read] == [
        ("A", "B", "same"), ("=C", "D", "different"), ("A", "B", "unsure"),
        ("E", "F", "different")]
    assert Resolver(read).infer("A", "B") is None, "the later line on a pair counts"


@pytest.mark.parametrize(("text", "error"), [
    ("", "j.csv:1: header: empty file, expected left_id,right_id,judgement"),
    ("left,right,judgement\nA,B,same\n", "j.csv:1: left_id: missing column"),
    ("left_id,right_id,judgement\nA,B\n", "j.csv:2: judgement: missing value"),
    ("left_id,right_id,judgement\nA,B,same\n,B,same\n", "j.csv:3: left_id: empty"),
    ("left_id,right_id,judgement\nA,Z,same\n", "j.csv:2: right_id: no record with id 'Z'"),
    ("left_id,right_id,judgement\nA,B,maybe\n",
     "j.csv:2: judgement: 'maybe' is not one of same, different, unsure"),
    ("left_id,right_id,judgement\nA,A,same\n", "j.csv:2: right_id: the same record as left_id"),
    ("left_id,right_id,judgement\nA,B,same\nB,C,same\nC,D,different\nA,C,different\n",
     "j.csv:5: judgement: A and C are already judged the same"),
])
def test_a_bad_judgements_file_is_one_line_naming_line_and_field(
        tmp_path: Path, text: str, error: str) -> None:
    path = write(tmp_path / "j.csv", text)
    with pytest.raises(InvalidInput) as caught:
        read_judgements(path, {"A", "B", "C", "D"})
    message = str(caught.value)
    assert message.startswith(str(tmp_path / error.split(":")[0])) and error in message
    assert "\n" not in message


def test_a_missing_judgements_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        read_judgements(tmp_path / "none.csv")
