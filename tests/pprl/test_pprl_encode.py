"""Encoding: deterministic for a key, different across keys, nothing in clear, files complete."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cruce.cli import app
from cruce.pprl import DEFAULT_SCHEMA, PprlKey
from cruce.pprl._encode import encode_people
from cruce.pprl._files import read_encoded

PEOPLE = [
    ("hn-1", {"name": ["HERNANDEZ GARCIA, JOSE LUIS"], "birthDate": ["1990-07-11"],
              "gender": ["male"], "birthPlace": ["Tegucigalpa"], "idNumber": ["0801-1990-12345"]}),
    ("hn-2", {"name": ["Maria de los Angeles Lopez Cruz"], "birthDate": ["1985-02-03"],
              "gender": ["female"], "passportNumber": ["E1234567"]}),
    ("hn-3", {"name": ["Chepe Ramos"], "birthDate": ["2001"]}),
]
NO_FAKES = DEFAULT_SCHEMA.hardened(fake_ratio=0.0)
runner = CliRunner()


def _by_id(people: list[tuple[str, dict[str, list[str]]]], key: PprlKey,
           seed: int) -> dict[str, bytes]:
    encoded, table = encode_people(people, key, NO_FAKES, random.Random(seed))
    rows = dict(zip(encoded.handles, encoded.words, strict=True))
    return {record: rows[handle].tobytes() for handle, record in table}


def test_encoding_is_deterministic_for_a_key_whatever_the_handles_and_order() -> None:
    key = PprlKey(b"a" * 32)
    first, again = _by_id(PEOPLE, key, 1), _by_id(list(reversed(PEOPLE)), key, 2)
    assert first == again


def test_encodings_differ_across_keys() -> None:
    one, two = _by_id(PEOPLE, PprlKey(b"a" * 32), 1), _by_id(PEOPLE, PprlKey(b"b" * 32), 1)
    assert all(one[r] != two[r] for r in one)


def test_hypocorism_and_nickname_encode_alike() -> None:
    key = PprlKey(b"a" * 32)
    formal = _by_id([("a", {"name": ["Jose Ramos"]})], key, 1)["a"]
    nick = _by_id([("b", {"name": ["Chepe Ramos"]})], key, 1)["b"]
    assert formal == nick


def test_balanced_filters_all_have_half_their_bits_set() -> None:
    balanced = DEFAULT_SCHEMA.hardened(xor_fold=False)
    encoded, _ = encode_people(PEOPLE, PprlKey(b"a" * 32), balanced, random.Random(3))
    weights = np.bitwise_count(encoded.words).sum(axis=1)
    assert set(weights.tolist()) == {balanced.out_bits // 2}


def test_fake_records_are_mixed_in_but_not_in_the_handles_table() -> None:
    people = [(f"p{i}", {"name": [f"Ana Lopez{i}"]}) for i in range(40)]
    encoded, table = encode_people(people, PprlKey(b"a" * 32), DEFAULT_SCHEMA, random.Random(3))
    assert len(encoded.handles) == 100 and len(table) == 40
    assert {h for h, _ in table} < set(encoded.handles)


def _write_people(path: Path) -> Path:
    lines = [json.dumps({"id": i, "schema": "Person", "properties": p}) for i, p in PEOPLE]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture()
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret"
    path.write_text("9f" * 32 + "\n")
    return path


def test_cli_encode_writes_no_name_date_or_identifier_in_clear(tmp_path: Path,
                                                               secret: Path) -> None:
    source = _write_people(tmp_path / "hn.jsonl")
    enc, handles = tmp_path / "hn.enc.jsonl", tmp_path / "hn.handles.csv"
    result = runner.invoke(app, ["pprl", "encode", str(source), "--secret", str(secret),
                                 "--out", str(enc), "--handles", str(handles)])
    assert result.exit_code == 0, result.output
    text = enc.read_text().lower()
    for clear in ("hernandez", "jose", "1990", "0801", "e1234567", "hn-1", "tegucigalpa",
                  "9f9f9f9f"):
        assert clear not in text
    encoded, skipped = read_encoded(enc)
    assert skipped == [] and len(encoded.handles) == 7  # 3 people + round(4.5) fakes
    rows = handles.read_text().splitlines()
    assert rows[0] == "handle,id" and sorted(r.split(",")[1] for r in rows[1:]) == [
        "hn-1", "hn-2", "hn-3"]
    assert {r.split(",")[0] for r in rows[1:]} <= set(encoded.handles)


def test_cli_encode_skips_a_bad_line_and_names_it(tmp_path: Path, secret: Path) -> None:
    source = _write_people(tmp_path / "hn.jsonl")
    with source.open("a") as fh:
        fh.write('{"id": "x", "schema": "Person", "properties": {"name": "Ana"}}\n')
    result = runner.invoke(app, ["pprl", "encode", str(source), "--secret", str(secret),
                                 "--out", str(tmp_path / "e"), "--handles", str(tmp_path / "h")])
    assert result.exit_code == 0, result.output
    assert f"skipped {source}:4: properties.name: must be a list of strings" in result.output


def test_cli_encode_refuses_a_short_secret_and_writes_nothing(tmp_path: Path) -> None:
    source = _write_people(tmp_path / "hn.jsonl")
    short = tmp_path / "short"
    short.write_text("tooshort")
    out = tmp_path / "e"
    result = runner.invoke(app, ["pprl", "encode", str(source), "--secret", str(short),
                                 "--out", str(out), "--handles", str(tmp_path / "h")])
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"Error: {short}: secret is 8 bytes; at least 32 random bytes are needed "
        "(e.g. `openssl rand -hex 32 > secret`)")
    assert not out.exists()


def test_cli_encode_refuses_a_file_that_is_not_json_lines(tmp_path: Path, secret: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text("id,name\n1,Ana\n")
    result = runner.invoke(app, ["pprl", "encode", str(source), "--secret", str(secret),
                                 "--out", str(tmp_path / "e"), "--handles", str(tmp_path / "h")])
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"Error: {source}:1: (line): not JSON (JSONDecodeError); is it FtM JSON lines?")
