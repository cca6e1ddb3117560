"""name_features: the comparison columns agree across the ways records write one name."""

from __future__ import annotations

import pytest

from cruce.names import Layout, PersonName, name_features, parse_name_parts, parse_person_name

COLUMNS = {
    "given1",
    "given2",
    "given_all",
    "given1_canonical",
    "given_canonical_all",
    "surname1",
    "surname2",
    "surname_all",
    "surname_married",
    "given1_phonetic",
    "surname1_phonetic",
    "surname2_phonetic",
    "full_norm",
    "aliases_norm",
}


def test_features_have_the_documented_columns():
    assert set(name_features(parse_person_name("José Pérez"))) == COLUMNS


def test_features_of_a_full_name():
    f = name_features(parse_person_name("José Luis Hernández García"))
    assert f["given1"] == "jose" and f["given2"] == "luis"
    assert f["given_all"] == ["jose", "luis"]
    assert f["surname1"] == "hernandez" and f["surname2"] == "garcia"
    assert f["surname_all"] == ["hernandez", "garcia"]
    assert f["surname1_phonetic"] == "ERNANDES"
    assert f["full_norm"] == "garcia hernandez jose luis"


@pytest.mark.parametrize(
    "text",
    [
        "HERNANDEZ GARCIA JOSE LUIS",
        "Hernández García, José Luis",
        "Jose Luis Hernandez-Garcia",
        "HERNANDEZ, JOSE LUIS GARCIA",
    ],
)
def test_layouts_of_one_name_give_the_same_features(text):
    reference = name_features(parse_person_name("José Luis Hernández García"))
    assert name_features(parse_person_name(text)) == reference


def test_us_record_with_maternal_as_middle_matches_on_surname_set_and_full_norm():
    spanish = name_features(parse_person_name("José Luis Hernández García"))
    us = name_features(parse_person_name("Jose Luis Garcia Hernandez"))  # read as Spanish order
    assert us["surname1"] != spanish["surname1"]
    assert set(us["surname_all"]) == set(spanish["surname_all"])  # type: ignore[arg-type]
    assert us["full_norm"] == spanish["full_norm"]
    hinted = name_features(parse_person_name("Jose Luis Garcia Hernandez", layout=Layout.US))
    assert hinted["surname1"] == spanish["surname1"]


def test_particles_are_dropped_and_joined_forms_agree():
    spaced = name_features(parse_person_name("Juan de la Cruz López"))
    joined = name_features(parse_person_name("JUAN DELACRUZ LOPEZ"))
    assert spaced["surname1"] == joined["surname1"] == "cruz"


def test_devotional_given_name_keeps_its_core_word():
    f = name_features(parse_person_name("María de los Ángeles López"))
    assert f["given_all"] == ["maria", "angeles"]


def test_married_name_is_in_the_surname_set_but_not_a_surname_column():
    f = name_features(parse_person_name("María López de Hernández"))
    assert f["surname1"] == "lopez" and f["surname2"] is None
    assert f["surname_all"] == ["lopez", "hernandez"]


def test_aliases_are_normalised_without_articles():
    f = name_features(parse_person_name('Pedro Tzul alias "El Flaco" (La Sombra)'))
    assert sorted(f["aliases_norm"]) == ["flaco", "sombra"]  # type: ignore[arg-type]


def test_initials_are_kept_as_one_letter():
    f = name_features(parse_person_name("Jose L Hernandez"))
    assert f["given_all"] == ["jose", "l"]
    assert f["surname2"] is None and f["surname2_phonetic"] is None


def test_empty_name_gives_empty_columns():
    f = name_features(PersonName())
    assert f["given1"] is None and f["surname1"] is None
    assert f["given_all"] == [] and f["full_norm"] == "" and f["aliases_norm"] == []


def test_fielded_and_full_records_agree():
    fielded = parse_name_parts(first="JOSE LUIS", last="HERNANDEZ GARCIA")
    full = parse_person_name("HERNANDEZ GARCIA JOSE LUIS")
    assert name_features(fielded) == name_features(full)
