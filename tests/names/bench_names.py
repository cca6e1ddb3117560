"""Throughput of cruce.names on synthetic names (not a test; run by hand).

    .venv/bin/python tests/names/bench_names.py [N]

Reports CPU-time rates (process_time), so other load on the machine skews them less:
parse_person_name names/s, name_features names/s, phonetic_key tokens/s cold (cache
bypassed, all tokens distinct) and warm (realistic repetition, cache on).
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable, Sequence

from cruce.names import name_features, parse_person_name, phonetic_key
from cruce.names._lexicon import GIVEN_SEX, SURNAME_ORIGIN


def _names(n: int, rng: random.Random) -> list[str]:
    given, surnames = sorted(GIVEN_SEX), sorted(SURNAME_ORIGIN)
    out = []
    for _ in range(n):
        g = rng.sample(given, rng.choice([1, 2, 2]))
        s = rng.sample(surnames, rng.choice([1, 2, 2, 2]))
        style = rng.random()
        if style < 0.4:
            out.append(" ".join(s + g).upper())
        elif style < 0.6:
            out.append(f"{' '.join(s).title()}, {' '.join(g).title()}")
        else:
            out.append(" ".join(g + s).title())
    return out


def _rate(fn: Callable[[str], object], items: Sequence[str]) -> float:
    start = time.process_time()
    for item in items:
        fn(item)
    return len(items) / (time.process_time() - start)


def main(n: int) -> None:
    rng = random.Random(7)
    names = _names(n, rng)
    start = time.process_time()
    parsed = [parse_person_name(name) for name in names]
    parse_rate = n / (time.process_time() - start)
    start = time.process_time()
    for p in parsed:
        name_features(p)
    feature_rate = n / (time.process_time() - start)
    letters = "abcdefghijklmnopqrstuvwxyzáéíóúñ"
    distinct = [
        "".join(rng.choice(letters) for _ in range(rng.randint(3, 10))).capitalize()
        for _ in range(n)
    ]
    cold = _rate(phonetic_key.__wrapped__, distinct)
    tokens = [w for name in names for w in name.replace(",", " ").split()]
    warm = _rate(phonetic_key, tokens)
    print(f"parse_person_name {parse_rate:,.0f} names/s")
    print(f"name_features     {feature_rate:,.0f} names/s")
    print(f"phonetic_key      {cold:,.0f} tokens/s cold, {warm:,.0f} tokens/s warm")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
