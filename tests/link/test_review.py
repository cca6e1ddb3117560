"""Choosing the pairs to review, and learning from the answers, on real DuckDB tables."""

import random

import duckdb
import pytest

from cruce.link import _agreement, _judged, _learn
from cruce.link._judgements import Judgement
from cruce.link._review import allocate, select_for_review


def scored_table(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> None:
    con.execute("CREATE TABLE scored (unique_id_l VARCHAR, unique_id_r VARCHAR, "
                "match_probability DOUBLE, match_weight DOUBLE, gamma_names INTEGER, "
                "gamma_dates INTEGER, phone_l VARCHAR, phone_r VARCHAR)")
    con.executemany("INSERT INTO scored VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)


def test_review_spreads_over_patterns_rather_than_copies_of_one() -> None:
    con = duckdb.connect()
    # 500 pairs of one pattern at exactly 0.5, 40 of another at 0.3, 40 of a third at 0.8:
    # the 10 nearest 0.5 would all be copies of the first.
    rows = [(f"a{i}", f"b{i}", 0.5, 0.0, 2, 1, None, None) for i in range(500)]
    rows += [(f"c{i}", f"d{i}", 0.3, -1.2, 1, 1, None, None) for i in range(40)]
    rows += [(f"e{i}", f"f{i}", 0.8, 2.0, 2, 0, None, None) for i in range(40)]
    rows += [(f"g{i}", f"h{i}", 0.99995, 14.0, 3, 3, None, None) for i in range(400)]
    scored_table(con, rows)
    chosen = select_for_review(con, "scored", 10)
    assert len(chosen) == 10
    kinds = {a[0] for a, _, _ in chosen}
    assert kinds == {"a", "c", "e"}, "every uncertain pattern is asked about, no sure pair"
    assert [abs(p - 0.5) for _, _, p in chosen] == sorted(abs(p - 0.5) for _, _, p in chosen)
    again = select_for_review(con, "scored", 10, judged=[(a, b) for a, b, _ in chosen])
    assert not {(a, b) for a, b, _ in again} & {(a, b) for a, b, _ in chosen}


def test_allocation_never_takes_more_than_a_pattern_holds() -> None:
    shares = allocate({"big": 100.0, "small": 1.0, "none": 0.0},
                      {"big": 3, "small": 5, "none": 9}, 6)
    assert shares == {"big": 3, "small": 3}


def test_a_few_judgements_correct_pairs_nobody_judged() -> None:
    """Splink's score ignores the phone (not a comparison); reviewers' answers show that pairs
    sharing one are the same person: the layer lifts the unjudged pairs that share a phone."""
    rng = random.Random(3)
    con = duckdb.connect()
    rows = []
    for i in range(2000):
        same_phone = rng.random() < 0.5
        phone_l, phone_r = f"p{i}", (f"p{i}" if same_phone else f"q{i}")
        rows.append((f"l{i}", f"r{i}", 0.5, 0.0, 1, 1, phone_l, phone_r))
    scored_table(con, rows)
    judged = [Judgement.make(a, b, "same" if pl == pr else "different", "t", "truth")
              for a, b, _, _, _, _, pl, pr in rows[:60]]
    ids = sorted({x for r in rows for x in r[:2]})
    done = _judged.apply(con, "scored", ids, judged, 0.5)
    assert done.layer is not None and done.layer.labels == 60
    after = con.execute(
        "SELECT avg(match_probability) FILTER (WHERE phone_l = phone_r), "
        "avg(match_probability) FILTER (WHERE phone_l <> phone_r) FROM scored "
        "WHERE CAST(substr(unique_id_l, 2) AS INTEGER) >= 60").fetchall()[0]  # not judged
    assert after[0] > 0.8 and after[1] < 0.2
    explained = con.execute("SELECT mw_judgements FROM scored WHERE unique_id_l = 'l100'"
                            ).fetchall()[0][0]
    assert abs(explained) > 3, "what the judgements taught shows in the explanation (bits)"


def test_without_both_kinds_of_answer_nothing_is_learnt_but_judgements_hold() -> None:
    con = duckdb.connect()
    scored_table(con, [("a", "b", 0.9, 3.0, 1, 1, None, None),
                       ("b", "c", 0.9, 3.0, 1, 1, None, None),
                       ("c", "d", 0.2, -2.0, 1, 0, None, None)])
    judged = [Judgement.make("a", "c", "different", "t", "checked"),
              Judgement.make("c", "d", "same", "t", "checked")]
    done = _judged.apply(con, "scored", ["a", "b", "c", "d"], judged, 0.5)
    assert done.layer is None
    clusters = dict(con.execute("SELECT unique_id, cluster_id FROM cruce_clusters").fetchall())
    assert clusters["c"] == clusters["d"] and clusters["a"] != clusters["c"]
    assert clusters["a"] == clusters["b"], "the stronger link wins, the chain stops at 'different'"


def test_two_people_linked_once_stay_apart_when_every_other_pair_says_they_differ() -> None:
    """Father (f1, f2) and son (s1, s2): each pair of records strongly linked, one misleading
    link across, every other pair across unlikely: two clusters, not one."""
    con = duckdb.connect()
    scored_table(con, [("f1", "f2", 0.99, 9.0, 3, 3, None, None),
                       ("s1", "s2", 0.99, 9.0, 3, 3, None, None),
                       ("f1", "s1", 0.7, 1.0, 3, 0, None, None),
                       ("f1", "s2", 0.1, -3.0, 3, 0, None, None),
                       ("f2", "s1", 0.05, -4.0, 3, 0, None, None)])
    _agreement.cluster(con, "scored", ["f1", "f2", "s1", "s2"], [], 0.5)
    clusters = dict(con.execute("SELECT unique_id, cluster_id FROM cruce_clusters").fetchall())
    assert clusters == {"f1": "f1", "f2": "f1", "s1": "s1", "s2": "s1"}


@pytest.mark.parametrize("column", ["gamma_names", "phone_l"])
def test_features_come_from_whatever_the_table_holds(column: str) -> None:
    con = duckdb.connect()
    scored_table(con, [("a", "b", 0.5, 0.0, 1, 1, "x", "x")])
    names = [name for name, _ in _learn.features(con, "scored")]
    assert any(name.startswith(column.removeprefix("gamma_").removesuffix("_l")) for name in names)


def test_with_a_learnt_layer_the_pairs_file_keeps_only_pairs_whose_clusters_agree() -> None:
    """The layer lifts every pair sharing a phone, the misleading father-son link across
    (f1, s1) too; the clusters keep father and son apart, and so does the pairs file."""
    rng = random.Random(5)
    con = duckdb.connect()
    rows = []
    for i in range(400):
        same_phone = rng.random() < 0.5
        rows.append((f"l{i}", f"r{i}", 0.5, 0.0, 1, 1, f"p{i}", f"p{i}" if same_phone else "q"))
    family = [("f1", "f2", 0.99, 9.0, 3, 3, "pf", "pf"), ("s1", "s2", 0.99, 9.0, 3, 3, "ps", "ps"),
              ("f1", "s1", 0.5, 0.0, 1, 1, "home", "home"),
              ("f1", "s2", 0.01, -7.0, 3, 0, "x", "y"), ("f2", "s1", 0.01, -7.0, 3, 0, "x", "y"),
              ("f2", "s2", 0.01, -7.0, 3, 0, "x", "y")]
    scored_table(con, rows + family)
    judged = [Judgement.make(a, b, "same" if pl == pr else "different", "t", "truth")
              for a, b, _, _, _, _, pl, pr in rows[:60]]
    ids = sorted({x for r in rows + family for x in r[:2]})
    done = _judged.apply(con, "scored", ids, judged, 0.5)
    assert done.layer is not None
    lifted = con.execute("SELECT match_probability FROM scored WHERE unique_id_l = 'f1' AND "
                         "unique_id_r = 's1'").fetchall()[0][0]
    assert lifted >= 0.5, "the layer alone would keep the link across"
    kept = {(a, b) for a, b in con.execute(
        f"SELECT unique_id_l, unique_id_r FROM {done.pairs_table}").fetchall()}
    assert ("f1", "f2") in kept and ("s1", "s2") in kept and ("f1", "s1") not in kept
    unjudged_same = {(a, b) for a, b, _, _, _, _, pl, pr in rows[60:] if pl == pr}
    assert unjudged_same <= kept, "pairs inside one cluster stay"


def test_judgements_among_uncertain_pairs_leave_the_pairs_splink_is_sure_of() -> None:
    """Reviewers judge the uncertain pairs; there the judgements run against Splink's score
    (the higher ones different, the lower ones same). The layer must not read that as a slope
    to carry to the pairs Splink is sure of: a pair at -12 bits stays unlikely."""
    rng = random.Random(11)
    con = duckdb.connect()
    middle = [(f"l{i}", f"r{i}", 0.5, rng.uniform(-2.0, 2.0), 1, 1, "x", "y") for i in range(300)]
    sure = [(f"a{i}", f"b{i}", 2.0 ** -12, -12.0, 1, 1, "x", "y") for i in range(50)]
    scored_table(con, middle + sure)
    judged = [Judgement.make(a, b, "same" if w < 0 else "different", "t", "truth")
              for a, b, _, w, *_ in middle]
    ids = sorted({x for r in middle + sure for x in r[:2]})
    done = _judged.apply(con, "scored", ids, judged, 0.5)
    assert done.layer is not None
    top = con.execute("SELECT max(match_probability) FROM scored WHERE unique_id_l LIKE 'a%'"
                      ).fetchall()[0][0]
    assert top < 0.01


@pytest.mark.parametrize(("informative", "chosen"), [(True, min(_learn.PENALTIES)),
                                                     (False, max(_learn.PENALTIES))])
def test_the_penalty_is_the_one_held_out_judgements_favour(informative: bool,
                                                           chosen: float) -> None:
    """Judgements a phone agreement predicts: the weakest penalty (trust them); judgements at
    random: the strongest (Splink's score stands)."""
    rng = random.Random(7)
    con = duckdb.connect()
    rows = []
    for i in range(300):
        same_phone = rng.random() < 0.5
        rows.append((f"l{i}", f"r{i}", 0.5, 0.0, 1, 1, f"p{i}", f"p{i}" if same_phone else "q"))
    scored_table(con, rows)
    verdict = (lambda pl, pr: pl == pr) if informative else (lambda pl, pr: rng.random() < 0.5)
    judged = [Judgement.make(a, b, "same" if verdict(pl, pr) else "different", "t", "truth")
              for a, b, _, _, _, _, pl, pr in rows]
    done = _judged.apply(con, "scored", sorted({x for r in rows for x in r[:2]}), judged, 0.5)
    assert done.layer is not None and done.layer.penalty == chosen
    assert done.layer.to_json()["penalty"] == chosen
