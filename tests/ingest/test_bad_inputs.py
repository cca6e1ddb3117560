"""Every bad input is one clear line naming file, line, field and why (issue 11 #3): the
CLI's `Error:` line and exit 2, never a traceback, nothing stored of a refused file."""

import csv
import json
from pathlib import Path

import pytest
from tests.conftest import HEADER, MAPPING
from typer.testing import CliRunner

from cruce import Node
from cruce.cli import app
from cruce.errors import BadRow, InvalidInput, InvalidMapping
from cruce.store import RecordQuery

runner = CliRunner()
ENVELOPE = {"purpose": "border_security", "handling_code": "H1", "tlp": "AMBER",
            "source_reliability": "A", "information_accuracy": "1", "retain_until": "2031-12-31"}


def error_line(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 or " ".join(result.output.split()).startswith("Error:"), result.output
    return " ".join(result.output.split())


def person_line(pid: str = "us-1", **props: list[object]) -> str:
    return json.dumps({"id": pid, "schema": "Person",
                       "properties": {"name": ["Jose Hernandez"], **props}})


# -- envelopes given on the command line --------------------------------------------------------

def test_an_envelope_missing_fields_names_the_line_and_the_field_not_a_type_error(
    tmp_path: Path,
) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(person_line() + "\n", encoding="utf-8")
    line = error_line("ingest", str(cases), "--envelope", '{"dataset": "cases"}',
                      "--agency", "us_border", "--db", str(tmp_path / "n.duckdb"), "--create")
    assert line == (f"Error: {cases}, line 1, column 'envelope.purpose': missing: give it in "
                    "the line's envelope or with --envelope")


@pytest.mark.parametrize(("field", "expected"), [
    ({"tlp": "PINK"},  # reported against the option, not the data file's line 1
     "Error: --envelope: tlp: 'PINK' is not one of CLEAR, GREEN, AMBER, AMBER+STRICT, RED"),
    ({"tpl": "AMBER"},  # an unknown field: the nearest one is suggested
     "Error: --envelope: tpl: unknown field (did you mean 'tlp'?)"),
])
def test_an_envelope_option_error_is_reported_against_the_option(
    tmp_path: Path, field: dict[str, str], expected: str,
) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(person_line() + "\n", encoding="utf-8")
    bad = json.dumps({**ENVELOPE, "dataset": "cases", **field})
    line = error_line("ingest", str(cases), "--envelope", bad, "--agency", "us_border",
                      "--db", str(tmp_path / "n.duckdb"), "--create")
    assert line == expected


@pytest.mark.parametrize("field", ["provenance", "created_at"])
def test_an_envelope_option_cannot_set_what_the_node_keeps(tmp_path: Path, field: str) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(person_line() + "\n", encoding="utf-8")
    bad = json.dumps({**ENVELOPE, "dataset": "cases", field: {"file": "x", "line": 1}})
    line = error_line("ingest", str(cases), "--envelope", bad, "--agency", "us_border",
                      "--db", str(tmp_path / "n.duckdb"), "--create")
    assert line == f"Error: --envelope: {field}: kept by the node for each record, not given"


# -- mappings ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("typo", "expected"),
    [
        (("    envelope:\n", "    envelop:\n"),
         "dataset 'hn_police_personas', cruce: unknown key 'envelop' (did you mean 'envelope'?)"),
        (("          properties:\n            name:", "          properites:\n            name:"),
         "dataset 'hn_police_personas', entity 'persona': unknown key 'properites' "
         "(did you mean 'properties'?)"),
        (("      tlp: AMBER\n", "      tpl: AMBER\n"),
         "dataset 'hn_police_personas', envelope: unknown key 'tpl' (did you mean 'tlp'?)"),
        (("            birthDate:", "            birthdate:"),
         "dataset 'hn_police_personas', entity 'persona': Person has no property 'birthdate' "
         "(did you mean 'birthDate'?)"),
        (("    - csv_url: personas.csv\n", "    - csv_ur: personas.csv\n"),
         "dataset 'hn_police_personas', query 0: unknown key 'csv_ur' (did you mean 'csv_url'?)"),
        (("telefono: {phone_country: HN}", "telefono: {phone_contry: HN}"),
         "dataset 'hn_police_personas', column 'telefono': unknown key 'phone_contry' "
         "(did you mean 'phone_country'?)"),
    ],
)
def test_a_mistyped_mapping_key_is_refused_with_the_nearest_key(
    tmp_path: Path, agency_dir: Path, typo: tuple[str, str], expected: str,
) -> None:
    assert typo[0] in MAPPING
    mapping = agency_dir / "mapping.yml"
    mapping.write_text(MAPPING.replace(typo[0], typo[1], 1), encoding="utf-8")
    db = tmp_path / "n.duckdb"
    line = error_line("ingest", str(agency_dir / "personas.csv"), "--mapping", str(mapping),
                      "--db", str(db), "--create")
    assert line == f"Error: {mapping}: {expected}"
    with Node.open(db) as node:
        assert node.store.count() == 0


