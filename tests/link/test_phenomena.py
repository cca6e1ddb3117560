"""The phenomena of cross-border person records the model knows, each on a small case: which
feature a record gets and which comparison level a pair lands on (real DuckDB, the model's own
SQL)."""

from typing import Any

import duckdb
from tests.link._features import features_of

from cruce.link import _model

_features = features_of


def _as_dict(comparison: Any) -> dict[str, Any]:
    """A comparison's DuckDB Splink dict (Splink's as_dict is untyped)."""
    return dict(comparison.get_comparison("duckdb").as_dict())


def _column(con: duckdb.DuckDBPyConnection, column: str) -> list[Any]:
    rows = con.execute(f"SELECT {column} FROM features ORDER BY unique_id").fetchall()
    return [r[0] for r in rows]


def _level(comparison: str, left: dict[str, list[str]], right: dict[str, list[str]]) -> str:
    """The label of the first level of `comparison` the pair of records meets."""
    con = _features([left, right])
    columns = [c[0] for c in con.execute("DESCRIBE features").fetchall()]
    sides = ", ".join(f"l.{c} AS {c}_l, r.{c} AS {c}_r" for c in columns)
    con.execute(f"CREATE TABLE pair AS SELECT {sides} FROM features l, features r "
                "WHERE l.unique_id = 'p0' AND r.unique_id = 'p1'")
    for c in _model.comparisons():
        if c.create_output_column_name() != comparison:
            continue
        for level in _as_dict(c)["comparison_levels"]:
            sql = "TRUE" if level["sql_condition"] == "ELSE" else level["sql_condition"]
            row = con.execute(f"SELECT ({sql}) FROM pair").fetchall()
            if row[0][0]:
                return "null" if level.get("is_null_level") else str(level["label_for_charts"])
    raise AssertionError(f"no comparison {comparison}")


def test_a_nationality_is_the_same_claim_as_code_name_or_demonym() -> None:
    con = _features([{"name": ["Ana Lopez"], "nationality": [n]}
                     for n in ("GTM", "guatemalteca", "Guatemala", "GT", "Mexicano", "XK")])
    assert _column(con, "nationality") == [["gt"], ["gt"], ["gt"], ["gt"], ["mx"], ["xk"]]


def test_a_nationality_disagreement_is_weak_evidence() -> None:
    """Border claims (a Guatemalan saying Mexican) are common: the disagreement weighs less
    than a birth date years apart or a different gender."""
    levels = {c.create_output_column_name(): _as_dict(c)
              for c in _model.comparisons()}
    m_disagree = levels["nationality"]["comparison_levels"][-1]["m_probability"]
    assert m_disagree >= 0.15
    left = {"name": ["Juan Pop"], "nationality": ["GTM"]}
    assert _level("nationality", left, {"name": ["Juan Pop"], "nationality": ["guatemalteco"]}) \
        == "a nationality in common"


def test_a_birth_place_that_is_a_country_is_no_town_against_a_town() -> None:
    con = _features([{"name": ["Ana Lopez"], "birthPlace": [p]}
                     for p in ("Honduras", "Tegucigalpa, Francisco Morazán")])
    assert _column(con, "birth_country") == ["hn", None]
    assert _level("birth_place", {"name": ["Ana Lopez"], "birthPlace": ["Honduras"]},
                  {"name": ["Ana Lopez"], "birthPlace": ["Tegucigalpa"]}) \
        == "one names only the country"


def _dates(left: str, right: str) -> str:
    return _level("birth_date", {"name": ["Ana Lopez"], "birthDate": [left]},
                  {"name": ["Ana Lopez"], "birthDate": [right]})


def test_an_estimated_date_agrees_with_a_real_one_a_year_off() -> None:
    """Ages turned into 1 January or a bare year land a year either side of the real date."""
    assert _dates("1972-01-01", "1971-05-13") == "an estimated date a year off"
    assert _dates("1972", "1973-11-02") == "an estimated date a year off"
    assert _dates("1972-01-01", "1972-05-13") == "same year, one date estimated"
    assert _dates("1972-01-01", "1972-01-13") == "same year and month, one date estimated"
    # two real dates of one year, beyond a typing error: most often two people
    assert _dates("1972-03-01", "1972-05-13") == "same year, dates differ"
    # two real dates a year apart are no estimate
    assert _dates("1972-03-01", "1971-05-13") == "within two years"


