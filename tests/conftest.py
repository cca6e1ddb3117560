"""Shared fixtures: a small agency export (CSV + mapping) as the police would send it, and a
fresh, empty store on either backend (`store_url`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests._postgres import fresh_store_url

from cruce import Node

MAPPING = """\
hn_police_personas:
  cruce:
    agency: hn_police
    envelope:
      purpose: gangs_organized_crime
      handling_code: H2
      tlp: AMBER
      source_reliability: B
      information_accuracy: 2
      retention: 5y
    columns:
      fecha_nacimiento: {date_formats: ["%d/%m/%Y", "%m/%Y", "%Y"]}
      telefono: {phone_country: HN}
      nombre_completo: {case: title}
  queries:
    - csv_url: personas.csv
      entities:
        persona:
          schema: Person
          keys: [id_persona]
          envelope:
            subject_category:
              column: calidad
              map: {IMPUTADO: suspect, VICTIMA: victim, TESTIGO: witness}
          properties:
            name: {column: nombre_completo}
            birthDate: {column: fecha_nacimiento}
            phone: {column: telefono}
            nationality: {column: nacionalidad}
            gender: {column: sexo}
            alias: {column: alias, split: ";"}
        pandilla:
          schema: Organization
          keys: [pandilla]
          properties:
            name: {column: pandilla}
        membresia:
          schema: Membership
          keys: [id_persona, pandilla]
          properties:
            member: {entity: persona}
            organization: {entity: pandilla}
            role: {column: rango}
"""

HEADER = "id_persona,nombre_completo,fecha_nacimiento,telefono,calidad,pandilla,rango,nacionalidad,sexo,alias"
ROWS = [
    "HN-1,HERNANDEZ GARCIA JOSE LUIS,05/03/1990,9988-7766,IMPUTADO,Clica Los Olivos,palabrero,Honduras,M,El Flaco;Chepe",
    "HN-2,  LOPEZ   DE HERNANDEZ MARIA ,1985,+504 3344 5566,VICTIMA,,,Honduras,F,",
    "HN-3,CRUZ TZUL PEDRO,03/1970,00503 7788 9900,TESTIGO,Clica Los Olivos,,Guatemala,M,",
    "HN-4,MEJIA ORELLANA KEVIN ALEXANDER,17/11/1999,3312-4455,IMPUTADO,Barrio 29 Sur,soldado,Honduras,M,Smiley",
]


@pytest.fixture()
def agency_dir(tmp_path: Path) -> Path:
    """A folder with personas.csv and mapping.yml, as hn_police exports them."""
    folder = tmp_path / "hn_police"
    folder.mkdir()
    (folder / "mapping.yml").write_text(MAPPING, encoding="utf-8")
    write_csv(folder / "personas.csv", ROWS)
    return folder


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture()
def node(tmp_path: Path) -> Node:
    n = Node.open(tmp_path / "node.duckdb", agency="hn_police", user="analyst1")
    yield n
    n.close()


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where a fresh, empty store lives: a DuckDB file, or a new PostgreSQL schema."""
    if request.param == "duckdb":
        yield str(tmp_path / "node.duckdb")
        return
    with fresh_store_url() as url:
        yield url
