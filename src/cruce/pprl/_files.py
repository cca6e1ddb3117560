"""ENC.jsonl read back for matching, checked line by line, and MATCHES.csv written.

A line that is not an encoding (not JSON, a field missing, a filter of the wrong length) is
skipped and named; encodings whose schema hash or key fingerprint differ from the file's first
are refused outright, with the two values: matching them would give meaningless scores.
A file where more than MAX_REPEATED_SHARE of the filters repeat an earlier line's is refused:
no encoder writes that (fake records are random, true duplicates few), and identical filters
are what makes matching quadratic (finding S8-8).
"""

from __future__ import annotations

import base64
import binascii
import csv
import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from cruce._files import private_file
from cruce.errors import InvalidInput
from cruce.pprl._encode import Encoded

MAX_ENCODINGS = 5_000_000
MAX_LINE_BYTES = 64 * 1024
MAX_IDS = 64
_HEX = re.compile(r"^[0-9a-f]{8,64}$")
FIELDS = {"handle", "schema", "key", "clk", "ids"}
MAX_REPEATED_SHARE = 0.1
MIN_REPEATS = 10  # a small file may hold a few duplicate people


def _checked(data: Any) -> tuple[str, str] | None:
    """(field, why) when a parsed line is no encoding."""
    if not isinstance(data, dict) or set(data) != FIELDS:
        return "(line)", f"not an encoding: needs exactly the fields {sorted(FIELDS)}"
    for name in ("handle", "schema", "key"):
        if not isinstance(data[name], str) or not _HEX.match(data[name]):
            return name, "must be lower-case hex"
    ids = data["ids"]
    if not isinstance(ids, list) or len(ids) > MAX_IDS or not all(
            isinstance(d, str) and _HEX.match(d) for d in ids):
        return "ids", f"must be a list of at most {MAX_IDS} hex digests"
    return None


def _filter(text: Any, width: int | None) -> bytes | str:
    try:
        raw = base64.b64decode(text, validate=True) if isinstance(text, str) else b""
    except binascii.Error:
        return "not base64"
    if not raw or len(raw) % 8:
        return f"{len(raw) * 8} bits: a filter is a whole number of 64-bit words"
    if width is not None and len(raw) != width:
        return f"{len(raw) * 8} bits, the file's first filter has {width * 8}"
    return raw


class _Reader:
    """State of one file being read: the first line's schema, key and filter width."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.first: dict[str, str] = {}
        self.width: int | None = None
        self.skipped: list[str] = []

    def consistent(self, number: int, data: dict[str, Any]) -> None:
        for name in ("schema", "key"):
            self.first.setdefault(name, data[name])
            if data[name] != self.first[name]:
                raise InvalidInput(
                    f"{self.path}:{number}: {name}: {data[name][:16]} differs from the file's "
                    f"first line ({self.first[name][:16]}); encode the whole file in one run")


def _parse(line: bytes, width: int | None) -> tuple[dict[str, Any], bytes] | tuple[str, str]:
    """(encoding, filter bytes), or (field, why) for a line that is no encoding."""
    if len(line) > MAX_LINE_BYTES:
        return "(line)", f"longer than {MAX_LINE_BYTES} bytes"
    try:
        data = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return "(line)", "not JSON"
    problem = _checked(data)
    if problem is not None:
        return problem
    raw = _filter(data["clk"], width)
    return ("clk", raw) if isinstance(raw, str) else (data, raw)


def read_encoded(path: Path) -> tuple[Encoded, list[str]]:
    """The encodings of an ENC.jsonl file and the lines skipped ("file:line: field: why")."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    reader = _Reader(path)
    handles: list[str] = []
    ids: list[list[str]] = []
    rows: list[bytes] = []
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            if len(rows) >= MAX_ENCODINGS:
                raise InvalidInput(f"{path}: more than {MAX_ENCODINGS} encodings; split it")
            parsed = _parse(line, reader.width)
            if isinstance(parsed[0], str):
                reader.skipped.append(f"{path}:{number}: {parsed[0]}: {parsed[1]!s}")
                continue
            data, raw = parsed
            reader.consistent(number, data)
            reader.width = len(raw)
            handles.append(data["handle"])
            ids.append(list(data["ids"]))
            rows.append(raw)
    if not rows:
        raise InvalidInput(reader.skipped[0] if reader.skipped else f"{path}: no encodings")
    _check_repeats(path, rows)
    words = np.frombuffer(b"".join(rows), dtype=np.uint64).reshape(len(rows), -1).copy()
    encoded = Encoded(reader.first["schema"], reader.first["key"], handles, words, ids)
    return encoded, reader.skipped


def _check_repeats(path: Path, rows: list[bytes]) -> None:
    repeated = len(rows) - len(set(rows))
    if repeated > max(MIN_REPEATS, MAX_REPEATED_SHARE * len(rows)):
        raise InvalidInput(
            f"{path}: clk: {repeated} of {len(rows)} filters repeat an earlier line's (more "
            f"than {MAX_REPEATED_SHARE:.0%}); not an encoder's output, refused")


def check_compatible(a: Encoded, b: Encoded, path_a: Path, path_b: Path) -> None:
    """Refuse two files encoded under different schemas, keys or filter lengths."""
    if a.schema_hash != b.schema_hash:
        raise InvalidInput(
            f"{path_b}: schema: encoded with schema {b.schema_hash[:16]}, {path_a} with "
            f"{a.schema_hash[:16]}; both sides must encode with the same schema version")
    if a.key_fingerprint != b.key_fingerprint:
        raise InvalidInput(
            f"{path_b}: key: encoded under key {b.key_fingerprint}, {path_a} under "
            f"{a.key_fingerprint}; both owners must use the same compact PPRL secret")
    if a.words.shape[1] != b.words.shape[1]:
        raise InvalidInput(f"{path_b}: clk: filters of {b.words.shape[1] * 64} bits, {path_a} "
                           f"has {a.words.shape[1] * 64}")


def write_matches(path: Path, rows: list[tuple[str, str, float]]) -> None:
    """left_handle,right_handle,score (owner-only file, complete or not there)."""
    part = path.with_name(path.name + ".part")
    try:
        with private_file(part) as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(["left_handle", "right_handle", "score"])
            writer.writerows((left, right, f"{score:.4f}") for left, right, score in rows)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
