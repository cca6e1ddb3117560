"""Each agency writes people its own way, with its own errors, and they overlap."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import datetime

import pytest
from tests.demo.conftest import PEOPLE_FILES, SPEC, people_rows, truth

from cruce.demo import WorldSummary
from cruce.demo._lexicon import fold, lexicon
from cruce.demo._people import TruePerson
from cruce.demo._world import make_world


@pytest.fixture(scope="module")
def people() -> dict[str, TruePerson]:
    return {p.pid: p for p in make_world(SPEC).people}


def _whose(world: WorldSummary, agency: str) -> list[tuple[dict[str, str], str]]:
    """The agency's people rows with the true person of each (rows and truth share order)."""
    dataset = PEOPLE_FILES[agency][0]
    pids = [r["person_id"] for r in truth(world) if r["dataset"] == dataset]
    rows = people_rows(world, agency)
    assert len(rows) == len(pids)
    return list(zip(rows, pids, strict=True))


def _parses(value: str, fmt: str) -> bool:
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def test_hn_police_writes_one_capitalised_name_surnames_first(
    world: WorldSummary, people: dict[str, TruePerson]
) -> None:
    rows = _whose(world, "hn_police")
    assert all(r["nombre_completo"] == r["nombre_completo"].upper() for r, _ in rows)
    first_is_surname = sum(
        fold(r["nombre_completo"].split()[0]) == fold(people[pid].paternal) for r, pid in rows
    )
    assert first_is_surname / len(rows) > 0.85
    assert {r["calidad"] for r, _ in rows} <= {"IMPUTADO", "VICTIMA", "TESTIGO", ""}
    assert any(r["pandilla"] and r["rango"] for r, _ in rows)
    dates = [r["fecha_nacimiento"] for r, _ in rows if r["fecha_nacimiento"]]
    assert all(_parses(d, "%d/%m/%Y") or _parses(d, "%Y") for d in dates)
    assert any(not _parses(d, "%m/%d/%Y") for d in dates), "some days above 12"
    assert any(re.fullmatch(r"\d{4}-\d{4}-\d{5}", r["dni"]) for r, _ in rows)


def test_gt_police_splits_names_and_writes_dates_with_dashes(
    world: WorldSummary, people: dict[str, TruePerson]
) -> None:
    rows = _whose(world, "gt_police")
    dashed = [r for r, _ in rows if _parses(r["fecha_nacimiento"], "%d-%m-%Y")]
    assert len(dashed) / len(rows) > 0.8
    mayan = {fold(s) for s in lexicon().mayan_surnames.items}
    guatemalans = [r for r, pid in rows if people[pid].nationality == "gt"]
    with_mayan = [r for r in guatemalans
                  if {fold(r["primer_apellido"]), fold(r["segundo_apellido"])} & mayan]
    assert len(with_mayan) / len(guatemalans) > 0.25
    assert any(r["apellido_casada"] for r, _ in rows)
    assert {r["calidad"] for r, _ in rows} <= {"SINDICADO", "AGRAVIADO", "TESTIGO", ""}


def test_sv_police_writes_surnames_comma_given_names_and_monikers(world: WorldSummary) -> None:
    rows = people_rows(world, "sv_police")
    assert all(r["nombre"].count(", ") == 1 for r in rows)
    assert sum(1 for r in rows if r["alias"]) > len(rows) * 0.2
    dates = [r["fecha_nacimiento"] for r in rows if r["fecha_nacimiento"]]
    assert all(_parses(d, "%Y-%m-%d") or re.fullmatch(r"\d{4}", d) for d in dates)
    assert any(re.fullmatch(r"\d{4}", d) for d in dates), "some birth years only"
    assert any(re.fullmatch(r"\d{8}-\d", r["dui"]) for r in rows)


def test_mx_migration_files_most_people_as_migrants_with_spanish_countries(
    world: WorldSummary,
) -> None:
    rows = people_rows(world, "mx_migration")
    roles = Counter(r["categoria"] for r in rows)
    assert roles.most_common(1)[0][0] == "MIGRANTE"
    assert roles["VICTIMA DE TRAFICO"] > 0
    assert {r["nacionalidad"] for r in rows} <= {
        "Honduras", "Guatemala", "El Salvador", "México", "Estados Unidos", "",
    }
    assert all(len(r["curp"]) == 18 for r in rows if r["curp"])
    assert {r["oficina"] for r in rows} >= {"Tapachula", "Ciudad Hidalgo", "Tenosique"}


def test_us_border_strips_accents_and_writes_month_first(
    world: WorldSummary, people: dict[str, TruePerson]
) -> None:
    rows = _whose(world, "us_border")
    names = [r[k] for r, _ in rows for k in ("FIRST_NAME", "MIDDLE_NAME", "LAST_NAME")]
    assert all(n.isascii() and n == n.upper() for n in names)
    dobs = [r["DOB"] for r, _ in rows if r["DOB"]]
    assert all(_parses(d, "%m/%d/%Y") for d in dobs)
    assert any(not _parses(d, "%d/%m/%Y") for d in dobs), "day/month order differs from DD/MM"
    assert any("-" in r["LAST_NAME"] for r, _ in rows), "some hyphenated surnames"
    maternal_in_middle = [
        r for r, pid in rows
        if people[pid].maternal and fold(people[pid].maternal) in fold(r["MIDDLE_NAME"])
    ]
    assert maternal_in_middle
    assert all(re.fullmatch(r"A?\d{9}", r["A_NUMBER"]) for r, _ in rows if r["A_NUMBER"])


def test_every_agency_sometimes_gets_the_birth_date_wrong(
    world: WorldSummary, people: dict[str, TruePerson]
) -> None:
    swapped = estimated = 0
    for agency, fmt in (("hn_police", "%d/%m/%Y"), ("mx_migration", "%d/%m/%Y"),
                        ("us_border", "%m/%d/%Y")):
        column = "DOB" if agency == "us_border" else "fecha_nacimiento"
        for row, pid in _whose(world, agency):
            if not _parses(row[column], fmt):
                continue
            seen, true = datetime.strptime(row[column], fmt).date(), people[pid].birth
            swapped += (seen.month, seen.day) == (true.day, true.month) != (true.month, true.day)
            estimated += (seen.month, seen.day) == (1, 1) != (true.month, true.day)
    assert swapped and estimated


def test_agencies_overlap_along_the_routes_north(world: WorldSummary) -> None:
    known: dict[str, set[str]] = defaultdict(set)
    main = {dataset: agency for agency, (dataset, _) in PEOPLE_FILES.items()}
    for row in truth(world):
        if row["dataset"] in main:
            known[main[row["dataset"]]].add(row["person_id"])
    for a, b in (("hn_police", "gt_police"), ("sv_police", "gt_police"),
                 ("gt_police", "mx_migration"), ("us_border", "mx_migration")):
        assert len(known[a] & known[b]) / len(known[a]) > 0.2, (a, b)
    per_person = Counter(pid for ids in known.values() for pid in ids)
    assert sum(1 for n in per_person.values() if n >= 3) >= 20


@pytest.mark.parametrize("agency", sorted(PEOPLE_FILES))
def test_each_agency_registers_a_few_people_twice(world: WorldSummary, agency: str) -> None:
    dataset = PEOPLE_FILES[agency][0]
    records = Counter(r["person_id"] for r in truth(world) if r["dataset"] == dataset)
    twice = sum(1 for n in records.values() if n > 1)
    assert 0.005 < twice / len(records) < 0.08
