"""Matching stays bounded on crafted or degenerate encodings (finding S8-8): crowded blocking
buckets skipped and counted, too many pairs above the floor refused in one line, a file of
repeated filters refused naming it, an identifier digest on every line ignored."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cruce.cli import app
from cruce.pprl._blocking import BUCKET_PAIRS, block
from cruce.pprl._dice import TooManyPairs
from cruce.pprl._encode import Encoded
from cruce.pprl._match import match

runner = CliRunner()
BASE = 0x5555555555555555


def _near_copies(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    a = rng.integers(0, 2**63, size=(n, 16), dtype=np.uint64)
    flips = rng.random((n, 1024)) < 0.03
    b = np.packbits(np.unpackbits(a.view(np.uint8), axis=1) ^ flips, axis=1).view(np.uint64)
    return a, b


def _crowd(n: int) -> np.ndarray:
    """n distinct filters, each the same pattern with one bit of its own flipped."""
    rows = np.full((n, 16), BASE, dtype=np.uint64)
    for i in range(n):
        rows[i, i // 64] ^= np.uint64(1) << np.uint64(i % 64)
    return rows


def test_a_crowded_bucket_is_skipped_and_counted_while_other_pairs_are_found() -> None:
    a, b = _near_copies(np.random.default_rng(7), 50)
    crowd = np.full((300, 16), BASE, dtype=np.uint64)
    found = block(np.concatenate([a, crowd]), np.concatenate([b, crowd]), floor=0.65)
    pairs = set(zip(found.left.tolist(), found.right.tolist(), strict=True))
    assert sum((i, i) in pairs for i in range(50)) >= 49
    assert len(pairs) < 100  # none of the 300 x 300 crowd
    assert BUCKET_PAIRS < 300 * 300 and found.skipped_buckets >= 1


def test_blocking_refuses_past_its_limit_before_holding_more() -> None:
    a, b = _near_copies(np.random.default_rng(8), 40)
    with pytest.raises(TooManyPairs):
        block(a, b, floor=0.65, limit=10)


def test_matching_near_identical_filters_is_refused_past_the_pair_bound() -> None:
    crowd = _crowd(450)  # 202,500 pairs all above the floor, past 200 x (450 + 450)
    handles = [f"{i:024x}" for i in range(450)]
    side = Encoded("ab" * 32, "cd" * 8, handles, crowd, [[] for _ in handles])
    with pytest.raises(TooManyPairs):
        match(side, side, blocking=False)


def test_an_identifier_digest_on_every_line_identifies_nobody() -> None:
    rng = np.random.default_rng(9)
    handles = [f"{i:024x}" for i in range(300)]
    left = Encoded("ab" * 32, "cd" * 8, handles,
                   rng.integers(0, 2**63, size=(300, 8), dtype=np.uint64),
                   [["11" * 16] for _ in handles])
    right = Encoded("ab" * 32, "cd" * 8, handles,
                    rng.integers(0, 2**63, size=(300, 8), dtype=np.uint64),
                    [["11" * 16] for _ in handles])
    assert len(match(left, right, threshold=0.9).left) == 0


def _enc_file(path: Path, filters: np.ndarray) -> Path:
    lines = [{"handle": f"{i:024x}", "schema": "ab" * 32, "key": "cd" * 8, "ids": [],
              "clk": base64.b64encode(row.tobytes()).decode()} for i, row in enumerate(filters)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_cli_refuses_a_file_of_repeated_filters_naming_it(tmp_path: Path) -> None:
    good = _enc_file(tmp_path / "good.enc.jsonl", _near_copies(np.random.default_rng(10), 60)[0])
    bad = _enc_file(tmp_path / "bad.enc.jsonl", np.full((500, 16), BASE, dtype=np.uint64))
    out = tmp_path / "m.csv"
    result = runner.invoke(app, ["pprl", "match", str(good), str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"Error: {bad}: clk: 499 of 500 filters repeat an earlier line's (more than 10%); not "
        "an encoder's output, refused")
    assert not out.exists()


def test_cli_refuses_too_many_near_identical_pairs_in_one_line(tmp_path: Path) -> None:
    left = _enc_file(tmp_path / "l.enc.jsonl", _crowd(450))
    right = _enc_file(tmp_path / "r.enc.jsonl", _crowd(450))
    out = tmp_path / "m.csv"
    result = runner.invoke(app, ["pprl", "match", str(left), str(right), "--out", str(out)])
    assert result.exit_code == 2
    text = result.output.strip()
    assert text.startswith(f"Error: {left} x {right}: more than 180000 pairs score at least")
    assert "near-identical" in text and "\n" not in text and "Traceback" not in text
    assert not out.exists()
