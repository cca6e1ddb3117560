import csv
import json
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from tests.conftest import ROWS, write_csv

from cruce import Node
from cruce.errors import BadRow, InvalidMapping
from cruce.ingest import entity_id, key_prefix
from cruce.store import RecordQuery


def people(node: Node) -> dict[str, dict]:
    """Person records by their source key, read straight from the store (no consultation)."""
    rows = node.store._select(RecordQuery(schema="Person"))
    out = {}
    for row in rows:
        props = json.loads(row[3])
        out[props["name"][0]] = {"props": props, "row": row}
    return out


def test_csv_ingest_cleans_and_maps_every_entity(node: Node, agency_dir: Path) -> None:
    result = node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
    assert (result.rows, result.inserted, result.updated, result.rejected) == (4, 9, 0, 0)
    assert dict(node.stats("schema")) == {"Membership": 3, "Organization": 2, "Person": 4}
    found = people(node)
    jose = found["Hernandez Garcia Jose Luis"]["props"]
    assert jose["birthDate"] == ["1990-03-05"]
    assert jose["phone"] == ["+50499887766"]
    assert jose["nationality"] == ["hn"]
    assert jose["gender"] == ["male"]
    assert sorted(jose["alias"]) == ["Chepe", "El Flaco"]
    pedro = found["Cruz Tzul Pedro"]["props"]
    assert pedro["birthDate"] == ["1970-03"], "a month-precision date stays partial"
    assert pedro["phone"] == ["+50377889900"], "00-prefixed international numbers keep their country"
    assert pedro["nationality"] == ["gt"]
    assert found["Lopez De Hernandez Maria"]["props"]["birthDate"] == ["1985"]


def test_ids_are_stable_and_follow_the_key_rule(node: Node, agency_dir: Path) -> None:
    node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
    expected = entity_id(key_prefix("hn_police", "hn_police_personas"), ["HN-1"])
    record = node.store._select(RecordQuery(ids=[expected]))
    assert record and json.loads(record[0][3])["name"] == ["Hernandez Garcia Jose Luis"]


def test_victims_are_red_and_unshareable_whatever_the_mapping_says(node: Node, agency_dir: Path) -> None:
    node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
    envelopes = {
        name: (p["row"][7], p["row"][8], p["row"][11], p["row"][14]) for name, p in people(node).items()
    }
    assert envelopes["Lopez De Hernandez Maria"] == ("gangs_organized_crime", "victim", "RED", False)
    assert envelopes["Cruz Tzul Pedro"] == ("gangs_organized_crime", "witness", "AMBER", True)


def test_memberships_point_at_the_person_and_the_gang(node: Node, agency_dir: Path) -> None:
    node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
    prefix = key_prefix("hn_police", "hn_police_personas")
    ms = [json.loads(r[3]) for r in node.store._select(RecordQuery(schema="Membership"))]
    jose = entity_id(prefix, ["HN-1"])
    olivos = entity_id(prefix, ["Clica Los Olivos"])
    assert {"member": [jose], "organization": [olivos], "role": ["palabrero"]} in ms
    assert all(m["member"] != [entity_id(prefix, ["HN-2"])] for m in ms), "no gang, no membership"


def test_xlsx_ingest_gives_the_same_records_as_csv(tmp_path: Path, agency_dir: Path) -> None:
    book = Workbook()
    sheet = book.active
    rows = list(csv.reader((agency_dir / "personas.csv").open()))
    sheet.append(rows[0])
    for row in rows[1:]:
        cells: list[object] = list(row)
        if row[2] == "05/03/1990":
            cells[2] = datetime(1990, 3, 5)  # Excel holds real dates, typed
        sheet.append(cells)
    book.save(agency_dir / "personas.xlsx")
    with Node.open(tmp_path / "a.duckdb") as a, Node.open(tmp_path / "b.duckdb") as b:
        a.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
        b.ingest(agency_dir / "personas.xlsx", mapping=agency_dir / "mapping.yml")
        rows_a = a.store._query("SELECT id, schema, properties FROM records ORDER BY id")
        rows_b = b.store._query("SELECT id, schema, properties FROM records ORDER BY id")
    assert rows_a == rows_b


def test_a_bad_row_stops_the_ingest_naming_file_line_and_column(node: Node, agency_dir: Path) -> None:
    bad = ROWS[:2] + ["HN-9,RAMIREZ SOTO ANA,31/02/1990,9911-2233,TESTIGO,,,Honduras,F,"] + ROWS[2:]
    path = write_csv(agency_dir / "personas.csv", bad)
    with pytest.raises(BadRow) as err:
        node.ingest(path, mapping=agency_dir / "mapping.yml")
    assert str(err.value) == (
        f"{path}, line 4, column 'fecha_nacimiento': '31/02/1990' is not a date in the declared "
        "formats DD/MM/YYYY, MM/YYYY, YYYY"
    )
    assert node.store.count() == 0, "nothing of a file with a bad row is stored"


