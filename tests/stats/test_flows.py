"""Flow monitoring: import (whole or nothing, no personal data), summaries, surges, plots."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cruce.cli import app
from cruce.stats._flow_demo import SURGE_POINT, write_flow_file
from cruce.stats._flow_summary import summarise, summarise_store
from cruce.stats._flows import FlowCount, FlowFileError, flow_store, import_flows, read_flows
from cruce.stats._surges import surge_on

runner = CliRunner()
HEADER = "date,point,corridor,direction,nationality_group,adults,minors,families\n"
LAST = dt.date(2026, 11, 30)  # a Monday


def write(tmp_path: Path, body: str, header: str = HEADER, name: str = "flows.csv") -> Path:
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


def stored(db: Path) -> list[FlowCount]:
    with flow_store(db) as con:
        return read_flows(con)


def test_import_stores_each_count_and_reimport_replaces_it(tmp_path):
    path = write(tmp_path, "2026-11-30,Tecún Umán,GT-MX,inbound,Honduras,40,12,5\n"
                           "2026-11-30,Tecún Umán,GT-MX,transit,all,8,0,0\n")
    db = tmp_path / "stats.duckdb"
    first = import_flows(path, db)
    again = import_flows(path, db)
    assert (first.rows, first.replaced, again.replaced) == (2, 0, 2)
    assert [(c.direction, c.people) for c in stored(db)] == [("inbound", 52), ("transit", 8)]


def test_a_corrected_count_replaces_the_earlier_one(tmp_path):
    db = tmp_path / "stats.duckdb"
    import_flows(write(tmp_path, "2026-11-30,Corinto,HN-GT,inbound,all,10,2,1\n"), db)
    import_flows(write(tmp_path, "2026-11-30,Corinto,HN-GT,inbound,all,30,2,1\n", name="fix.csv"), db)
    assert [c.adults for c in stored(db)] == [30]


def test_optional_columns_default_and_spanish_directions_are_read(tmp_path):
    path = write(tmp_path, "2026-11-30,El Carmen,GT-MX,entrada,3,1\n",
                 header="date,point,corridor,direction,adults,minors\n")
    import_flows(path, tmp_path / "s.duckdb")
    (count,) = stored(tmp_path / "s.duckdb")
    assert (count.direction, count.nationality_group, count.families) == ("inbound", "all", 0)


def test_a_bad_file_names_every_bad_row_and_writes_nothing(tmp_path):
    db = tmp_path / "stats.duckdb"
    import_flows(write(tmp_path, "2026-11-29,Corinto,HN-GT,inbound,all,1,1,0\n", name="ok.csv"), db)
    path = write(tmp_path, "2026-11-30,Corinto,HN-GT,inbound,all,10,2,1\n"
                           "2026-11-31,Corinto,HN-GT,inbound,all,10,2,1\n"
                           "2026-11-30,Corinto,HN-GT,north,all,10,2,1\n"
                           "2026-11-30,Corinto,HN-GT,outbound,all,-3,2,1\n"
                           "2026-11-30,Corinto,HN-GT,transit,all,1,0,4\n"
                           "2026-11-30,Corinto,HN-GT,inbound,all,5,5,0\n")
    with pytest.raises(FlowFileError) as caught:
        import_flows(path, db)
    assert caught.value.message.splitlines() == [
        "flows.csv:3: field 'date': '2026-11-31' is not a date YYYY-MM-DD",
        "flows.csv:4: field 'direction': 'north' is not one of inbound, outbound, transit",
        "flows.csv:5: field 'adults': '-3' is not a whole number >= 0",
        "flows.csv:6: field 'families': 4 family groups among 1 people",
        "flows.csv:7: the same day, point, direction and nationality group as line 2 (one count each)",
        "nothing was imported",
    ]
    assert [c.day for c in stored(db)] == [dt.date(2026, 11, 29)]


@pytest.mark.parametrize(("header", "why"), [
    ("date,point,corridor,direction,adults,minors,nombre\n",
     "flows.csv:1: column 'nombre' looks like personal data: flow files hold aggregate "
     "headcounts only (remove the column)"),
    ("date,point,corridor,direction,adults,minors,passport_number\n",
     "flows.csv:1: column 'passport_number' looks like personal data: flow files hold "
     "aggregate headcounts only (remove the column)"),
    ("date,point,corridor,direction,adults,minors,person_id\n",
     "flows.csv:1: column 'person_id' looks like personal data: flow files hold aggregate "
     "headcounts only (remove the column)"),
    ("date,point,corridor,direction,adults,minors,remarks\n",
     "flows.csv:1: unknown column 'remarks' (a flow file has date, point, corridor, direction, "
     "adults, minors, nationality_group, families)"),
    ("date,point,direction,adults,minors\n",
     "flows.csv:1: missing column 'corridor' (required: date, point, corridor, direction, "
     "adults, minors)"),
])
def test_a_column_that_could_hold_personal_data_is_refused(tmp_path, header, why):
    path = write(tmp_path, "", header=header)
    with pytest.raises(FlowFileError) as caught:
        import_flows(path, tmp_path / "stats.duckdb")
    assert caught.value.message == why
    assert not (tmp_path / "stats.duckdb").exists()


def count(day: dt.date, point: str, people: int, corridor: str = "GT-MX",
          minors: int = 0, direction: str = "inbound") -> FlowCount:
    return FlowCount(day, point, corridor, direction, "all", people - minors, minors, 0)


def test_summary_windows_and_week_on_week_by_hand():
    days = [LAST - dt.timedelta(days=k) for k in range(28)]
    counts = [count(d, "A", 10) for d in days]  # 10 a day at A for 28 days
    counts += [count(LAST, "B", 30, minors=6, direction="transit"),
               count(LAST - dt.timedelta(days=8), "B", 20)]  # B: one day in each week
    counts += [count(LAST + dt.timedelta(days=1), "A", 999)]  # after as_of: left out
    s = summarise(counts, LAST)
    (corridor,) = s.corridors
    assert (corridor.last_7, corridor.previous_7, corridor.last_28) == (100, 90, 330)
    assert corridor.week_on_week == pytest.approx(10 / 90)
    a, b = sorted(s.points, key=lambda p: p.name)
    assert (a.last_7, a.previous_7, a.week_on_week, a.last_28) == (70, 70, 0.0, 280)
    assert (b.last_7, b.previous_7, b.week_on_week, b.minors_28) == (30, 20, 0.5, 6)
    assert s.directions["last_7"] == {"inbound": 70, "outbound": 0, "transit": 30}
    assert s.demographics["last_7"] == {"people": 100, "adults": 94, "minors": 6, "families": 0}


def test_week_on_week_is_none_when_the_previous_week_was_empty():
    (point,) = summarise([count(LAST, "A", 5)], LAST).points
    assert point.week_on_week is None


def test_a_surge_is_measured_against_the_same_weekday():
    # Mondays 100 and Sundays 20: a Monday of 100 is usual, a Sunday of 100 is a surge.
    history = {LAST - dt.timedelta(days=7 * k): 100 for k in range(1, 9)}
    history |= {LAST - dt.timedelta(days=7 * k + 1): 20 for k in range(1, 9)}
    assert surge_on("A", {**history, LAST: 100}, LAST) is None
    sunday = LAST - dt.timedelta(days=1)
    surge = surge_on("A", {**history, sunday: 100}, sunday)
    assert surge is not None and (surge.baseline, surge.people) == (20, 100)
    assert surge.z == pytest.approx(80 / 20 ** 0.5)  # MAD 0: the Poisson floor sqrt(20)


def test_small_counts_and_short_histories_are_no_surge():
    history = {LAST - dt.timedelta(days=7 * k): 1 for k in range(1, 9)}
    assert surge_on("A", {**history, LAST: 9}, LAST) is None  # z 8, but only 8 more people
    short = {LAST - dt.timedelta(days=7 * k): 100 for k in range(1, 4)}
    assert surge_on("A", {**short, LAST: 500}, LAST) is None  # 3 weeks of history
    assert surge_on("A", history, LAST) is None  # no report that day: not tested


def test_one_earlier_surge_does_not_hide_the_next():
    history = {LAST - dt.timedelta(days=7 * k): 100 + k for k in range(1, 9)}
    history[LAST - dt.timedelta(days=7)] = 400
    assert surge_on("A", {**history, LAST: 200}, LAST) is not None


def test_the_synthetic_flows_show_the_planted_surge_and_nothing_else(tmp_path):
    db = tmp_path / "stats.duckdb"
    import_flows(write_flow_file(tmp_path / "flows.csv", LAST), db)
    with flow_store(db) as con:
        s = summarise_store(con)
    assert s.as_of == LAST
    assert {s.where for s in s.surges if s.level == "point"} == {SURGE_POINT}
    assert {s.day for s in s.surges} == {LAST, LAST - dt.timedelta(days=1)}


def test_cli_imports_and_summarises_as_json_with_plots(tmp_path):
    flows, db, plots = write_flow_file(tmp_path / "f.csv", LAST), tmp_path / "s.duckdb", tmp_path / "plots"
    result = runner.invoke(app, ["flows", "import", str(flows), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "8820 counts imported" in result.output
    result = runner.invoke(app, ["flows", "summary", "--db", str(db), "--format", "json",
                                 "--plots", str(plots)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["as_of"] == "2026-11-30"
    assert doc["windows"]["last_28"] == ["2026-11-03", "2026-11-30"]
    assert "robust z" in doc["surge_method"]
    assert sum(c["last_7"] for c in doc["by_corridor"]) == doc["demographics"]["last_7"]["people"]
    assert sorted(Path(p).name for p in doc["plots"]) == [
        "flows_by_day.png", "flows_by_day.svg", "flows_by_point.png", "flows_by_point.svg"]
    assert (plots / "flows_by_day.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (plots / "flows_by_point.svg").read_text()
    same = runner.invoke(app, ["flows", "summary", "--db", str(db), "--json"])  # as other tables
    assert same.exit_code == 0 and json.loads(same.output)["by_corridor"] == doc["by_corridor"]


def test_cli_plots_are_the_same_bytes_from_the_same_flows(tmp_path):
    db = tmp_path / "s.duckdb"
    import_flows(write_flow_file(tmp_path / "f.csv", LAST, days=35), db)
    for folder in ("one", "two"):
        result = runner.invoke(app, ["flows", "summary", "--db", str(db), "--plots",
                                     str(tmp_path / folder)])
        assert result.exit_code == 0, result.output
    assert (tmp_path / "one/flows_by_day.svg").read_bytes() == (tmp_path / "two/flows_by_day.svg").read_bytes()


def test_cli_text_summary_states_the_surge_method(tmp_path):
    db = tmp_path / "s.duckdb"
    import_flows(write_flow_file(tmp_path / "f.csv", LAST), db)
    result = runner.invoke(app, ["flows", "summary", "--db", str(db)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Surge method: same weekday over the previous 8 weeks" in result.output
    assert f"{SURGE_POINT} (point)" in result.output


def test_cli_refuses_a_missing_store_and_a_bad_file(tmp_path):
    missing = tmp_path / "no.duckdb"
    result = runner.invoke(app, ["flows", "summary", "--db", str(missing)], terminal_width=400)
    assert result.exit_code == 2
    assert result.output.strip() == (f"Error: no statistics store at {missing}: check --db, or "
                                     f"create it with cruce flows import FILE.csv --db {missing}")
    assert not missing.exists()
    bad = write(tmp_path, "2026-11-30,Corinto,HN-GT,inbound,all,x,2,1\n")
    result = runner.invoke(app, ["flows", "import", str(bad), "--db", str(tmp_path / "s.duckdb")],
                           terminal_width=200)
    assert result.exit_code == 2
    assert result.output.splitlines()[0] == "Error: flows.csv:2: field 'adults': 'x' is not a whole number >= 0"


def test_flows_are_never_written_into_a_nodes_store(tmp_path):
    import duckdb

    node = tmp_path / "hn.duckdb"
    with duckdb.connect(str(node)) as con:
        con.execute("CREATE TABLE records (id VARCHAR)")
    flows = write(tmp_path, "2026-11-30,Corinto,HN-GT,inbound,all,1,2,1\n")
    result = runner.invoke(app, ["flows", "import", str(flows), "--db", str(node)], terminal_width=400)
    assert result.exit_code == 2
    assert "is not a statistics store" in result.output
    with duckdb.connect(str(node)) as con:
        tables = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    assert tables == [("records",)]
