"""CSV cells written by cruce never start a spreadsheet formula (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cruce._csvsafe import FORMULA_STARTS, csv_writer, safe_cell, unsafe_cell


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
