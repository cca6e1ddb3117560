"""Encounter statistics on a small hand-checked series (tests/stats/data/make_encounters_history.py
says how every month is made): import, "highest since" and suppressed cross-tables."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cruce.cli import app
from cruce.errors import InvalidInput
from cruce.stats import (
    BadEncounterFile,
    StatStore,
    encounter_table,
    highest_since,
    import_encounters,
)

runner = CliRunner()
HISTORY = Path(__file__).parent / "data" / "encounters_history.csv"
SW = "Southwest Land Border"
HEADER = ("Fiscal Year,Month Grouping,Month (abbv),Component,Land Border Region,"
          "Area of Responsibility,AOR (Abbv),Demographic,Citizenship,Title of Authority,"
          "Encounter Type,Encounter Count\n")


def row(month: str, citizenship: str, count: str, fy: str = "2019",
        component: str = "U.S. Border Patrol", kind: str = "Apprehensions",
        authority: str = "Title 8") -> str:
    return (f"{fy},FYTD,{month},{component},{SW},Rio Grande Valley Sector,RGV,Single Adults,"
            f"{citizenship},{authority},{kind},\"{count}\"\n")


@pytest.fixture
def stats_db(tmp_path: Path) -> Path:
    db = tmp_path / "stats.duckdb"
    result = runner.invoke(app, ["encounters", "import", str(HISTORY), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db


def highest(db: Path, *options: str) -> dict[str, object]:
    result = runner.invoke(app, ["encounters", "highest-since", "2019-02", "--region", SW,
                                 *options, "--db", str(db), "--format", "json"])
    assert result.exit_code == 0, result.output
    answer: dict[str, object] = json.loads(result.output)
    return answer


def test_february_2019_is_76103_encounters_the_highest_since_march_2009(stats_db):
    answer = highest(stats_db, "--measure", "encounters")
    assert (answer["month"], answer["value"], answer["last_higher"]) == ("2019-02", 76103, "2009-03")
    assert answer["last_higher_value"] == 76104
    assert answer["fiscal_year"] == 2019 and "October to September" in answer["fiscal_year_basis"]
    assert "inadmissibles" in answer["definition"] and answer["is_provisional"] is True


def test_the_highest_february_in_12_years_with_same_month(stats_db):
    answer = highest(stats_db, "--measure", "encounters", "--same-month")
    assert (answer["value"], answer["last_higher"], answer["last_higher_value"]) == (76103, "2007-02", 86532)
    assert answer["months_compared"] == 12  # February 2007 .. February 2018
    assert answer["statement"].endswith("the highest February since February 2007 (12 years earlier)")


@pytest.mark.parametrize(("measure", "value", "last"), [
    ("apprehensions", 66450, "2009-03"),   # 68,004 apprehensions in March 2009
    ("inadmissibles", 9653, "2016-11"),    # equal counts: "at least as high"
    ("expulsions", 0, "2019-01"),          # no Title 42 before March 2020: every month is 0
])
def test_each_measure_counts_its_own_rows(stats_db, measure, value, last):
    answer = highest(stats_db, "--measure", measure)
    assert (answer["value"], answer["last_higher"]) == (value, last)


def test_a_month_higher_than_every_earlier_one_has_no_last_higher(stats_db):
    with StatStore.open(stats_db) as store:
        answer = highest_since(store, "2019-03", region="southwest land border",
                               measure="apprehensions")
    assert (answer.value, answer.last_higher, answer.compared_from) == (90000, None, "2006-10")
    assert answer.statement.startswith("90,000 apprehensions in March 2019 (Southwest Land Border)")


def test_the_february_table_by_citizenship_adds_up_to_the_published_totals(stats_db):
    with StatStore.open(stats_db) as store:
        table = encounter_table(store, rows="month", cols="citizenship", region=SW,
                                fiscal_year=2019, measure="apprehensions")
    february = next(line for line in table.grid if line[0] == "2019-02")
    assert table.grid[0] == ["month", "EL SALVADOR", "GUATEMALA", "HONDURAS", "MEXICO", "Total"]
    assert february == ["2019-02", "2270", "19047", "15021", "30112", "66450"]
    assert table.suppressed_cells == 0


def test_a_bad_file_names_each_bad_line_and_field_and_writes_nothing(stats_db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + row("OCT", "MEXICO", "10") + row("NOV", "MEXICO", "ten")
                   + row("DEX", "MEXICO", "3") + row("OCT", "MEXICO", "4"), encoding="utf-8")
    result = runner.invoke(app, ["encounters", "import", str(bad), "--db", str(stats_db)],
                           terminal_width=400)
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert lines[:3] == [
        "bad.csv:3: field 'Encounter Count': 'ten' is not a whole number",
        "bad.csv:4: field 'Month (abbv)': 'DEX' is not a month (JAN ... DEC)",
        "bad.csv:5: duplicates line 2 (same month, component, region, area, demographic, "
        "citizenship, authority and type)",
    ]
    assert lines[-1] == "Error: bad.csv: 3 bad rows; nothing imported"
    with StatStore.open(stats_db) as store:  # FY2019 as the good file left it
        assert highest_since(store, "2019-02", region=SW).value == 76103


def test_import_refuses_a_file_without_the_layout_and_a_title_42_before_march_2020(tmp_path):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("Fiscal Year,Month,Count\n2019,OCT,3\n", encoding="utf-8")
    with StatStore.open(tmp_path / "s.duckdb", create=True) as store:
        with pytest.raises(InvalidInput, match=r"^wrong.csv:1: missing columns 'Month Grouping'"):
            import_encounters(store, wrong)
        early = tmp_path / "early.csv"
        early.write_text(HEADER + row("OCT", "MEXICO", "12", kind="Expulsions",
                                      authority="Title 42"), encoding="utf-8")
        with pytest.raises(BadEncounterFile) as caught:
            import_encounters(store, early)
    assert caught.value.problems == [
        "early.csv:2: field 'Title of Authority': Title 42 in 2018-10: Title 42 expulsions ran "
        "from 2020-03 to 2023-05 only"]


def test_importing_the_same_file_again_counts_nothing_twice(stats_db):
    result = runner.invoke(app, ["encounters", "import", str(HISTORY), "--db", str(stats_db)])
    assert result.exit_code == 0, result.output
    assert "(the same file again: nothing changed)" in result.output
    assert highest(stats_db)["value"] == 76103


def small_table(tmp_path: Path) -> Path:
    """FY2019, two months by two citizenships, one cell of 5:

                 GUATEMALA  MEXICO  Total
        2018-10          5     100    105
        2018-11         50     200    250
        Total           55     300    355
    """
    path = tmp_path / "small.csv"
    path.write_text(HEADER + row("OCT", "GUATEMALA", "5") + row("OCT", "MEXICO", "100")
                    + row("NOV", "GUATEMALA", "50") + row("NOV", "MEXICO", "200"),
                    encoding="utf-8")
    return path


def test_the_table_csv_writes_x_for_the_small_cell_and_the_cells_that_would_reveal_it(tmp_path):
    db = tmp_path / "s.duckdb"
    assert runner.invoke(app, ["encounters", "import", str(small_table(tmp_path)),
                               "--db", str(db)]).exit_code == 0
    result = runner.invoke(app, ["encounters", "table", "--rows", "month", "--cols",
                                 "citizenship", "--region", SW, "--fiscal-year", "2019",
                                 "--min-cell", "11", "--db", str(db), "--format", "csv"])
    assert result.exit_code == 0, result.output
    table = list(csv.reader(io.StringIO(result.stdout)))
    # By hand: with the margins published, the 5 is recovered from any one published interior
    # cell (105 - 100), so all four interior cells go; the margins still say 355 in all.
    assert table == [
        ["month", "GUATEMALA", "MEXICO", "Total"],
        ["2018-10", "x", "x", "105"],
        ["2018-11", "x", "x", "250"],
        ["Total", "55", "300", "355"],
    ]


def test_the_table_publishes_every_cell_when_none_is_small(tmp_path):
    db = tmp_path / "s.duckdb"
    assert runner.invoke(app, ["encounters", "import", str(small_table(tmp_path)),
                               "--db", str(db)]).exit_code == 0
    result = runner.invoke(app, ["encounters", "table", "--rows", "month", "--cols",
                                 "citizenship", "--min-cell", "5", "--db", str(db),
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["table"][0] == {"month": "2018-10", "GUATEMALA": 5, "MEXICO": 100, "Total": 105}
    assert (doc["suppressed_cells"], doc["min_cell"], doc["suppressed_as"]) == (0, 5, "x")


def test_the_commands_name_a_missing_store_and_a_bad_measure(tmp_path, stats_db):
    missing = tmp_path / "none.duckdb"
    result = runner.invoke(app, ["encounters", "highest-since", "2019-02", "--region", SW,
                                 "--db", str(missing)], terminal_width=400)
    assert result.exit_code == 2 and not missing.exists()
    assert result.output.startswith(f"Error: no statistics store at {missing}")
    result = runner.invoke(app, ["encounters", "highest-since", "2019-02", "--region", SW,
                                 "--measure", "arrests", "--db", str(stats_db)],
                           terminal_width=400)
    assert result.exit_code == 2
    assert result.output.strip() == ("Error: measure 'arrests' is not one of encounters, "
                                     "apprehensions, inadmissibles, expulsions")
