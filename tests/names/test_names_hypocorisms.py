"""Hypocorisms and diminutives map to formal given names; the table cites its sources."""

from __future__ import annotations

import pytest

from cruce.names import canonical_given, name_features, parse_person_name
from cruce.names._lexicon import GIVEN_SEX, HYPOCORISM_SOURCES, HYPOCORISMS


@pytest.mark.parametrize(
    ("nickname", "formal"),
    [
        ("Chepe", "jose"),
        ("Pepe", "jose"),
        ("Chema", "jose maria"),
        ("Paco", "francisco"),
        ("Pancho", "francisco"),
        ("Kiko", "francisco"),
        ("Chuy", "jesus"),
        ("Chucho", "jesus"),
        ("Lupe", "guadalupe"),
        ("Lupita", "guadalupe"),
        ("Memo", "guillermo"),
        ("Toño", "antonio"),
        ("TONO", "antonio"),  # ñ lost in police exports
        ("Beto", "alberto"),
        ("Beto", "roberto"),
        ("Nacho", "ignacio"),
        ("Chayo", "rosario"),
        ("Charo", "rosario"),
        ("Lencho", "lorenzo"),
        ("Goyo", "gregorio"),
        ("Chalo", "gonzalo"),
        ("Chalo", "rosalio"),
        ("Moncho", "ramon"),
        ("Licha", "alicia"),
        ("Conchita", "concepcion"),
        ("Meche", "mercedes"),
        ("Chela", "graciela"),
        ("Nando", "fernando"),
        ("Quique", "enrique"),
        ("Kike", "enrique"),
        ("Rigo", "rigoberto"),
        ("Fito", "adolfo"),
        ("Fito", "rodolfo"),
        ("Tavo", "gustavo"),
        ("Tavo", "octavio"),
        ("Neto", "ernesto"),
        ("Lalo", "eduardo"),
        ("Pepa", "josefa"),
        ("Maco", "marco"),
        ("Mincho", "fermin"),
        ("Mincho", "benjamin"),
        ("Tito", "alberto"),
    ],
)
def test_hypocorism_maps_to_formal_name(nickname, formal):
    assert formal in canonical_given(nickname)


@pytest.mark.parametrize(
    ("diminutive", "formal"),
    [
        ("Juanito", "juan"),
        ("Carlitos", "carlos"),
        ("Anita", "ana"),
        ("Miguelito", "miguel"),
        ("Carmencita", "carmen"),
        ("Paquito", "francisco"),
        ("Dieguito", "diego"),
        ("Rosita", "rosa"),
        ("Juanico", "juan"),
    ],
)
def test_diminutive_maps_to_its_base_name(diminutive, formal):
    assert formal in canonical_given(diminutive)


def test_ambiguous_hypocorism_maps_to_several_names():
    assert {"alberto", "roberto", "humberto"} <= canonical_given("Beto")
    assert len(canonical_given("Chalo")) >= 2


def test_formal_and_unknown_names_map_to_themselves():
    assert canonical_given("José") == {"jose"}
    assert canonical_given("Yeferson") == {"yeferson"}
    assert canonical_given("Federico") == {"federico"}  # a name, not "Feder" + diminutive
    assert canonical_given("") == frozenset()


def test_hypocorism_that_is_also_a_registered_name_keeps_itself():
    assert {"tito", "alberto"} <= canonical_given("Tito")


def test_table_has_at_least_150_hypocorisms_each_with_a_source():
    assert len(HYPOCORISMS) >= 150
    assert all(HYPOCORISM_SOURCES[key].strip() for key in HYPOCORISMS)


def test_every_canonical_form_is_a_known_given_name():
    words = {w for forms in HYPOCORISMS.values() for form in forms for w in form.split()}
    assert words - {"de", "la"} <= set(GIVEN_SEX)


def test_nickname_and_formal_record_share_the_canonical_feature():
    nick = name_features(parse_person_name("HERNANDEZ GARCIA CHEPE"))
    formal = name_features(parse_person_name("José Hernández García"))
    assert nick["given1_canonical"] == formal["given1_canonical"] == "jose"
    chema = name_features(parse_person_name("Chema López"))
    assert {"jose", "maria"} <= set(chema["given_canonical_all"])  # type: ignore[arg-type]
