"""The shipped lexicons: sizes, coverage and internal consistency."""

from __future__ import annotations

from collections import Counter

from cruce.names import normalise
from cruce.names._lexicon import (
    AMBIGUOUS,
    DEVOTIONAL,
    GIVEN_SEX,
    SURNAME_ORIGIN,
    read_rows,
)


def test_given_name_lexicon_has_300_plus_names_of_both_sexes():
    sexes = Counter(GIVEN_SEX.values())
    assert len(GIVEN_SEX) >= 300
    assert sexes["M"] >= 150 and sexes["F"] >= 150


def test_surname_lexicon_has_300_plus_names_incl_mayan_arabic_and_germanic():
    origins = Counter(SURNAME_ORIGIN.values())
    assert len(SURNAME_ORIGIN) >= 300
    assert origins["mayan"] >= 50 and origins["arabic"] >= 20 and origins["germanic"] >= 20


def test_the_mayan_surnames_named_in_the_brief_are_known():
    wanted = [
        "Tzul",
        "Xicará",
        "Cux",
        "Tzoc",
        "Chuc",
        "Coc",
        "Quej",
        "Ixcoy",
        "Tum",
        "Pop",
        "Caal",
        "Choc",
        "Xol",
        "Cac",
    ]
    assert {normalise(s) for s in wanted} <= {k for k, v in SURNAME_ORIGIN.items() if v == "mayan"}


def test_arabic_origin_honduran_surnames_are_known():
    assert {"facusse", "canahuati", "kafie"} <= set(SURNAME_ORIGIN)


def test_lexicon_rows_are_unique_after_normalisation():
    for name, column in (("given_names.csv", "name"), ("surnames.csv", "surname")):
        keys = [normalise(row[column]) for row in read_rows(name)]
        assert len(keys) == len(set(keys)), name


def test_ambiguous_tokens_are_in_both_lexicons():
    assert all(t in GIVEN_SEX and t in SURNAME_ORIGIN for t in AMBIGUOUS)
    assert set(AMBIGUOUS.values()) <= {"given", "surname"}


def test_devotional_phrases_have_a_known_strength():
    assert ("de los", "angeles") in DEVOTIONAL
    assert set(DEVOTIONAL.values()) == {"strong", "medium", "weak"}
