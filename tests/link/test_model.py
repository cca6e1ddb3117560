"""The model's pieces: address features, comparison levels written for every backend, which
comparisons and blocking rules a data set gets."""

import json

import duckdb
import pytest
from splink import DuckDBAPI, Linker
from tests.link._features import features_of

from cruce.link import _engine, _model

_features = features_of


PEOPLE = [
    {"name": ["Maria Lopez"], "birthDate": ["1990-03-05"],
     "address": ["Col. Kennedy, Bloque 3, Casa 12, Tegucigalpa"]},
    {"firstName": ["Lopez"], "lastName": ["Maria"], "birthDate": ["1990-03-05"],
     "address": ["colonia kennedy bloque 3 casa 12 tegucigalpa 11101", "Barrio Abajo"]},
    {"name": ["Pedro Ramirez"], "birthDate": ["1985-01-01"]},
]


def test_address_features_keep_the_distinguishing_words_and_numbers() -> None:
    con = _features(PEOPLE)
    rows = con.execute(
        "SELECT address_norm, address_tokens, address_number, address_numbers FROM features "
        "ORDER BY unique_id").fetchall()
    assert rows[0] == ("col kennedy bloque 3 casa 12 tegucigalpa",
                       ["12", "3", "kennedy", "tegucigalpa"], "3", None)
    # every address of the record counts; 'colonia', 'barrio', 'casa' say what, not which
    assert rows[1][1] == ["11101", "12", "3", "abajo", "kennedy", "tegucigalpa"]
    assert rows[1][3] == ["11101"]
    assert rows[2] == (None, None, None, None)


def test_a_property_no_record_carries_is_no_comparison() -> None:
    con = _features(PEOPLE[2:] * 2)
    absent = _engine.absent_comparisons(con)
    assert {"address", "documents", "phones", "nationality"} <= set(absent)
    assert "given_name" not in absent and "birth_date" not in absent
    names = [c.create_output_column_name() for c in _model.comparisons()]
    kept = [c["output_column_name"] for c in _model.settings((), absent).get_settings(
        "duckdb").as_dict()["comparisons"]]
    assert kept == [n for n in names if n not in absent]


@pytest.mark.parametrize("dialect", ["duckdb", "spark"])
def test_levels_name_each_backends_own_functions(dialect: str) -> None:
    text = json.dumps([c.get_comparison(dialect).as_dict() for c in _model.comparisons()])
    jw = "jaro_winkler_similarity" if dialect == "duckdb" else "jaro_winkler"
    assert f'{jw}(\\"surname1_l\\", \\"given1_r\\")' in text
    assert "{dl}" not in text and "{jw}" not in text


def _level_sql(comparison: str, label: str) -> str:
    for c in _model.comparisons():
        if c.create_output_column_name() == comparison:
            for level in c.get_comparison("duckdb").as_dict()["comparison_levels"]:
                if level.get("label_for_charts") == label:
                    return str(level["sql_condition"])
    raise AssertionError(f"no level {label!r} in {comparison}")


def test_guarded_edit_distance_equals_the_plain_one() -> None:
    """The guard only skips pairs the edit distance would reject anyway."""
    documents = ["0801199012345", "0801199012354", "8011990123450", "0801199012", "A1234567",
                 "A1234576", "B1234567", "1234567A", "0801-1990", "12345", "21345", "12354"]
    assert agrees_with_one_edit(_level_sql("documents", "document numbers one edit apart"),
                                "doc1", documents)
    dates = ["1990-03-05", "1990-03-06", "1909-03-05", "1990-05-03", "1991-03-05", "2001-12-31"]
    assert agrees_with_one_edit(_level_sql("birth_date", "one digit apart"), "dob", dates)


def test_names_in_each_others_fields_are_a_level_of_their_own() -> None:
    sql = _level_sql("given_name", "given name and surname in each other's fields")
    con = duckdb.connect()
    cases = [
        ("maria", "lopez", "lopez", "maria", True),
        ("whtie", "brandon", "brandon", "white", True),   # swapped, one misspelt
        ("maria", "lopez", "maria", "lopez", False),      # not swapped
        ("maria", "lopez", "lopez", "garcia", False),     # one name moved, the other differs
    ]
    for g_l, s_l, g_r, s_r, expected in cases:
        row = con.execute(
            f"SELECT {sql} FROM (SELECT ?::VARCHAR AS given1_l, ?::VARCHAR AS surname1_l, "
            "?::VARCHAR AS given1_r, ?::VARCHAR AS surname1_r)", [g_l, s_l, g_r, s_r]).fetchall()
        assert row[0][0] is expected, (g_l, s_l, g_r, s_r)


def test_settings_pass_splinks_validation() -> None:
    """cruce skips Splink's per-Linker validation (0.4 s each); it must hold once here."""
    con = _features(PEOPLE * 3)
    wide = _engine.affordable_wide_rules(con, 9)
    assert ("address_norm",) in wide  # the data carry addresses: the rule can find pairs
    api = DuckDBAPI(connection=con)
    linker = Linker(api.register("features"), _model.settings(wide), validate_settings=True)
    assert linker.inference.predict().as_record_list()


def test_a_wide_rule_in_use_replaces_the_rules_it_covers() -> None:
    everything = _model.blocking_rules()
    assert len(everything) == len(_model.BASE_RULES)
    with_dob = _model.blocking_rules([("dob",)], ["phones"])
    sql = [r.get_blocking_rule("duckdb").blocking_rule_sql for r in with_dob]
    assert not any(s.endswith("l.dob = r.dob") or '(l."dob" = r."dob") AND' in s for s in sql)
    assert not any("phones" in s for s in sql)
    assert any("dob_swapped" in s for s in sql)  # not a plain equality: kept
    assert len(with_dob) == len(everything) - 4 - 1 + 1


def agrees_with_one_edit(sql: str, column: str, values: list[str]) -> bool:
    """Whether the level's SQL says the same as `damerau_levenshtein <= 1` for every pair of
    `values` (as `column`_l and `column`_r)."""
    con = duckdb.connect()
    con.execute("CREATE TABLE v (x VARCHAR)")
    con.executemany("INSERT INTO v VALUES (?)", [(v,) for v in values])
    rows = con.execute(
        f"SELECT ({sql}) = (damerau_levenshtein({column}_l, {column}_r) <= 1) FROM "
        f"(SELECT a.x AS {column}_l, b.x AS {column}_r FROM v a, v b)").fetchall()
    return all(r[0] for r in rows)