def test_day_and_month_swapped_and_a_mistyped_year() -> None:
    assert _dates("1990-03-05", "1990-05-03") == "day and month swapped"
    assert _dates("2002-05-21", "1992-05-21") == "same day and month, another year"


def test_dates_years_apart_weigh_against_most_a_generation_apart() -> None:
    """Siblings and a father's namesake son: EM would learn such gaps as usual in a match, so
    their m is fixed small, smallest a generation apart."""
    assert _dates("1975-02-21", "1978-06-02") == "years apart"
    assert _dates("1978-05-27", "2002-03-22") == "a generation apart"
    assert _model.GENERATION_APART_M < _model.YEARS_APART_M <= 0.01


def _second(left: str, right: str) -> str:
    return _level("second_given_name", {"firstName": [left], "lastName": ["Lopez Cruz"]},
                  {"firstName": [right], "lastName": ["Lopez Cruz"]})


def test_a_second_given_name_that_disagrees_is_a_level_of_its_own() -> None:
    """`José Luis` and `José Carlos`: brothers more often than one man; a dropped second name
    or an initial is no disagreement, and names in another order count once (given_name)."""
    assert _second("José Luis", "José Carlos") == "second given names differ"
    assert _second("José Luis", "José L.") == "an initial that fits"
    assert _second("José Luis", "Jose") == "null"
    assert _second("Luis José", "José Luis") == "given names in another order"
    assert _second("José Luis", "José Luiz") == "Jaro-Winkler distance of given2 >= 0.88"


def _blocked(people: list[dict[str, list[str]]]) -> set[tuple[str, str]]:
    """The pairs the blocking rules put before the model (untrained: only which pairs)."""
    from splink import DuckDBAPI, Linker

    con = _features(people)
    linker = Linker(DuckDBAPI(connection=con).register("features"), _model.settings(()),
                    validate_settings=False)
    rows = linker.inference.predict().as_record_list()
    return {(str(r["unique_id_l"]), str(r["unique_id_r"])) for r in rows}


def test_pairs_with_one_unknown_or_estimated_date_or_a_misread_name_are_compared() -> None:
    people = [
        {"firstName": ["Rosa"], "lastName": ["Martinez Diaz"]},
        {"firstName": ["Rosa"], "lastName": ["Martinez"], "birthDate": ["1975-12-03"]},
        {"firstName": ["Miguel"], "lastName": ["Ventura Flores"], "birthDate": ["2005-10-02"]},
        {"firstName": ["Miguel"], "lastName": ["Ventura Florse"], "birthDate": ["2006-01-01"]},
        {"firstName": ["Rene"], "lastName": ["Hernaridez"], "birthDate": ["1978-01-01"]},
        {"firstName": ["Rene"], "lastName": ["Hernandez"], "birthDate": ["1978-06-02"]},
    ]
    assert {("p0", "p1"), ("p2", "p3"), ("p4", "p5")} <= _blocked(people)


def test_a_married_woman_under_her_husbands_surname_alone() -> None:
    """`Guadalupe Marisol Santos` = `Zelaya de Santos, Guadalupe Marisol`: compared, and a
    level of its own (not just 'a surname in common')."""
    her = {"name": ["Zelaya de Santos, Guadalupe Marisol"], "birthDate": ["1980-02-03"]}
    married = {"firstName": ["Guadalupe Marisol"], "lastName": ["Santos"],
               "birthDate": ["1981-07-09"]}
    assert _level("surnames", her, married) == "one under her husband's surname"
    assert ("p0", "p1") in _blocked([her, married])


