"""Matching: the Dice kernel against a reference, blocking, one-to-one, refusals, the CLI."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cruce.cli import app
from cruce.pprl._blocking import candidate_pairs
from cruce.pprl._dice import dice_all
from cruce.pprl._encode import Encoded
from cruce.pprl._match import greedy_one_to_one, match

runner = CliRunner()


def _reference_dice(a: np.ndarray, b: np.ndarray) -> float:
    ones_a = sum(bin(int(w)).count("1") for w in a)
    ones_b = sum(bin(int(w)).count("1") for w in b)
    common = sum(bin(int(x) & int(y)).count("1") for x, y in zip(a, b, strict=True))
    return 2 * common / (ones_a + ones_b) if ones_a + ones_b else 0.0


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(1, 4), st.integers(0, 2**32))
def test_dice_kernel_agrees_with_a_python_reference(n: int, m: int, words: int,
                                                    seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2**63, size=(n, words), dtype=np.uint64)
    b = rng.integers(0, 2**63, size=(m, words), dtype=np.uint64)
    found = dice_all(a, b, 0.0, chunk=7)
    got = {(int(i), int(j)): float(s) for i, j, s in zip(found.left, found.right, found.score,
                                                          strict=True)}
    assert len(got) == n * m
    for (i, j), score in got.items():
        assert score == pytest.approx(_reference_dice(a[i], b[j]), abs=1e-6)


def test_dice_kernel_keeps_only_pairs_at_the_floor() -> None:
    rng = np.random.default_rng(1)
    a = rng.integers(0, 2**63, size=(30, 8), dtype=np.uint64)
    b = np.concatenate([a[:5], rng.integers(0, 2**63, size=(30, 8), dtype=np.uint64)])
    found = dice_all(a, b, 0.9)
    assert sorted(zip(found.left.tolist(), found.right.tolist(), strict=True)) == [
        (i, i) for i in range(5)]


def test_blocking_finds_near_copies_and_few_others() -> None:
    rng = np.random.default_rng(2)
    a = rng.integers(0, 2**63, size=(200, 16), dtype=np.uint64)
    flips = rng.random((200, 1024)) < 0.03  # 3% of bits differ
    b = np.packbits(np.unpackbits(a.view(np.uint8), axis=1) ^ flips, axis=1).view(np.uint64)
    left, right = candidate_pairs(a, b)
    pairs = set(zip(left.tolist(), right.tolist(), strict=True))
    assert sum((i, i) in pairs for i in range(200)) >= 198
    assert len(pairs) < 200 * 200 // 100


def test_greedy_assignment_is_one_to_one_in_score_order() -> None:
    left, right = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    score = np.array([0.9, 0.8, 0.95, 0.7], dtype=np.float32)
    kept = greedy_one_to_one(left, right, score)
    assert sorted(zip(left[kept].tolist(), right[kept].tolist(), strict=True)) == [(0, 1), (1, 0)]


def _encoded(words: np.ndarray, ids: list[list[str]] | None = None) -> Encoded:
    handles = [f"{i:024x}" for i in range(len(words))]
    return Encoded("ab" * 32, "cd" * 8, handles, words, ids or [[] for _ in handles])


def test_a_shared_identifier_digest_lifts_a_pair_over_the_threshold() -> None:
    rng = np.random.default_rng(3)
    a = rng.integers(0, 2**63, size=(3, 8), dtype=np.uint64)
    b = rng.integers(0, 2**63, size=(3, 8), dtype=np.uint64)
    found = match(_encoded(a, [["11" * 16], [], []]), _encoded(b, [[], ["11" * 16], []]),
                  threshold=0.7)
    assert list(zip(found.left.tolist(), found.right.tolist(), strict=True)) == [(0, 1)]


def _people_file(path: Path, people: list[dict[str, list[str]]]) -> Path:
    path.write_text("".join(json.dumps({"id": f"{path.stem}-{i}", "schema": "Person",
                                        "properties": p}) + "\n"
                            for i, p in enumerate(people)), encoding="utf-8")
    return path


def _random_people(seed: int, n: int) -> list[dict[str, list[str]]]:
    rng = random.Random(seed)
    given = ["Jose", "Maria", "Ana", "Luis", "Carlos", "Rosa", "Juan", "Elena", "Pedro", "Sonia"]
    surnames = ["Hernandez", "Lopez", "Garcia", "Perez", "Ramos", "Cruz", "Mejia", "Tzul", "Pop"]
    return [{"name": [f"{rng.choice(given)} {rng.choice(surnames)} {rng.choice(surnames)}"],
             "birthDate": [f"{rng.randint(1950, 2005)}-{rng.randint(1, 12):02d}-"
                           f"{rng.randint(1, 28):02d}"],
             "gender": [rng.choice(["male", "female"])]} for _ in range(n)]


def _encode(tmp: Path, source: Path, secret: Path) -> tuple[Path, Path]:
    enc, handles = tmp / f"{source.stem}.enc.jsonl", tmp / f"{source.stem}.handles.csv"
    result = runner.invoke(app, ["pprl", "encode", str(source), "--secret", str(secret),
                                 "--out", str(enc), "--handles", str(handles)])
    assert result.exit_code == 0, result.output
    return enc, handles


def _secret(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_cli_match_finds_the_shared_people_one_to_one_by_opaque_handles(tmp_path: Path) -> None:
    people = _random_people(1, 60)
    a = _people_file(tmp_path / "a.jsonl", people[:40])
    b = _people_file(tmp_path / "b.jsonl", people[20:])  # people 20-39 are in both
    secret = _secret(tmp_path / "secret", "5e" * 32)
    (enc_a, handles_a), (enc_b, handles_b) = _encode(tmp_path, a, secret), _encode(tmp_path, b,
                                                                                   secret)
    out = tmp_path / "matches.csv"
    result = runner.invoke(app, ["pprl", "match", str(enc_a), str(enc_b), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[0] == "left_handle,right_handle,score"
    rows = [line.split(",") for line in lines[1:]]
    to_a = dict(line.split(",") for line in handles_a.read_text().splitlines()[1:])
    to_b = dict(line.split(",") for line in handles_b.read_text().splitlines()[1:])
    found = {(to_a.get(r[0]), to_b.get(r[1])) for r in rows}
    assert {(f"a-{i}", f"b-{i - 20}") for i in range(20, 40)} <= found
    assert len({r[0] for r in rows}) == len(rows) == len({r[1] for r in rows})  # one-to-one
    text = out.read_text()
    assert "a-" not in text and "b-" not in text and "Hernandez" not in text


def test_cli_match_refuses_encodings_under_another_key(tmp_path: Path) -> None:
    people = _random_people(2, 10)
    a, b = _people_file(tmp_path / "a.jsonl", people), _people_file(tmp_path / "b.jsonl", people)
    enc_a, _ = _encode(tmp_path, a, _secret(tmp_path / "s1", "11" * 32))
    enc_b, _ = _encode(tmp_path, b, _secret(tmp_path / "s2", "22" * 32))
    first_a = json.loads(enc_a.read_text().splitlines()[0])["key"]
    first_b = json.loads(enc_b.read_text().splitlines()[0])["key"]
    out = tmp_path / "m.csv"
    result = runner.invoke(app, ["pprl", "match", str(enc_a), str(enc_b), "--out", str(out)])
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"Error: {enc_b}: key: encoded under key {first_b}, {enc_a} under {first_a}; both "
        "owners must use the same compact PPRL secret")
    assert not out.exists()


def test_cli_match_refuses_a_schema_hash_mismatch(tmp_path: Path) -> None:
    people = _random_people(3, 10)
    secret = _secret(tmp_path / "s", "33" * 32)
    enc_a, _ = _encode(tmp_path, _people_file(tmp_path / "a.jsonl", people), secret)
    enc_b, _ = _encode(tmp_path, _people_file(tmp_path / "b.jsonl", people), secret)
    other = "0f" * 32
    lines = [json.loads(line) for line in enc_b.read_text().splitlines()]
    enc_b.write_text("".join(json.dumps({**row, "schema": other}) + "\n" for row in lines))
    schema_a = json.loads(enc_a.read_text().splitlines()[0])["schema"]
    result = runner.invoke(app, ["pprl", "match", str(enc_a), str(enc_b), "--out",
                                 str(tmp_path / "m.csv")])
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"Error: {enc_b}: schema: encoded with schema {other[:16]}, {enc_a} with "
        f"{schema_a[:16]}; both sides must encode with the same schema version")


def test_encodings_carry_only_handles_and_encodings(tmp_path: Path) -> None:
    secret = _secret(tmp_path / "s", "44" * 32)
    enc, _ = _encode(tmp_path, _people_file(tmp_path / "a.jsonl", _random_people(4, 12)), secret)
    for line in enc.read_text().splitlines():
        row = json.loads(line)
        assert set(row) == {"handle", "schema", "key", "clk", "ids"}
        assert row["key"] != "44" * 8 and "44444444" not in line


def test_lsh_blocking_keeps_the_matches_of_comparing_every_pair() -> None:
    from cruce.pprl import DEFAULT_SCHEMA, PprlKey
    from cruce.pprl._encode import encode_people

    people = [(f"p{i}", p) for i, p in enumerate(_random_people(5, 120))]
    key = PprlKey(b"k" * 32)
    a, _ = encode_people(people[:80], key, DEFAULT_SCHEMA, random.Random(1))
    b, _ = encode_people(people[40:], key, DEFAULT_SCHEMA, random.Random(2))
    full = match(a, b, threshold=0.9, blocking=False)
    blocked = match(a, b, threshold=0.9, blocking=True)
    pairs = set(zip(full.left.tolist(), full.right.tolist(), strict=True))
    assert len(pairs) >= 40
    assert set(zip(blocked.left.tolist(), blocked.right.tolist(), strict=True)) == pairs
    assert blocked.compared < full.compared // 4


def test_an_encoding_line_with_a_short_filter_is_skipped_and_named(tmp_path: Path) -> None:
    from cruce.pprl._files import read_encoded

    secret = _secret(tmp_path / "s", "55" * 32)
    enc, _ = _encode(tmp_path, _people_file(tmp_path / "a.jsonl", _random_people(6, 5)), secret)
    lines = enc.read_text().splitlines()
    broken = {**json.loads(lines[1]), "clk": "AAAA"}
    enc.write_text("\n".join([lines[0], json.dumps(broken), *lines[2:]]) + "\n")
    encoded, skipped = read_encoded(enc)
    assert len(encoded.handles) == len(lines) - 1
    assert skipped == [f"{enc}:2: clk: 24 bits: a filter is a whole number of 64-bit words"]