def test_a_mapping_naming_an_abstract_schema_is_refused(agency_dir: Path) -> None:
    mapping = agency_dir / "mapping.yml"
    mapping.write_text(MAPPING.replace("schema: Organization", "schema: Thing"), encoding="utf-8")
    with Node.open(agency_dir / "n.duckdb") as node, pytest.raises(InvalidMapping) as err:
        node.ingest(agency_dir / "personas.csv", mapping=mapping)
    assert "'Thing' is an abstract schema" in str(err.value)


# -- encodings -----------------------------------------------------------------------------------

LATIN_ROWS = [
    "HN-1,HERNÁNDEZ GARCÍA JOSÉ LUIS,05/03/1990,9988-7766,IMPUTADO,Clica Los Olivos,palabrero,Honduras,M,",
    "HN-2,PEÑA LÓPEZ MARÍA,1985,+504 3344 5566,TESTIGO,,,Honduras,F,“La Güera”",
]


def write_cp1252(agency_dir: Path) -> Path:
    path = agency_dir / "personas.csv"
    path.write_bytes((HEADER + "\n" + "\n".join(LATIN_ROWS) + "\n").encode("cp1252"))
    return path


def test_a_cp1252_file_is_named_with_its_byte_and_line_and_the_fix(
    tmp_path: Path, agency_dir: Path,
) -> None:
    path = write_cp1252(agency_dir)
    byte = path.read_bytes().index("Á".encode("cp1252")) + 1
    line = error_line("ingest", str(path), "--mapping", str(agency_dir / "mapping.yml"),
                      "--db", str(tmp_path / "n.duckdb"), "--create")
    assert line == (f"Error: {path}: not utf-8 at byte {byte} (line 2); if it is Windows-1252 "
                    "or Latin-1, set `encoding: cp1252` (or `encoding: latin-1`) in the "
                    "mapping's cruce: block")


@pytest.mark.parametrize("where", ["cruce block", "query"])
def test_a_declared_encoding_is_read_as_such(agency_dir: Path, where: str) -> None:
    path = write_cp1252(agency_dir)
    mapping = agency_dir / "mapping.yml"
    if where == "cruce block":
        text = MAPPING.replace("    agency: hn_police\n", "    agency: hn_police\n    encoding: cp1252\n")
    else:
        text = MAPPING.replace("    - csv_url: personas.csv\n",
                               "    - csv_url: personas.csv\n      encoding: windows-1252\n")
    mapping.write_text(text, encoding="utf-8")
    with Node.open(agency_dir / "n.duckdb") as node:
        result = node.ingest(path, mapping=mapping)
        names = {json.loads(r[3])["name"][0] for r in node.store._select(RecordQuery(schema="Person"))}
        aliases = [json.loads(r[3]).get("alias") for r in node.store._select(RecordQuery(schema="Person"))]
    assert result.rows == 2
    assert names == {"Hernández García José Luis", "Peña López María"}
    assert ["“La Güera”"] in aliases


def test_an_unknown_encoding_is_refused(agency_dir: Path) -> None:
    mapping = agency_dir / "mapping.yml"
    mapping.write_text(MAPPING.replace("    agency: hn_police\n",
                                       "    agency: hn_police\n    encoding: klingon\n"))
    with Node.open(agency_dir / "n.duckdb") as node, pytest.raises(InvalidMapping, match="klingon"):
        node.ingest(agency_dir / "personas.csv", mapping=mapping)


# -- the same value checks on both paths --------------------------------------------------------