def test_surnames_are_weighed_by_how_common_they_are_in_the_records_country() -> None:
    """`Hernández López` in three of four Honduran records is common there, and the one of
    four Mexican records is no commoner than that country's other names."""
    from cruce.link._backends import in_country_frequencies

    people = [{"name": [n], "nationality": [c]} for n, c in [
        ("Juan Hernandez Lopez", "HN"), ("Ana Hernandez Lopez", "HND"),
        ("Rosa Hernandez Lopez", "hondureña"), ("Luis Pop Caal", "HN"),
        ("Juan Hernandez Lopez", "MX"), ("Juan Kuc Orozco", "MX"), ("Luz Diaz Ruiz", "MX"),
        ("Ana Cruz Soto", "MX")]]
    con = _features(people)
    rows = in_country_frequencies(con, "surnames_in_country").to_pylist()
    shares = {r["surnames_in_country"]: r["tf_surnames_in_country"] for r in rows}
    assert shares["hernandez lopez|hn"] == 0.75
    assert shares["hernandez lopez|mx"] == 0.25
    levels = {c.create_output_column_name(): _as_dict(c)
              for c in _model.comparisons()}
    both = levels["surnames"]["comparison_levels"][1]
    assert both["tf_adjustment_column"] == "surnames_in_country"
    one = levels["surnames"]["comparison_levels"][2]
    assert one["label_for_charts"] == "paternal equal, maternal missing"
    assert one["tf_adjustment_column"] == "surname1_in_country"


def _surnames(left: tuple[str, str], right: tuple[str, str]) -> str:
    return _level("surnames", {"firstName": [left[0]], "lastName": [left[1]]},
                  {"firstName": [right[0]], "lastName": [right[1]]})


def test_a_maternal_surname_misspelt_or_taken_from_the_given_names_is_no_cousin() -> None:
    """With the paternal surname equal, a maternal one that differs tells cousins apart; a
    misspelt one (`Hernnandez`) or one that is the other record's middle name (a US clerk
    filing `Angel Santos Lopez` as `LOPEZ SANTOS, ANGEL`) is a level of its own."""
    assert _surnames(("Luis", "Ochoa Hernandez"), ("Luis", "Ochoa Hernnandez")) \
        == "paternal equal, maternal misspelt"
    moved = "paternal equal, a maternal surname among the given names"
    assert _surnames(("Angel Santos", "Lopez Abarca"), ("Angel", "Lopez Santos")) == moved
    assert _surnames(("Angel", "Lopez Santos"), ("Angel Santos", "Lopez Abarca")) == moved
    assert _surnames(("Angel", "Lopez Santos"), ("Angel", "Lopez Abarca")) \
        == "paternal equal, maternal differs"
    us = {"name": ["LOPEZ SANTOS, ANGEL"], "birthDate": ["1990"]}
    mx = {"firstName": ["Ángel Santos"], "lastName": ["López Abarca"],
          "birthDate": ["1990-05-02"]}
    assert _level("surnames", us, mx) == moved
    assert ("p0", "p1") in _blocked([us, mx])


def test_a_misread_letter_is_a_spelling_not_another_name() -> None:
    """OCR and hand-copying errors Jaro-Winkler puts below its 0.88: one letter of a short
    given name, 'rn' read as 'm' in a long surname; two edits in a short surname are another
    name ('ruiz' and 'diaz')."""
    given = lambda a, b: _level("given_name", {"firstName": [a], "lastName": ["Lopez"]},  # noqa: E731
                                {"firstName": [b], "lastName": ["Lopez"]})
    assert given("Guan", "Juan") == "given names one edit apart"
    assert given("Lvis", "Luis") == "given names one edit apart"
    assert _surnames(("Juan", "Hernandez"), ("Juan", "Hemandez")) \
        == "paternal surnames one or two edits apart"
    assert _surnames(("Juan", "Ruiz"), ("Juan", "Diaz")) not in {
        "paternal surnames one or two edits apart", "paternal surnames sound alike"}


def test_an_equal_maternal_surname_confirms_a_misspelt_paternal_one() -> None:
    assert _surnames(("Jose", "Lopes Aguilar"), ("Jose", "Lopez Aguilar")) \
        == "paternal misspelt, maternal equal"
    assert _surnames(("Jose", "Lopes"), ("Jose", "Lopez")) == "paternal surnames sound alike"


def test_a_second_given_name_one_letter_off_is_no_other_name() -> None:
    assert _second("Juan Ivan", "Juan Lvan") == "second given names one edit apart"
