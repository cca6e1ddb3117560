"""anonlink + clkhash on two FtM Person files, for bench/pprl.py (run in their own venv:
clkhash 0.18.3 pins cryptography < 41, which cruce cannot use).

    /tmp/P/anonvenv/bin/python bench/_pprl_anonlink.py A.jsonl B.jsonl OUT.json

clkhash's documented febrl schema (docs/_static/febrl_schema_v3_final.json: 1024 bits, given
name and surname bigrams at 200 bits each, suburb 100, date of birth 200, positional unigrams;
street, address, postcode and state left empty: the FtM files carry none) on the fields the
files hold: firstName (else the first word of name), lastName (else the rest), birthDate as
YYYYMMDD, birthPlace as the suburb. Candidates at Dice >= 0.8 (anonlink's documented febrl
threshold), greedy solver. Writes the pairs (ids) and the encode / match seconds.
"""

from __future__ import annotations

import json
import sys
import time

import anonlink
from clkhash import clk
from clkhash.schema import from_json_dict

SCHEMA = {
    "version": 3,
    "clkConfig": {"l": 1024, "kdf": {"type": "HKDF", "hash": "SHA256",
                                     "info": "c2NoZW1hX2V4YW1wbGU=",
                                     "salt": "SCbL2zHNnmsckfzchsNkZY9XoHk96P/G5nUBrM7ybymlEFsMV6"
                                             "PAeDZCNp3rfNUPCtLDMOGQHG4pCQpfhiHCyA==",
                                     "keySize": 64}},
    "features": [
        {"identifier": "rec_id", "ignored": True},
        {"identifier": "given_name", "format": {"type": "string", "encoding": "utf-8"},
         "hashing": {"comparison": {"type": "ngram", "n": 2},
                     "strategy": {"bitsPerFeature": 200}, "hash": {"type": "doubleHash"}}},
        {"identifier": "surname", "format": {"type": "string", "encoding": "utf-8"},
         "hashing": {"comparison": {"type": "ngram", "n": 2},
                     "strategy": {"bitsPerFeature": 200}, "hash": {"type": "doubleHash"}}},
        {"identifier": "suburb", "format": {"type": "string", "encoding": "utf-8"},
         "hashing": {"comparison": {"type": "ngram", "n": 2},
                     "strategy": {"bitsPerFeature": 100}}},
        {"identifier": "date_of_birth", "format": {"type": "string", "encoding": "utf-8"},
         "hashing": {"comparison": {"type": "ngram", "n": 1, "positional": True},
                     "strategy": {"bitsPerFeature": 200}}},
    ],
}


def _row(entity: dict) -> list[str]:
    props = entity.get("properties", {})
    first = lambda name: (props.get(name) or [""])[0]  # noqa: E731
    full = first("name").replace(",", " ").split()
    given = first("firstName") or (full[0] if full else "")
    surname = first("lastName") or " ".join(full[1:])
    dob = first("birthDate").replace("-", "")
    return [entity["id"], given.lower(), surname.lower(), first("birthPlace").lower(), dob]


def main() -> None:
    left, right, out = sys.argv[1:4]
    rows = []
    for path in (left, right):
        with open(path, encoding="utf-8") as fh:
            rows.append([_row(json.loads(line)) for line in fh if line.strip()])
    schema = from_json_dict(SCHEMA)
    started = time.perf_counter()
    clks = [clk.generate_clks(r, schema, "secret", validate=False, max_workers=1) for r in rows]
    encode = time.perf_counter() - started
    started = time.perf_counter()
    candidates = anonlink.candidate_generation.find_candidate_pairs(
        clks, anonlink.similarities.dice_coefficient_accelerated, 0.8)
    groups = anonlink.solving.greedy_solve(candidates)
    match = time.perf_counter() - started
    pairs = []
    for group in groups:
        members = sorted(group)
        if len(members) == 2 and members[0][0] == 0 and members[1][0] == 1:
            pairs.append((rows[0][members[0][1]][0], rows[1][members[1][1]][0]))
    with open(out, "w", encoding="utf-8") as fh:
        json.dump({"pairs": pairs, "encode": encode, "match": match}, fh)


if __name__ == "__main__":
    main()
