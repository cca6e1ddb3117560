"""Attacks on cruce's PPRL encodings by an attacker with a public list but not the key.

    .venv/bin/python bench/evalworld.py --people 5000 --seed 2 --out /tmp/P/w
    .venv/bin/python bench/pprl_attacks.py --world /tmp/P/w --agency gt_police

The attacker knows the method (the schema: fields, q, hash counts, hardening) and holds the
plaintext of every encoded person (full overlap: the strongest case), but not the key. Each
attack guesses a plaintext record for each encoding; the share re-identified is the share of
real encodings whose guess is their own record (or one with the same name and birth date).
Every attack runs on plain, unhardened CLKs (keyed hashing, 1024 bits, no balancing, no fakes)
and on cruce's hardened default in the same run, and on each hardening alone.

- frequency: identical encodings ranked by frequency, aligned with identical plaintext feature
  sets ranked the same way (Kuzu et al. 2011, record level); a guess only where the rank's
  frequency is unique.
- pattern mining (after Christen et al. 2018): bit positions that are set together as often as
  a frequent q-gram occurs are mined greedily (joint support), each group aligned with the
  q-gram of nearest frequency; each encoding is then read as the q-grams whose positions are
  all set, and matched to the plaintext record agreeing on most of them (unique best only).
- graph matching (after Vidanage et al. 2020 and Heng et al. 2022): the attacker encodes its
  list with a key of its own (Dice similarities do not depend on the key), builds both
  similarity graphs, matches nodes by their sorted neighbour similarities (Hungarian), then
  refines twice on the similarities to the most confident matches (anchors).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from cruce.pprl import DEFAULT_SCHEMA, PLAIN_CLK, EncodingSchema, PprlKey
from cruce.pprl._bloom import qgrams
from cruce.pprl._dice import dice_all
from cruce.pprl._encode import encode_people, salt_of
from cruce.pprl._tokens import record_tokens

People = list[tuple[str, dict[str, list[str]]]]
Guesses = dict[int, int]  # encoding row -> attacker's plaintext row
NEIGHBOURS = 50
ANCHORS = 100


def load_people(world: Path, agency: str, limit: int) -> People:
    """One record per person of one agency (the first), at most `limit`."""
    with (world / "truth.csv").open(encoding="utf-8") as fh:
        truth = {r["record_id"]: r["person_id"] for r in csv.DictReader(fh)}
    seen: set[str] = set()
    people: People = []
    with (world / f"{agency}.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if truth[row["id"]] not in seen and len(people) < limit:
                seen.add(truth[row["id"]])
                people.append((row["id"], row["properties"]))
    return people


def identity(props: dict[str, list[str]]) -> tuple[str, ...]:
    """What re-identifying a record means: its name features and birth date."""
    tokens = record_tokens(props)
    return tuple(" ".join(tokens[f]) for f in ("given", "given_other", "surname", "birth_year",
                                               "birth_month", "birth_day"))


def _grams(tokens: dict[str, list[str]], schema: EncodingSchema) -> set[str]:
    return {f"{spec.name}:{g}" for spec in schema.fields for t in tokens.get(spec.name, [])
            for g in qgrams(t, spec.q)}


def frequency_attack(words: npt.NDArray[np.uint64], plain: People,
                     schema: EncodingSchema) -> Guesses:
    enc_groups: dict[bytes, list[int]] = defaultdict(list)
    for row in range(words.shape[0]):
        enc_groups[words[row].tobytes()].append(row)
    plain_groups: dict[frozenset[str], list[int]] = defaultdict(list)
    for row, (_, props) in enumerate(plain):
        plain_groups[frozenset(_grams(record_tokens(props), schema))].append(row)
    enc_ranked = sorted(enc_groups.values(), key=len, reverse=True)
    plain_ranked = sorted(plain_groups.values(), key=len, reverse=True)
    sizes = Counter(len(g) for g in plain_ranked)
    guesses: Guesses = {}
    for enc, pl in zip(enc_ranked, plain_ranked, strict=False):
        if len(enc) == len(pl) and sizes[len(pl)] == 1:  # a frequency only one value has
            guesses.update({row: pl[0] for row in enc})
    return guesses


def _bits(words: npt.NDArray[np.uint64]) -> npt.NDArray[np.float32]:
    return np.unpackbits(words.view(np.uint8), axis=1).astype(np.float32)


def _mine_groups(bits: npt.NDArray[np.float32], count: int,
                 slack: float = 0.9) -> list[tuple[list[int], float]]:
    """Groups of positions set together: (positions, joint support), strongest first."""
    n = bits.shape[0]
    joint = (bits.T @ bits) / n
    np.fill_diagonal(joint, 0.0)
    free = np.ones(bits.shape[1], dtype=bool)
    groups = []
    for _ in range(count):
        masked = np.where(free[:, None] & free[None, :], joint, 0.0)
        p, q = np.unravel_index(int(np.argmax(masked)), masked.shape)
        if masked[p, q] <= 0:
            break
        members = [int(p), int(q)]
        rows = bits[:, p] * bits[:, q]
        support = rows.mean()
        while True:
            gains = (rows @ bits) / n
            gains[~free] = 0.0
            gains[members] = 0.0
            best = int(np.argmax(gains))
            if gains[best] < slack * support:
                break
            members.append(best)
            rows = rows * bits[:, best]
            support = rows.mean()
        free[members] = False
        groups.append((members, float(support)))
    return groups


def pattern_mining_attack(words: npt.NDArray[np.uint64], plain: People,
                          schema: EncodingSchema, grams_used: int = 150) -> Guesses:
    bits = _bits(words)
    plain_grams = [_grams(record_tokens(props), schema) for _, props in plain]
    freq = Counter(g for grams in plain_grams for g in grams)
    top = [g for g, _ in freq.most_common(grams_used)]
    groups = _mine_groups(bits, grams_used)
    # Align each mined group with the unused frequent q-gram of nearest frequency.
    unused = set(top)
    aligned: list[tuple[str, list[int]]] = []
    for members, support in groups:
        if not unused:
            break
        gram = min(unused, key=lambda g: abs(freq[g] / len(plain) - support))
        unused.discard(gram)
        aligned.append((gram, members))
    present = np.stack([bits[:, m].min(axis=1) for _, m in aligned], axis=1)  # enc x grams
    truth = np.array([[g in grams for g, _ in aligned] for grams in plain_grams], dtype=np.float32)
    agree = present @ truth.T + (1 - present) @ (1 - truth).T  # enc x plain agreements
    guesses: Guesses = {}
    for row in range(agree.shape[0]):
        best = agree[row].max()
        winners = np.flatnonzero(agree[row] == best)
        if len(winners) == 1:
            guesses[row] = int(winners[0])
    return guesses


def _similarities(words: npt.NDArray[np.uint64]) -> npt.NDArray[np.float32]:
    found = dice_all(words, words, 0.0)
    sims = np.zeros((words.shape[0], words.shape[0]), dtype=np.float32)
    sims[found.left, found.right] = found.score
    np.fill_diagonal(sims, 0.0)
    return sims


def _features(sims: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    top = -np.sort(-sims, axis=1)[:, :NEIGHBOURS]
    return np.asarray(top, dtype=np.float32)


def _distances(left: npt.NDArray[np.float32],
               right: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """Squared Euclidean distances of every row of left to every row of right."""
    a, b = left.astype(np.float64), right.astype(np.float64)
    found: npt.NDArray[np.float64] = np.maximum(
        (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T, 0.0)
    return found


def _confident(cost: npt.NDArray[np.float64], rows: npt.NDArray[np.intp],
               cols: npt.NDArray[np.intp], count: int) -> npt.NDArray[np.intp]:
    """The assigned pairs whose cost beats the row's next best by the widest margin."""
    chosen = cost[rows, cols]
    masked = cost[rows].copy()
    masked[np.arange(len(rows)), cols] = np.inf
    margin = masked.min(axis=1) - chosen
    return np.argsort(-margin)[:count]


