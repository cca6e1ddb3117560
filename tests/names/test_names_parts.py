"""parse_name_parts: names that arrive in separate fields (FtM firstName, lastName...)."""

from __future__ import annotations

from cruce.names import Layout, parse_name_parts


def test_first_and_last_with_two_surnames():
    p = parse_name_parts(first="José Luis", last="Hernández García")
    assert (p.given, p.paternal, p.maternal) == (("José", "Luis"), "Hernández", "García")


def test_surname_in_middle_name_is_the_maternal_surname():
    p = parse_name_parts(first="JOSE", middle="LUIS GARCIA", last="HERNANDEZ")
    assert (p.given, p.paternal, p.maternal) == (("JOSE", "LUIS"), "HERNANDEZ", "GARCIA")
    assert p.layout is Layout.US


def test_middle_initial_stays_a_given_name():
    p = parse_name_parts(first="Jose", middle="L.", last="Hernandez")
    assert (p.given, p.paternal, p.maternal) == (("Jose", "L"), "Hernandez", None)


def test_no_middle_name_marker_is_ignored():
    p = parse_name_parts(first="JOSE", middle="NMN", last="HERNANDEZ")
    assert (p.given, p.paternal) == (("JOSE",), "HERNANDEZ")


def test_hyphenated_last_name_gives_both_surnames():
    p = parse_name_parts(first="Kevin", last="Osorto-Maradiaga")
    assert (p.paternal, p.maternal) == ("Osorto", "Maradiaga")


def test_father_and_mother_fields_are_the_two_surnames():
    p = parse_name_parts(first="Juan", father="de la Cruz", mother="Tzul")
    assert (p.paternal, p.maternal, p.particles) == ("de la Cruz", "Tzul", ("de la",))


def test_mother_field_alone_leaves_the_paternal_slot_empty():
    p = parse_name_parts(first="Juan", mother="Tzul")
    assert (p.paternal, p.maternal) == (None, "Tzul")


def test_married_name_in_the_last_name_field():
    p = parse_name_parts(first="María", last="López de Hernández")
    assert (p.paternal, p.married) == ("López", "Hernández")
    widow = parse_name_parts(first="Ana", last="López vda. de Pérez")
    assert (widow.married, widow.widowed) == ("Pérez", True)


def test_aliases_in_any_field_are_collected():
    p = parse_name_parts(first='JOSE "CHEPE"', last="HERNANDEZ", full="Jose Hernandez alias Chele")
    assert p.aliases == ("CHEPE", "Chele")
    assert p.given == ("JOSE",)


def test_full_name_is_used_when_the_fields_hold_no_name():
    p = parse_name_parts(full="HERNANDEZ GARCIA, JOSE LUIS")
    assert (p.given, p.paternal, p.maternal) == (("JOSE", "LUIS"), "HERNANDEZ", "GARCIA")


def test_whole_name_in_the_first_name_field_is_parsed_as_a_full_name():
    p = parse_name_parts(first="JOSE HERNANDEZ GARCIA")
    assert (p.given, p.paternal, p.maternal) == (("JOSE",), "HERNANDEZ", "GARCIA")


def test_raw_records_the_fields():
    p = parse_name_parts(first="Ana", last="Pop")
    assert p.raw == "first=Ana | last=Pop"


def test_no_fields_give_an_empty_name():
    assert parse_name_parts().is_empty