@pytest.mark.parametrize(
    ("prop", "value", "reason"),
    [
        ("birthDate", "not a date", "'not a date' is not a date (YYYY, YYYY-MM or YYYY-MM-DD)"),
        ("birthDate", "05/03/1990", "'05/03/1990' is not a date (YYYY, YYYY-MM or YYYY-MM-DD)"),
        ("nationality", "Narnia", "'Narnia' is not a country (ISO code such as 'hn', or its name)"),
        ("phone", "not a phone", "'not a phone' is not a phone number with its country code (+504...)"),
        ("gender", "sometimes", "'sometimes' is not a gender (male, female, other)"),
    ],
)
def test_json_lines_refuse_the_values_the_csv_path_refuses(
    tmp_path: Path, prop: str, value: str, reason: str,
) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(person_line("ok-1") + "\n" + person_line("bad-1", **{prop: [value]}) + "\n")
    with Node.open(tmp_path / "n.duckdb", agency="us_border") as node:
        with pytest.raises(BadRow) as err:
            node.ingest(path, envelope={**ENVELOPE, "dataset": "cases"})
        assert node.store.count() == 0
    assert str(err.value) == f"{path}, line 2, column 'properties.{prop}': {reason}"


def test_json_lines_store_values_in_the_form_the_csv_path_stores(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(person_line("us-1", nationality=["Honduras"], phone=["+504 9988-7766"],
                                birthDate=["1990-03"]) + "\n")
    with Node.open(tmp_path / "n.duckdb", agency="us_border") as node:
        node.ingest(path, envelope={**ENVELOPE, "dataset": "cases"})
        props = json.loads(node.store._select(RecordQuery(ids=["us-1"]))[0][3])
    assert (props["nationality"], props["phone"], props["birthDate"]) == (
        ["hn"], ["+50499887766"], ["1990-03"])


def test_json_lines_with_rejects_store_the_good_lines(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join([person_line("ok-1"), person_line("bad-1", birthDate=["soon"]),
                               "{not json", person_line("ok-2")]) + "\n")
    rejects = tmp_path / "rejects.csv"
    with Node.open(tmp_path / "n.duckdb", agency="us_border") as node:
        result = node.ingest(path, envelope={**ENVELOPE, "dataset": "cases"}, rejects=rejects)
        stored = sorted(r[0] for r in node.store._select(RecordQuery()))
    assert (result.rows, result.inserted, result.rejected, stored) == (4, 2, 2, ["ok-1", "ok-2"])
    rows = list(csv.reader(rejects.open(newline="")))
    assert rows[0] == ["line", "field", "reason", "record"]
    assert rows[1][:3] == ["2", "properties.birthDate",
                           "'soon' is not a date (YYYY, YYYY-MM or YYYY-MM-DD)"]
    assert json.loads(rows[1][3])["id"] == "bad-1"
    assert rows[2] == ["3", "(line)", "not JSON: Expecting property name enclosed in double "
                       "quotes", "{not json"]
    assert oct(rejects.stat().st_mode & 0o777) == "0o600"


def test_a_failed_ingest_leaves_no_rejects_file(tmp_path: Path, agency_dir: Path) -> None:
    rejects = tmp_path / "rejects.csv"
    mapping = agency_dir / "mapping.yml"
    mapping.write_text(MAPPING.replace("retention: 5y", "retain_until: 2001-01-01"))
    with Node.open(tmp_path / "n.duckdb") as node, pytest.raises(InvalidInput):
        node.ingest(agency_dir / "personas.csv", mapping=mapping, rejects=rejects)
    assert not rejects.exists() and not list(tmp_path.glob(".rejects.csv*"))



def test_both_paths_hold_a_name_to_ftms_length(tmp_path: Path, agency_dir: Path) -> None:
    long_name = "X" * 400  # FtM's name type holds at most 384 characters
    path = agency_dir / "personas.csv"
    path.write_text(HEADER + "\n" + f"HN-1,{long_name},1990,,IMPUTADO,,,Honduras,M,\n")
    lines = tmp_path / "p.jsonl"
    lines.write_text(json.dumps({"id": "us-1", "schema": "Person",
                                 "properties": {"name": [long_name]}}) + "\n")
    with Node.open(tmp_path / "a.duckdb") as a, pytest.raises(BadRow) as csv_err:
        a.ingest(path, mapping=agency_dir / "mapping.yml")
    with Node.open(tmp_path / "b.duckdb", agency="us_border") as b, pytest.raises(BadRow) as jsonl_err:
        b.ingest(lines, envelope={**ENVELOPE, "dataset": "cases"})
    assert (csv_err.value.column, csv_err.value.line) == ("nombre_completo", 2)
    assert csv_err.value.reason.endswith("is longer than 384 characters")
    assert (jsonl_err.value.column, jsonl_err.value.reason) == (
        "properties.name", "a value is 400 characters long; at most 384")


def test_a_missing_json_lines_file_is_one_line_even_before_the_node_knows_its_agency(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "nope.jsonl"
    line = error_line("ingest", str(missing), "--db", str(tmp_path / "n.duckdb"), "--create")
    assert line == f"Error: {missing}: no such file"