def graph_attack(words: npt.NDArray[np.uint64], plain: People, schema: EncodingSchema) -> Guesses:
    sims_enc, sims_plain = _similarities(words), _similarities(_own_words(plain, schema))
    cost = _distances(_features(sims_enc), _features(sims_plain))
    rows, cols = linear_sum_assignment(cost)
    for anchors_used in (ANCHORS, 2 * ANCHORS, 4 * ANCHORS, 4 * ANCHORS):
        # refine on the similarities to the most confident matches so far (seeded matching)
        anchors = _confident(cost, rows, cols, min(anchors_used, len(rows)))
        cost = _distances(sims_enc[:, rows[anchors]], sims_plain[:, cols[anchors]])
        rows, cols = linear_sum_assignment(cost)
    return {int(r): int(c) for r, c in zip(rows, cols, strict=True)}


def _own_words(plain: People, schema: EncodingSchema) -> npt.NDArray[np.uint64]:
    """The attacker's list encoded under a key of its own, in the list's order (it knows
    which of its encodings is which record)."""
    own, table = encode_people(plain, PprlKey(b"attacker's own key, not the owner's, 32b+"),
                               schema.hardened(fake_ratio=0.0), random.Random(0))
    row_of = {h: i for i, h in enumerate(own.handles)}
    return own.words[np.array([row_of[h] for h, _ in table], dtype=np.intp)]