def test_line_numbers_count_physical_lines_of_multiline_fields(node: Node, agency_dir: Path) -> None:
    rows = ['HN-1,"HERNANDEZ\nGARCIA JOSE",05/03/1990,,IMPUTADO,,,Honduras,M,',
            "HN-2,LOPEZ MARIA,1985,not a phone,TESTIGO,,,Honduras,F,"]
    path = write_csv(agency_dir / "personas.csv", rows)
    with pytest.raises(BadRow) as err:
        node.ingest(path, mapping=agency_dir / "mapping.yml")
    assert (err.value.line, err.value.column) == (4, "telefono")
    assert "is not a phone number (default country HN)" in err.value.reason


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("HN-9,SOTO ANA,1990,9911-2233,TESTIGO,,,Narnia,F,", "nacionalidad", "'Narnia' is not a valid country"),
        ("HN-9,SOTO ANA,1990,9911-2233,SOSPECHOSO,,,Honduras,F,", "calidad",
         "'SOSPECHOSO' is not one of the subject categories the mapping names"),
        ("HN-9,SOTO ANA,1990,12,TESTIGO,,,Honduras,F,", "telefono",
         "'12' is not a phone number (default country HN)"),
        ("HN-9,SOTO ANA,1990,9911-2233,TESTIGO,,,Honduras,Q,", "sexo", "'Q' is not a valid gender"),
    ],
)
def test_each_kind_of_unreadable_value_is_a_bad_row(
    node: Node, agency_dir: Path, row: str, column: str, reason: str
) -> None:
    path = write_csv(agency_dir / "personas.csv", [ROWS[0], row])
    with pytest.raises(BadRow) as err:
        node.ingest(path, mapping=agency_dir / "mapping.yml")
    assert (err.value.line, err.value.column, err.value.reason) == (3, column, reason)


def test_rejects_file_takes_bad_rows_and_the_rest_is_stored(node: Node, agency_dir: Path, tmp_path: Path) -> None:
    rows = [ROWS[0], "HN-8,SOTO ANA,99/99/1990,9911-2233,TESTIGO,,,Honduras,F,", ROWS[2],
            "HN-9,PAZ LUIS,1990,1,TESTIGO,,,Honduras,M,"]
    path = write_csv(agency_dir / "personas.csv", rows)
    rejects = tmp_path / "rejects.csv"
    result = node.ingest(path, mapping=agency_dir / "mapping.yml", rejects=rejects)
    assert result.rejected == 2
    assert sorted(people(node)) == ["Cruz Tzul Pedro", "Hernandez Garcia Jose Luis"]
    bad = list(csv.DictReader(rejects.open()))
    assert [(r["line"], r["column"], r["id_persona"]) for r in bad] == [
        ("3", "fecha_nacimiento", "HN-8"), ("5", "telefono", "HN-9"),
    ]
    assert bad[0]["reason"].startswith("'99/99/1990' is not a date")


def test_reingesting_the_same_file_creates_no_duplicates(node: Node, agency_dir: Path) -> None:
    first = node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
    again = node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, first.inserted)
    assert node.store.count() == first.inserted


def test_reingesting_a_changed_row_alters_that_record_only(node: Node, agency_dir: Path) -> None:
    node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
    changed = [ROWS[0].replace("05/03/1990", "06/03/1990"), *ROWS[1:]]
    path = write_csv(agency_dir / "personas.csv", changed)
    result = node.ingest(path, mapping=agency_dir / "mapping.yml")
    assert (result.inserted, result.updated) == (0, 1)
    assert people(node)["Hernandez Garcia Jose Luis"]["props"]["birthDate"] == ["1990-03-06"]


def test_mapping_naming_a_missing_column_is_refused(node: Node, agency_dir: Path) -> None:
    text = (agency_dir / "mapping.yml").read_text().replace("column: sexo", "column: genero")
    (agency_dir / "mapping.yml").write_text(text)
    with pytest.raises(InvalidMapping, match="the mapping uses column 'genero', which the file does not have"):
        node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")


def test_mapping_with_an_unknown_property_is_refused(node: Node, agency_dir: Path) -> None:
    text = (agency_dir / "mapping.yml").read_text().replace("gender: {column: sexo}", "sex: {column: sexo}")
    (agency_dir / "mapping.yml").write_text(text)
    with pytest.raises(InvalidMapping, match="entity 'persona': Person has no property 'sex'"):
        node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")


def test_mapping_with_a_bad_envelope_is_refused(node: Node, agency_dir: Path) -> None:
    text = (agency_dir / "mapping.yml").read_text().replace("tlp: AMBER", "tlp: PURPLE")
    (agency_dir / "mapping.yml").write_text(text)
    with pytest.raises(InvalidMapping, match="envelope field 'tlp': 'PURPLE' is not one of"):
        node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")


def test_a_node_holds_only_its_own_agencys_data(tmp_path: Path, agency_dir: Path) -> None:
    from cruce.errors import PermissionDenied

    with Node.open(tmp_path / "gt.duckdb", agency="gt_police") as gt, pytest.raises(
        PermissionDenied, match="this node belongs to 'gt_police', not 'hn_police'"
    ):
        gt.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")


def test_retention_sets_retain_until_from_the_ingest_date(node: Node, agency_dir: Path) -> None:
    node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
    until = node.store._query("SELECT DISTINCT retain_until FROM records")
    assert len(until) == 1 and until[0][0].year == date.today().year + 5
