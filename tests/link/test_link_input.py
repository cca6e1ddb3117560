"""One bad record never sinks a linkage run; a file that is not JSON lines gets one line.

(issue 11 #2: a name the parser cannot read, a line that is not an FtM entity.)
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cruce.cli import app
from cruce.demo import WorldSpec, write_people_jsonl
from cruce.names import PersonName, parse_name_parts

runner = CliRunner()
PATHOLOGICAL = "Ana Recinos-DeEspinoza"
# Two records of one woman whose name the parser (here: made to) fail on.
HN = {"id": "hn-are", "schema": "Person", "properties": {
    "name": [PATHOLOGICAL], "birthDate": ["1988-07-21"], "idNumber": ["0801-1988-55555"]}}
US = {"id": "us-are", "schema": "Person", "properties": {
    "name": [PATHOLOGICAL], "birthDate": ["1988-07-21"], "idNumber": ["0801198855555"]}}


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("people")
    written = write_people_jsonl(folder, WorldSpec(seed=7, people=150))
    with written["hn_police"].open("a") as fh:
        fh.write(json.dumps(HN) + "\n")
    with written["us_border"].open("a") as fh:
        fh.write(json.dumps(US) + "\n")
    return [written["hn_police"], written["us_border"]]


def _link(files: list[Path], out: Path, *extra: str) -> Any:
    return runner.invoke(app, ["link", *map(str, files), "--out", str(out), *extra])


def test_a_name_the_parser_cannot_read_is_linked_on_its_raw_name_and_counted(
    people: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def breaks_on_one_name(**fields: Any) -> PersonName:
        if fields.get("full") == PATHOLOGICAL:
            raise IndexError("list index out of range")  # as _married_text did (issue 11 #2)
        return parse_name_parts(**fields)

    monkeypatch.setattr("cruce.link._name_table.parse_name_parts", breaks_on_one_name)
    pairs, clusters = tmp_path / "pairs.csv", tmp_path / "clusters.csv"
    result = _link(people, pairs, "--clusters", str(clusters))
    assert result.exit_code == 0, result.output
    assert "unparsed_names: 2 (linked on the raw name)" in result.output
    ids = {r["id"] for r in csv.DictReader(clusters.open())}
    assert {"hn-are", "us-are"} <= ids
    linked = {frozenset((r["left_id"], r["right_id"])) for r in csv.DictReader(pairs.open())}
    assert frozenset(("hn-are", "us-are")) in linked


def test_a_bad_line_among_good_ones_is_skipped_with_a_warning_and_counted(
    people: list[Path], tmp_path: Path
) -> None:
    bad = tmp_path / "us_bad.jsonl"
    lines = people[1].read_text(encoding="utf-8").splitlines()
    lines[3] = '{"id": "x1", "schema": "Person", "properties": {"name": "not a list"}}'
    lines[5] = "this is no JSON"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    clusters = tmp_path / "clusters.csv"
    result = _link([people[0], bad], tmp_path / "pairs.csv", "--clusters", str(clusters))
    assert result.exit_code == 0, result.output
    assert f"Warning: skipped {bad}:4: properties.name: must be a list of strings" in result.output
    assert f"Warning: skipped {bad}:6: (line): not JSON: Expecting value (column 1)" in (
        result.output)
    assert "skipped_lines: 2 (not valid FtM entities)" in result.output
    ids = {r["id"] for r in csv.DictReader(clusters.open())}
    good = [json.loads(x)["id"] for i, x in enumerate(lines) if i not in (3, 5)]
    assert set(good) <= ids and "x1" not in ids


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id,name\nhn-1,Ana\n", "{f}:1: (line): not JSON: Expecting value (column 1)"),
        ('[{"id": "a", "schema": "Person"}]\n', "{f}:1: (line): not a JSON object (an FtM entity), "
         "but a list"),
        ('{"schema": "Person", "properties": {}}\n{"id": 5, "schema": "Person"}\n',
         "{f}:1: id: missing"),
        (b"\xff\xfe\x00h\x00i\n", "{f}:1: (line): not UTF-8 text"),
        ('{"id": "a\\udc00", "schema": "Person"}\n', "{f}:1: (line): holds a lone surrogate "
         "escape (\\udXXX), which is no text"),
    ],
    ids=["csv", "json-array", "no-valid-entity", "utf16", "surrogate"],
)
def test_a_file_that_is_not_json_lines_gets_one_error_line_and_exit_2(
    people: list[Path], tmp_path: Path, content: str | bytes, message: str
) -> None:
    wrong = tmp_path / "wrong.jsonl"
    if isinstance(content, bytes):
        wrong.write_bytes(content)
    else:
        wrong.write_text(content, encoding="utf-8")
    result = _link([people[0], wrong], tmp_path / "pairs.csv")
    assert result.exit_code == 2, result.output
    assert result.output == f"Error: {message.format(f=wrong)}\n"
    assert not (tmp_path / "pairs.csv").exists()


def test_a_line_longer_than_the_bound_is_skipped_without_reading_it_whole(
    people: list[Path], tmp_path: Path
) -> None:
    from cruce.link._input import MAX_LINE_BYTES, check_jsonl

    long = tmp_path / "long.jsonl"
    first = people[0].read_text(encoding="utf-8").splitlines()[0]
    long.write_text(f"{first}\n{'x' * (3 * MAX_LINE_BYTES)}\n{first}\n", encoding="utf-8")
    check = check_jsonl(long)
    assert (check.entities, check.skipped) == (2, 1)
    assert str(check.bad[0]) == f"{long}:2: (line): longer than 1 MiB"
