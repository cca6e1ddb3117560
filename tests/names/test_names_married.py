"""Married surnames as US and Central-American records write them, understood: the maiden
surname(s) stay paternal/maternal and the husband's surname is `married` (issue 11 #2)."""

from __future__ import annotations

import pytest

from cruce.names import Layout, name_features, parse_name_parts, parse_person_name

# text, layout, given, paternal, maternal, married
MARRIED = [
    ("Recinos-DeEspinoza", None, (), "Recinos", None, "Espinoza"),
    ("Ana Recinos-DeEspinoza", None, ("Ana",), "Recinos", None, "Espinoza"),
    ("ANA RECINOS-DEESPINOZA", None, ("ANA",), "RECINOS", None, "ESPINOZA"),
    ("RECINOS-DEESPINOZA, ANA", None, ("ANA",), "RECINOS", None, "ESPINOZA"),
    ("Ana Recinos-DeEspinoza", Layout.US, ("Ana",), "Recinos", None, "Espinoza"),
    ("Ana Lucía Recinos Pérez-DeEspinoza", None, ("Ana", "Lucía"), "Recinos", "Pérez", "Espinoza"),
    ("Guadalupe Marisol Zelaya de Santos", None, ("Guadalupe", "Marisol"), "Zelaya", None, "Santos"),
    ("Guadalupe Marisol Zelaya de Santos", Layout.US, ("Guadalupe", "Marisol"), "Zelaya", None,
     "Santos"),
    ("Guadalupe Marisol Zelaya-de-Santos", None, ("Guadalupe", "Marisol"), "Zelaya", None, "Santos"),
    ("Guadalupe Marisol Zelaya-DeSantos", None, ("Guadalupe", "Marisol"), "Zelaya", None, "Santos"),
    ("ZELAYA DE SANTOS, GUADALUPE MARISOL", None, ("GUADALUPE", "MARISOL"), "ZELAYA", None,
     "SANTOS"),
    ("Xiomara Zelaya Recinos-de-Santos", None, ("Xiomara",), "Zelaya", "Recinos", "Santos"),
]


@pytest.mark.parametrize(("text", "layout", "given", "paternal", "maternal", "married"), MARRIED)
def test_married_surname_is_understood(
    text: str, layout: Layout | None, given: tuple[str, ...], paternal: str,
    maternal: str | None, married: str,
) -> None:
    p = parse_person_name(text, layout=layout)
    assert (p.given, p.paternal, p.maternal, p.married, p.widowed) == (
        given, paternal, maternal, married, False)


def test_married_surname_in_the_last_name_field() -> None:
    p = parse_name_parts(first="Ana", last="Recinos-DeEspinoza")
    assert (p.given, p.paternal, p.maternal, p.married) == (("Ana",), "Recinos", None, "Espinoza")
    q = parse_name_parts(first="Guadalupe", middle="Marisol", last="Zelaya de Santos")
    assert (q.given, q.paternal, q.married) == (("Guadalupe", "Marisol"), "Zelaya", "Santos")


def test_glued_de_marks_no_particle_of_the_married_surname() -> None:
    assert parse_person_name("Ana Recinos-DeEspinoza").particles == ()


def test_a_widow_after_a_hyphen_keeps_the_widow_marker() -> None:
    p = parse_person_name("Ana Recinos-vda. de Espinoza")
    assert (p.paternal, p.married, p.widowed) == ("Recinos", "Espinoza", True)


def test_a_man_with_a_hyphenated_de_keeps_it_as_his_maternal_surname() -> None:
    p = parse_person_name("Juan Ponce-DeLeón")
    assert (p.paternal, p.maternal, p.married) == ("Ponce", "DeLeón", None)


def test_glued_de_la_is_a_particle_of_the_surname_not_a_marriage() -> None:
    p = parse_person_name("Ana López-DelaCruz")
    assert (p.paternal, p.maternal, p.married) == ("López", "DelaCruz", None)


def test_the_three_spellings_of_one_married_woman_agree_for_linkage() -> None:
    """'Zelaya-Santos' (a bare hyphen) is read as paternal-maternal: US records hyphenate both
    surnames far more often than a married one, and the text cannot tell them apart. Linkage
    still sees the same person: the maiden surname agrees and the husband's surname is in
    every form's surname set."""
    forms = ["Guadalupe Marisol Zelaya de Santos", "Guadalupe Marisol Zelaya-DeSantos",
             "Guadalupe Marisol Zelaya-Santos"]
    features = [name_features(parse_person_name(t)) for t in forms]
    assert {f["surname1"] for f in features} == {"zelaya"}
    assert all(set(f["surname_all"] or []) == {"zelaya", "santos"} for f in features)
    assert {f["full_norm"] for f in features} == {"guadalupe marisol santos zelaya"}
