"""CSV cells written by cruce never start a spreadsheet formula (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cruce._csvsafe import FORMULA_STARTS, csv_writer, safe_cell, unsafe_cell, write_csv


@pytest.mark.parametrize("value", ["=1+1", "+1", "-abc", "@SUM(A1)", "\tx", "\rx",
                                   '=HYPERLINK("http://evil","x")', "=cmd|' /C calc'!A0"])
def test_formula_starts_get_a_leading_quote(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["", "Ana", "a=b", "1-2", "'quoted", " =x", "é"])
def test_plain_text_is_left_alone(value: str) -> None:
    assert safe_cell(value) == value


def test_a_quote_before_a_formula_reads_back_as_written() -> None:
    assert safe_cell("'=x") == "''=x"
    assert unsafe_cell(safe_cell("'=x")) == "'=x"
    assert unsafe_cell(safe_cell("=x")) == "=x"


@given(st.text(alphabet=st.sampled_from("'=+-@\t\rab")) | st.text())
def test_no_safe_cell_starts_a_formula_and_it_reads_back(value: str) -> None:
    cell = safe_cell(value)
    assert not cell.startswith(FORMULA_STARTS)
    assert unsafe_cell(cell) == value


def test_csv_writer_neutralises_text_cells_and_keeps_numbers() -> None:
    buf = io.StringIO(newline="")
    w = csv_writer(buf)
    w.writerow(["left_id", "right_id", "probability"])
    w.writerows([["-abc", "=HYPERLINK(1)", -0.5], ["a", "b", 1]])
    rows = list(csv.reader(io.StringIO(buf.getvalue())))
    assert rows == [["left_id", "right_id", "probability"],
                    ["'-abc", "'=HYPERLINK(1)", "-0.5"], ["a", "b", "1"]]


def test_write_csv_writes_a_private_neutralised_file(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    assert write_csv(path, ["id"], [["=1+1"], ["ok"]]) == 2
    assert path.read_bytes() == b"id\n'=1+1\nok\n"
    assert path.stat().st_mode & 0o777 == 0o600


def test_write_csv_leaves_no_half_written_file(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    path.write_text("old\n", encoding="utf-8")

    def rows() -> Iterator[list[str]]:
        yield ["a"]
        raise RuntimeError("the source failed mid-way")

    with pytest.raises(RuntimeError):
        write_csv(path, ["id"], rows())
    assert path.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
