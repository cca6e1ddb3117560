"""The two commands' work: encode one owner's file, match two parties' encodings."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from cruce.errors import InvalidInput
from cruce.pprl._blocking import BUCKET_PAIRS
from cruce.pprl._dice import TooManyPairs
from cruce.pprl._encode import encode_people, write_outputs
from cruce.pprl._files import check_compatible, read_encoded, write_matches
from cruce.pprl._keys import read_secret
from cruce.pprl._match import PAIRS_PER_ENCODING, match
from cruce.pprl._people import read_people
from cruce.pprl._schema import DEFAULT_SCHEMA, EncodingSchema


@dataclass
class EncodeSummary:
    people: int
    written: int  # people and fake records
    schema_hash: str
    skipped: list[str] = field(default_factory=list)


@dataclass
class MatchSummary:
    left: int
    right: int
    matches: int
    threshold: float
    compared: int
    skipped: list[str] = field(default_factory=list)
    skipped_buckets: int = 0


def encode_file(source: Path, secret: Path, out: Path, handles: Path,
                schema: EncodingSchema = DEFAULT_SCHEMA,
                rng: random.Random | None = None) -> EncodeSummary:
    """`cruce pprl encode`: FtM Person JSON lines to ENC.jsonl and HANDLES.csv.

    >>> encode_file(Path("hn.jsonl"), Path("secret"), Path("hn.enc.jsonl"),
    ...             Path("hn.handles.csv"))  # doctest: +SKIP
    """
    key = read_secret(secret)
    found = read_people(source)
    encoded, table = encode_people(found.people, key, schema, rng)
    write_outputs(encoded, table, out, handles)
    return EncodeSummary(len(table), len(encoded.handles), schema.hash, found.skipped)


def match_files(left: Path, right: Path, out: Path, threshold: float | None = None,
                blocking: bool | None = None) -> MatchSummary:
    """`cruce pprl match`: two ENC.jsonl files to MATCHES.csv (left handle from `left`).

    >>> match_files(Path("a.enc.jsonl"), Path("b.enc.jsonl"), Path("m.csv"))  # doctest: +SKIP
    """
    a, skipped_a = read_encoded(left)
    b, skipped_b = read_encoded(right)
    check_compatible(a, b, left, right)
    try:
        found = match(a, b, threshold, blocking)
    except TooManyPairs as e:
        raise InvalidInput(
            f"{left} x {right}: {e} ({PAIRS_PER_ENCODING} per encoding): the files hold too "
            f"many near-identical filters to be matched; refused") from None
    rows = [(a.handles[i], b.handles[j], float(s))
            for i, j, s in zip(found.left.tolist(), found.right.tolist(), found.score.tolist(),
                               strict=True)]
    rows.sort(key=lambda r: (-r[2], r[0]))
    write_matches(out, rows)
    skipped = skipped_a + skipped_b
    if found.skipped_buckets:  # shown with the skipped lines: a warning, the run went on
        skipped.append(f"{left} x {right}: blocking: {found.skipped_buckets} buckets of more "
                       f"than {BUCKET_PAIRS} near-identical pairs not compared")
    return MatchSummary(len(a.handles), len(b.handles), len(rows), found.threshold,
                        found.compared, skipped, found.skipped_buckets)
