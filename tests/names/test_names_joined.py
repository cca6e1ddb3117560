"""Surnames as US systems store them: two surnames glued into one word, a widow's hyphenated
compound surname, a married woman's husband's surname kept apart for linkage."""

from __future__ import annotations

import pytest

from cruce.names import name_features, parse_name_parts, parse_person_name


@pytest.mark.parametrize(("last", "paternal", "maternal"), [
    ("BARRIOSJUAREZ", "barrios", "juarez"),        # two known surnames, no hyphen
    ("MejiaZepeda", "mejia", "zepeda"),            # a capital inside
    ("CANTURODRIGUEZ", "cantu", "rodriguez"),      # a rarer surname before a common one
    ("HERNANDEZ", "hernandez", None),              # one surname stays one
    ("VILLAGRAN", "villagran", None),
    ("DELACRUZ", "cruz", None),                    # a glued particle is no second surname
    ("DelaCruz", "cruz", None),
    ("SanMartin", "sanmartin", None),
])
def test_two_surnames_glued_into_one_word_are_two(last: str, paternal: str,
                                                   maternal: str | None) -> None:
    f = name_features(parse_name_parts(first="JOSE", last=last))
    assert (f["surname1"], f["surname2"]) == (paternal, maternal)


def test_a_widows_hyphenated_compound_surname_is_one_married_name() -> None:
    p = parse_person_name("María López viuda de Pérez-de-la-Cruz")
    assert (p.given, p.paternal, p.maternal, p.married, p.widowed) == (
        ("María",), "López", None, "Pérez-de-la-Cruz", True)
    p = parse_name_parts(first="María", last="López García vda. de Pérez-de-la-Cruz")
    assert (p.paternal, p.maternal, p.married) == ("López", "García", "Pérez-de-la-Cruz")
    assert name_features(p)["surname_married"] == "perezcruz"


def test_the_husbands_surname_is_a_feature_of_its_own() -> None:
    f = name_features(parse_person_name("Zelaya de Santos, Guadalupe Marisol"))
    assert (f["surname1"], f["surname2"], f["surname_married"]) == ("zelaya", None, "santos")
    assert name_features(parse_person_name("Guadalupe Marisol Santos"))["surname_married"] is None
