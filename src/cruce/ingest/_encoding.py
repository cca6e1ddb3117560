"""A CSV file as DuckDB reads it: UTF-8, with lines of bounded length.

Agencies' exports are often Windows-1252 or Latin-1. A mapping names the file's encoding
(`encoding: cp1252`, UTF-8 by default); a UTF-8 file is checked where it lies, any other is
transcoded into a private temporary copy, streamed, before DuckDB sees it. A file that is not
in its declared encoding is refused naming the byte and the line, with the fix; a line longer
than `MAX_LINE_CHARS` (a 100 MB file with no newline) is refused naming the line, never
quoting it.
"""

from __future__ import annotations

import codecs
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from cruce.errors import BadRow, InvalidInput, InvalidMapping

MAX_LINE_CHARS = 1 << 20
_CHUNK = 1 << 20


def check_encoding(name: str, where: str) -> str:
    """The codec's canonical name for a mapping's `encoding:`, or InvalidMapping."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise InvalidMapping(
            f"{where}: encoding {name[:40]!r} is not one Python knows (try utf-8, cp1252, latin-1)"
        ) from None


@contextmanager
def readable_csv(path: Path, encoding: str = "utf-8") -> Iterator[Path]:
    """`path` itself when it is UTF-8 (checked), else a UTF-8 copy that lives as long as the
    context; either way every line is within `MAX_LINE_CHARS`."""
    if path.suffix.lower() in (".xlsx", ".xlsm") or not path.exists():
        yield path
        return
    codec = check_encoding(encoding, str(path))
    if codec == "utf-8":
        _scan(path, codec, None)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="cruce-ingest-") as folder:  # 0700
        copy = Path(folder) / path.name
        with copy.open("w", encoding="utf-8", newline="") as sink:
            _scan(path, codec, sink)
        yield copy


def _scan(path: Path, codec: str, sink: IO[str] | None) -> None:
    decoder = codecs.getincrementaldecoder(codec)("strict")
    offset, line, run = 0, 1, 0  # bytes read, current line, characters since its start
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(_CHUNK)
            pending = decoder.getstate()[0]
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                seen = pending + chunk
                raise _not_in(path, codec, offset - len(pending) + exc.start,
                              line + seen[: exc.start].count(b"\n")) from None
            line, run = _check_lines(path, text, line, run)
            if sink is not None:
                sink.write(text)
            if not chunk:
                return
            offset += len(chunk)


def _check_lines(path: Path, text: str, line: int, run: int) -> tuple[int, int]:
    if "\x00" in text:  # no text column takes it (PostgreSQL refuses NUL outright)
        at = line + text[: text.index("\x00")].count("\n")
        raise BadRow(str(path), at, "(line)", "holds a NUL character; is this a CSV file?")
    parts = text.split("\n")
    for i, part in enumerate(parts):
        length = run + len(part) if i == 0 else len(part)
        if length > MAX_LINE_CHARS:
            raise BadRow(str(path), line + i, "(line)",
                         f"is longer than {MAX_LINE_CHARS} characters; is this a CSV file?")
    last = parts[-1]
    return line + len(parts) - 1, (run + len(last)) if len(parts) == 1 else len(last)


def _not_in(path: Path, codec: str, byte: int, line: int) -> InvalidInput:
    if codec == "utf-8":
        fix = ("if it is Windows-1252 or Latin-1, set `encoding: cp1252` (or `encoding: "
               "latin-1`) in the mapping's cruce: block")
    else:
        fix = f"it is not {codec}: set the mapping's `encoding:` to the file's own"
    return InvalidInput(f"{path}: not {codec} at byte {byte + 1} (line {line}); {fix}")
