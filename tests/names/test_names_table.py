"""The parser against a table of synthetic, real-world-shaped names (name_table.csv)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cruce.names import Layout, PersonName, parse_person_name

TABLE = Path(__file__).with_name("name_table.csv")


def _rows() -> list[dict[str, str]]:
    lines = [
        line for line in TABLE.read_text(encoding="utf-8").splitlines() if not line.startswith("#")
    ]
    return list(csv.DictReader(lines))


ROWS = _rows()


def _split(cell: str) -> tuple[str, ...]:
    return tuple(cell.split("|")) if cell else ()


def _actual(parsed: PersonName) -> dict[str, object]:
    return {
        "given": parsed.given,
        "paternal": parsed.paternal or "",
        "maternal": parsed.maternal or "",
        "married": parsed.married or "",
        "aliases": parsed.aliases,
    }


def _expected(row: dict[str, str]) -> dict[str, object]:
    return {
        "given": _split(row["given"]),
        "paternal": row["paternal"],
        "maternal": row["maternal"],
        "married": row["married"],
        "aliases": _split(row["aliases"]),
    }


def test_table_has_at_least_200_rows_covering_every_layout_hint():
    assert len(ROWS) >= 200
    assert {row["layout"] for row in ROWS} == {"", "us", "surnames_first", "given_first"}


@pytest.mark.parametrize("row", ROWS, ids=[row["input"] for row in ROWS])
def test_parser_splits_name_as_expected(row: dict[str, str]):
    layout = Layout(row["layout"]) if row["layout"] else None
    assert _actual(parse_person_name(row["input"], layout=layout)) == _expected(row), row["note"]
