"""The people are synthetic and their documents and phones look real to validators."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from random import Random
from typing import Any

import phonenumbers
import pytest
import yaml
from tests.demo.conftest import SPEC

from cruce.demo import AGENCIES, WorldSummary
from cruce.demo._identity import mx_curp
from cruce.demo._lexicon import fold, lexicon
from cruce.demo._people import is_denied
from cruce.demo._world import make_world

_CURP_CHARS = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"


def test_no_person_carries_the_name_of_a_real_public_figure(world: WorldSummary) -> None:
    lex = lexicon()
    people = make_world(SPEC).people
    assert not any(is_denied(lex, p.given, p.paternal, p.maternal) for p in people)
    text = fold(" ".join(p.read_text("utf-8") for p in world.out_dir.rglob("*.csv")))
    assert not [name for name in lex.denylist if name in text]


@pytest.mark.parametrize(
    ("given", "paternal", "maternal"),
    [(("Juan", "Orlando"), "Hernández", "López"), (("Nayib",), "Bukele", "Ortez"),
     (("Mauricio",), "Funes", ""), (("Rigoberta",), "Menchu", "Tum")],
)
def test_the_denylist_catches_public_figures_in_any_usual_form(
    given: tuple[str, ...], paternal: str, maternal: str
) -> None:
    assert is_denied(lexicon(), given, paternal, maternal)


def test_common_combinations_stay_allowed() -> None:
    assert not is_denied(lexicon(), ("Juan", "Carlos"), "Hernández", "López")


def _dui_ok(dui: str) -> bool:
    body, check = dui.split("-")
    return (10 - sum(int(d) * (9 - i) for i, d in enumerate(body)) % 10) % 10 == int(check)


def _cui_ok(cui: str) -> bool:
    digits = cui.replace(" ", "")
    return sum(int(d) * (i + 2) for i, d in enumerate(digits[:8])) % 11 == int(digits[8])


def _curp_ok(curp: str) -> bool:
    total = sum(_CURP_CHARS.index(c) * (18 - i) for i, c in enumerate(curp[:17]))
    return (10 - total % 10) % 10 == int(curp[17])


def test_national_ids_pass_their_check_digits() -> None:
    people = make_world(SPEC).people
    checks = {"sv": _dui_ok, "gt": _cui_ok, "mx": _curp_ok}
    for person in people:
        if person.national_id and person.nationality in checks:
            assert checks[person.nationality](person.national_id), person.national_id
        if person.curp:
            assert len(person.curp) == 18 and _curp_ok(person.curp)
    ids = [p.national_id for p in people if p.national_id]
    assert len(ids) == len(set(ids)), "one id, one person"


def test_curp_follows_the_name_rules() -> None:
    curp = mx_curp(Random(1), "María José", "de la Cruz", "Núñez", date(1990, 3, 5),
                   male=False, state="CS")
    assert curp.startswith("CUNJ900305MCS")


def _phone_columns(mapping: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (query["csv_url"], column, rules["phone_country"])
        for block in mapping.values() for query in block["queries"]
        for column, rules in block["cruce"].get("columns", {}).items()
        if "phone_country" in rules
    ]


@pytest.mark.parametrize("agency", AGENCIES)
def test_every_phone_is_a_valid_number_for_the_declared_country(
    world: WorldSummary, agency: str
) -> None:
    folder: Path = world.out_dir / agency
    mapping = yaml.safe_load((folder / "mapping.yml").read_text())
    checked = 0
    for filename, column, country in _phone_columns(mapping):
        for row in csv.DictReader((folder / filename).open(encoding="utf-8")):
            if row[column]:
                number = phonenumbers.parse(row[column], country)
                assert phonenumbers.is_valid_number(number), row[column]
                checked += 1
    assert checked > 50