ATTACKS: dict[str, Callable[[npt.NDArray[np.uint64], People, EncodingSchema], Guesses]] = {
    "frequency": frequency_attack,
    "pattern mining": pattern_mining_attack,
    "graph matching": graph_attack,
}


def reidentified(guesses: Guesses, real_of_row: dict[int, int], plain: People) -> float:
    """Share of the real encodings whose guess is their own record (or its twin)."""
    ids = [identity(props) for _, props in plain]
    hits = sum(1 for row, guess in guesses.items()
               if row in real_of_row and ids[guess] == ids[real_of_row[row]])
    return hits / len(real_of_row)


def run(people: People, schema: EncodingSchema, label: str, attacks: list[str]) -> None:
    key = PprlKey(b"the owner's secret, which the attacker lacks" * 2)
    encoded, table = encode_people(people, key, schema, random.Random(1))
    row_of = {h: i for i, h in enumerate(encoded.handles)}
    index_of = {pid: i for i, (pid, _) in enumerate(people)}
    real_of_row = {row_of[h]: index_of[pid] for h, pid in table}
    cells = []
    for name in attacks:
        guesses = ATTACKS[name](encoded.words, people, schema)
        cells.append(f"{100 * reidentified(guesses, real_of_row, people):.2f}%")
    salt = schema.salt or "none"
    print(f"| {label} | {schema.out_bits} | {schema.balance} | {schema.xor_fold} | {salt} | "
          f"{schema.fake_ratio:.2f} | " + " | ".join(cells) + " |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--world", type=Path, required=True)
    parser.add_argument("--agency", default="gt_police")
    parser.add_argument("--limit", type=int, default=2000)
    parser.add_argument("--attacks", nargs="*", default=list(ATTACKS))
    args = parser.parse_args()
    people = load_people(args.world, args.agency, args.limit)
    print(f"{len(people)} people of {args.agency}, full overlap; salt_of check "
          f"{salt_of(record_tokens(people[0][1]), DEFAULT_SCHEMA)!r}")
    print("| encoding | bits | balanced | XOR-folded | salt | fakes | "
          + " | ".join(args.attacks) + " |\n" + "| --- " * (6 + len(args.attacks)) + "|")
    variants = [
        ("plain CLK (unhardened)", PLAIN_CLK),
        ("balancing only", PLAIN_CLK.hardened(bits=512, balance=True)),
        ("XOR folding only", PLAIN_CLK.hardened(bits=2048, xor_fold=True)),
        ("fake records only", PLAIN_CLK.hardened(fake_ratio=0.25)),
        ("salt (birth year) only", PLAIN_CLK.hardened(salt="birth_year")),
        ("balancing + 25% fakes", PLAIN_CLK.hardened(bits=512, balance=True, fake_ratio=0.25)),
        ("cruce default: balancing + XOR folding + fakes", DEFAULT_SCHEMA),
    ]
    for label, schema in variants:
        run(people, schema, label, args.attacks)


if __name__ == "__main__":
    main()
