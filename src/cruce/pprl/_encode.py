"""Encode one owner's people: opaque handles, hardened filters, keyed identifier digests.

What leaves the owner (ENC.jsonl) holds, per line, a random handle, the schema hash, the key
fingerprint, the filter (base64) and the identifiers' HMAC digests: no name, date or id in
clear. Fake records (the schema's fake_ratio, Heng et al. 2022) are mixed in, built from
real records' field values so they look like real ones, and written in random order; their
handles are not in HANDLES.csv (handle,id), which stays with the owner: a hit on a fake is
no hit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cruce._csvsafe import SafeWriter
from cruce._files import private_file
from cruce.pprl._bloom import Words, encode_tokens
from cruce.pprl._keys import PprlKey
from cruce.pprl._schema import DEFAULT_SCHEMA, EncodingSchema, check_schema
from cruce.pprl._tokens import Tokens, identifiers, record_tokens

# Fields a fake record takes together from one real donor (a name and its sex agree).
DONOR_GROUPS = (
    ("given", "given_phonetic", "sex"),
    ("surname", "surname_phonetic"),
    ("birth_year", "birth_month", "birth_day"),
    ("birth_place",),
)
DIGEST_HEX = 32


@dataclass
class Encoded:
    """One party's encodings: handles, filters (rows of uint64 words) and identifier digests."""

    schema_hash: str
    key_fingerprint: str
    handles: list[str]
    words: Words
    ids: list[list[str]]


def salt_of(tokens: Tokens, schema: EncodingSchema) -> str:
    values = tokens.get(schema.salt, []) if schema.salt else []
    return values[0] if values else ""


def id_digest(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:DIGEST_HEX]


def _fake_tokens(tokens: Sequence[Tokens], count: int, rng: random.Random) -> list[Tokens]:
    fakes = []
    for _ in range(count):
        fake: Tokens = {}
        for group in DONOR_GROUPS:
            donor = tokens[rng.randrange(len(tokens))]
            fake.update({name: list(donor.get(name, [])) for name in group})
        fakes.append(fake)
    return fakes


def encode_people(people: Sequence[tuple[str, dict[str, list[str]]]], key: PprlKey,
                  schema: EncodingSchema = DEFAULT_SCHEMA,
                  rng: random.Random | None = None) -> tuple[Encoded, list[tuple[str, str]]]:
    """The encodings of the people, fakes mixed in and shuffled, and the (handle, id) table."""
    check_schema(schema)
    rng = rng or random.SystemRandom()
    real = [record_tokens(props) for _, props in people]
    fakes = _fake_tokens(real, round(len(real) * schema.fake_ratio), rng) if real else []
    id_key = key.subkey("identifier")
    real_ids = [[id_digest(id_key, v) for v in identifiers(props)] for _, props in people]
    # A fake carries as many digests as a random real record: random hex, like HMAC output.
    fake_ids = [[f"{rng.getrandbits(4 * DIGEST_HEX):0{DIGEST_HEX}x}"
                 for _ in real_ids[rng.randrange(len(real_ids))]] for _ in fakes]
    tokens = [*real, *fakes]
    handles = [f"{rng.getrandbits(96):024x}" for _ in tokens]
    order = list(range(len(tokens)))
    rng.shuffle(order)
    words = encode_tokens([tokens[i] for i in order], [salt_of(tokens[i], schema) for i in order],
                          key, schema)
    all_ids = [*real_ids, *fake_ids]
    encoded = Encoded(schema.hash, key.fingerprint, [handles[i] for i in order], words,
                      [all_ids[i] for i in order])
    table = [(handles[i], people[i][0]) for i in range(len(people))]
    return encoded, table


def encoding_lines(encoded: Encoded) -> list[str]:
    """ENC.jsonl's lines: handle, schema hash, key fingerprint, filter, identifier digests."""
    rows = np.ascontiguousarray(encoded.words)
    return [
        json.dumps({"handle": handle, "schema": encoded.schema_hash,
                    "key": encoded.key_fingerprint,
                    "clk": base64.b64encode(rows[i].tobytes()).decode(), "ids": ids},
                   separators=(",", ":"))
        for i, (handle, ids) in enumerate(zip(encoded.handles, encoded.ids, strict=True))
    ]


def write_outputs(encoded: Encoded, table: Sequence[tuple[str, str]], enc: Path,
                  handles: Path) -> None:
    """Both files, owner-only (0600), each complete or not there: written beside, then renamed."""
    enc_tmp = enc.with_name(enc.name + ".part")
    handles_tmp = handles.with_name(handles.name + ".part")
    try:
        with private_file(enc_tmp) as out:
            out.writelines(line + "\n" for line in encoding_lines(encoded))
        with private_file(handles_tmp) as out:
            writer = SafeWriter(out, lineterminator="\n")
            writer.writerow(["handle", "id"])
            for row in table:
                writer.writerow(row)
        os.replace(enc_tmp, enc)
        os.replace(handles_tmp, handles)
    finally:
        for part in (enc_tmp, handles_tmp):
            part.unlink(missing_ok=True)
