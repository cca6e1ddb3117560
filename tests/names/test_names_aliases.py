"""Aliases are pulled out of names; shared gang monikers weigh little."""

from __future__ import annotations

import pytest

from cruce.names import COMMON_MONIKERS, is_common_moniker, moniker_weight, parse_person_name


@pytest.mark.parametrize(
    "moniker",
    [
        "Flaco",
        "EL GORDO",
        "El Chino",
        "Negro",
        "el diablo",
        "Smiley",
        "Sniper",
        "La Flaca",
        "Lil Smiley",
        "Chele",
        "Payaso",
        "Shadow",
        "Flaquito",
    ],
)
def test_shared_monikers_are_common(moniker):
    assert is_common_moniker(moniker)


@pytest.mark.parametrize("alias", ["Chepe Tres Dedos", "Tzul", "El Hondureño de Olanchito", ""])
def test_distinctive_aliases_are_not_common(alias):
    assert not is_common_moniker(alias)


def test_common_monikers_list_includes_the_usual_ones():
    assert {"flaco", "gordo", "chino", "negro", "diablo", "smiley", "sniper"} <= COMMON_MONIKERS
    assert len(COMMON_MONIKERS) >= 100


def test_common_moniker_weighs_less_than_a_distinctive_alias():
    assert moniker_weight("El Chino") < moniker_weight("Cachete") < moniker_weight("Tzunun")
    assert moniker_weight("Tzunun") < moniker_weight("Chepe Tres Dedos") < 1.0
    assert moniker_weight("") == 0.0


def test_moniker_only_record_has_no_name():
    parsed = parse_person_name('alias "EL FLACO"')
    assert parsed.is_moniker_only
    assert parsed.aliases == ("EL FLACO",)
    assert not parsed.given and parsed.paternal is None


def test_record_with_name_and_alias_is_not_moniker_only():
    parsed = parse_person_name("Pedro Tzul (Smiley)")
    assert not parsed.is_moniker_only
    assert parsed.aliases == ("Smiley",)


def test_duplicate_aliases_are_kept_once():
    assert parse_person_name('Juan Pérez alias "Chepe" (Chepe)').aliases == ("Chepe",)
