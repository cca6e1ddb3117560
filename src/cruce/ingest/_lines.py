"""Reading JSON lines with bounds: no line, encoding or nesting can get past the reader.

Each line is read with a length cap (a 100 MB line is never held whole), decoded as UTF-8
(RFC 8259 §8.1: JSON exchanged between systems is UTF-8) and its nesting measured with a
cheap scan before `json.loads` recurses into it (100,000 nested brackets would exhaust the
stack). A line that fails any of these becomes a `Line` with its problem, never an exception,
so one bad line is one bad row and the reader goes on with the next.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import IO, Any

from cruce.errors import InvalidInput

MAX_LINE_BYTES = 1 << 20  # an FtM entity with its envelope is a few KB; 1 MiB is ample
MAX_DEPTH = 16  # an entity line nests 3 deep ({"envelope": {"provenance": {...}}})
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a JSON-lines file: its value, or the field and reason it was refused."""

    number: int
    data: Any
    text: str
    problem: tuple[str, str] | None = None


def read_lines(path: Path) -> Iterator[Line]:
    """Every non-blank line of `path`, parsed or with its problem."""
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc.strerror})") from None
    with fh:
        for number, raw in bounded_lines(fh):
            if raw is None:
                yield Line(number, None, "", ("(line)", f"is longer than {MAX_LINE_BYTES} bytes"))
                continue
            line = parse_line(number, raw)
            if line is not None:
                yield line


def bounded_lines(fh: IO[bytes]) -> Iterator[tuple[int, bytes | None]]:
    """Every line of `fh` (blank ones too) with its number from 1; None for a line longer
    than MAX_LINE_BYTES, read past in chunks so that it is never held whole. Both readers of
    JSON lines (ingest and `cruce link`'s check) read through this one."""
    number = 0
    while True:
        raw = fh.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while (rest := fh.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass
            yield number, None
        else:
            yield number, raw


def parse_line(number: int, raw: bytes) -> Line | None:
    """One line's bytes as a `Line` (None for a blank line)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        reason = f"is not UTF-8 (byte {exc.start + 1} of the line); JSON lines are UTF-8"
        return Line(number, None, raw.decode("utf-8", "replace"), ("(line)", reason))
    if number == 1:
        text = text.removeprefix("\ufeff")
    if not text.strip():
        return None
    if _is_too_deep(text):
        return Line(number, None, text, ("(line)", f"nests deeper than {MAX_DEPTH} levels"))
    try:
        return Line(number, json.loads(text), text)
    except json.JSONDecodeError as exc:
        return Line(number, None, text, ("(line)", f"not JSON: {exc.msg}"))
    except (ValueError, RecursionError) as exc:  # an integer of 5,000 digits, say
        return Line(number, None, text, ("(line)", f"not JSON that can be read: {exc}"[:120]))


def _is_too_deep(text: str) -> bool:
    # Fewer brackets than the limit cannot nest past it: the common line costs two counts.
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    brackets = _BRACKETS.findall(_STRINGS.sub("", text))
    return max(accumulate(_DEPTH_STEP[b] for b in brackets), default=0) > MAX_DEPTH

