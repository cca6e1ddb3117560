"""Person screening: names, birth date and nationality against person alerts, fuzzily.

Names are standardised as the linkage standardises them (`cruce.names`: parsing, particles,
hypocorisms such as Chepe = José, the Spanish phonetic key), then found by blocking keys over
the standardised names (paternal surname with first given name, maternal surname with first
given name, either surname with the birth year, the two surnames together) and scored field
by field in bits, Fellegi-Sunter fashion: the sum of agreement weights against a prior that
most candidates are other people. Every hit says which evidence moved its score.

The weights are set here, in the linkage's spirit (not its trained m and u: those live in a
stored Splink model whose levels differ from these fields; see docs/border-checks.md).
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from jellyfish import jaro_winkler_similarity

from cruce.names import name_features, parse_name_parts, phonetic_key
from cruce.store import Store

PRIOR_BITS = -14.0  # tuned on bench/_evalworld seed 1, evaluated on other seeds
HIT_AT = 0.5
_PAGE = 50_000
_POPULATION = 20_000
MAX_BLOCK = 500


@dataclass(frozen=True, slots=True)
class Standard:
    """A person's name and dates as compared (every string interned: names repeat)."""

    given: tuple[str, ...]
    canonical: frozenset[str]
    surname1: str
    surname2: str
    surname1_key: str
    surname2_key: str
    given_key: str
    joined_key: str
    birth: str
    nationality: str


def _i(text: str | None) -> str:
    return sys.intern(text or "")


@lru_cache(maxsize=200_000)
def _names(given: str, surnames: str) -> tuple[tuple[str, ...], frozenset[str], str, str]:
    f = name_features(parse_name_parts(first=given or None, last=surnames or None))
    canonical = frozenset(_i(c) for c in _words(f["given_canonical_all"]))
    return (tuple(_i(g) for g in _words(f["given_all"])), canonical, _i(_word(f["surname1"])),
            _i(_word(f["surname2"])))


def _words(value: str | list[str] | None) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _word(value: str | list[str] | None) -> str:
    return value if isinstance(value, str) else ""


def standardise(given: str, surnames: str, birth: str, nationality: str) -> Standard:
    """A person as screening compares them, from names as alerts and manifests write them."""
    given_all, canonical, s1, s2 = _names(given.strip(), surnames.strip())
    first = _first_canonical(given_all)
    return Standard(given_all, canonical, s1, s2, _i(phonetic_key(s1)) if s1 else "",
                    _i(phonetic_key(s2)) if s2 else "", _i(phonetic_key(first)) if first else "",
                    _i(phonetic_key(s1 + s2)) if s1 else "", _i(birth),
                    _i(nationality.upper()))


def _first_canonical(given: tuple[str, ...]) -> str:
    if not given:
        return ""
    _, canonical, _, _ = _names(given[0], "")
    return min(canonical) if canonical else given[0]


def blocking_keys(p: Standard) -> set[str]:
    """The keys a person is found by; a query also tries its surnames swapped."""
    year = p.birth[:4]
    keys = set()
    for surname in filter(None, (p.surname1_key, p.surname2_key)):
        if p.given_key:
            keys.add(f"g|{surname}|{p.given_key}")
        if year:
            keys.add(f"y|{surname}|{year}")
    if p.surname1_key and p.surname2_key:
        keys.add(f"s|{p.surname1_key}|{p.surname2_key}")
        keys.add(f"s|{p.surname2_key}|{p.surname1_key}")
    if p.joined_key:  # "SIC XOL" and "SICXOL" are one surname written two ways
        keys.add(f"j|{p.joined_key}|{p.given_key}")
    if len(p.birth) == 10:  # a full birth date: found despite a misspelt surname
        keys.add(f"b|{p.birth}|{p.given_key}")
        keys.add(f"b|{p.birth}|{p.surname1_key}")
    return keys


Evidence = list[dict[str, object]]
Scored = tuple[int, float, Evidence]


class PersonIndex:
    """Live person alerts, standardised, by blocking key."""

    def __init__(self) -> None:
        self.people: list[Standard] = []
        self.seqs: list[int] = []
        self.postings: dict[str, list[int]] = {}
        self.frequency = Frequency()
        self.last_seq = 0

    def load(self, store: Store, today: date) -> int:
        loaded = 0
        while page := store.person_alert_bodies(self.last_seq, _PAGE, today):
            for seq, body in page:
                self._add(seq, standardise(body.get("given_names", ""), body["surnames"],
                                           body.get("birth_date", ""),
                                           body.get("nationality", "")))
            self.last_seq = page[-1][0]
            loaded += len(page)
        return loaded

    def _add(self, seq: int, person: Standard) -> None:
        position = len(self.people)
        self.people.append(person)
        self.seqs.append(seq)
        self.frequency.add(person)
        for key in blocking_keys(person):
            self.postings.setdefault(sys.intern(key), []).append(position)

    def candidates(self, query: Standard) -> set[int]:
        """The alerts sharing a blocking key with `query`; a key shared by more than
        MAX_BLOCK alerts (a common surname with a birth year, among millions) is left out
        while a narrower key gives candidates: scoring thousands of namesakes costs more than
        the check may take, and the person sought shares the narrower keys too. When every key is
        broad, only the narrowest is used."""
        postings = [self.postings.get(key, []) for key in blocking_keys(query)]
        narrow = [p for p in postings if len(p) <= MAX_BLOCK]
        if not narrow and postings:  # every key broad: the narrowest one only
            narrow = [min(postings, key=len)]
        found: set[int] = set()
        for posting in narrow:
            found.update(posting)
        return found

    def screen(self, query: Standard, at: float = HIT_AT) -> list[Scored]:
        """(alert sequence number, score, explanation) of every candidate scoring `at` or more."""
        hits = []
        for position in self.candidates(query):
            bits, why = score(query, self.people[position], self.frequency)
            probability = 1.0 / (1.0 + 2.0 ** -(PRIOR_BITS + bits))
            if probability >= at:
                hits.append((self.seqs[position], round(probability, 4), why))
        return sorted(hits, key=lambda h: -h[1])

    @property
    def size(self) -> int:
        return len(self.people)


class Frequency:
    """How often each surname and given name occurs among the alerts: agreeing on a common
    name (Hernández, María) is weaker evidence than on a rare one (Splink's term frequencies)."""

    def __init__(self) -> None:
        self.surnames: Counter[str] = Counter()
        self.given: Counter[str] = Counter()
        self.total = 0

    def add(self, p: Standard) -> None:
        self.total += 1
        self.surnames.update(filter(None, (p.surname1, p.surname2)))
        self.given.update(p.given[:1])

    def bits(self, counts: Counter[str], name: str, low: float, high: float) -> float:
        """log2 of how unlikely two other people share `name`, between `low` and `high`."""
        # A few alerts say little of how common a name is among travellers: counted as if
        # among _POPULATION more people besides (a node with 10 alerts is not told that each
        # of their names is one traveller in ten).
        share = (counts.get(name, 0) + 1) / (self.total + _POPULATION)
        return min(high, max(low, -math.log2(share)))


def score(q: Standard, a: Standard, freq: Frequency) -> tuple[float, Evidence]:
    """The evidence, in bits, that query `q` is the person of alert `a`, field by field."""
    parts = [_surname1(q, a, freq), _surname2(q, a, freq), _given(q, a, freq),
             _birth(q.birth, a.birth), _nationality(q.nationality, a.nationality)]
    why = [{"field": f, "level": level, "bits": round(bits, 2)} for f, level, bits in parts
           if level]
    return sum(bits for _, _, bits in parts), why


def _similar(x: str, y: str) -> float:
    return jaro_winkler_similarity(x, y) if x and y else 0.0


def _surname1(q: Standard, a: Standard, freq: Frequency) -> tuple[str, str, float]:
    if not q.surname1 or not a.surname1:
        return ("surname1", "", 0.0)
    weight = freq.bits(freq.surnames, a.surname1, 2.0, 9.0)
    if q.surname1 == a.surname1:
        return ("surname1", "exact", weight)
    if q.surname1_key == a.surname1_key:
        return ("surname1", "sounds alike", weight - 1.5)
    if q.joined_key and q.joined_key == a.joined_key:
        return ("surname1", "the surnames written together", weight - 1.5)
    if _similar(q.surname1, a.surname1) >= 0.9:
        return ("surname1", "one or two letters differ", max(1.0, weight - 3.0))
    if q.surname1 == a.surname2 or a.surname1 == q.surname2:
        return ("surname1", "the other's second surname", max(1.0, weight - 3.0))
    return ("surname1", "differs", -8.0)


def _surname2(q: Standard, a: Standard, freq: Frequency) -> tuple[str, str, float]:
    if not q.surname2 or not a.surname2:
        return ("surname2", "", 0.0)
    weight = freq.bits(freq.surnames, a.surname2, 1.5, 7.0)
    if q.surname2 == a.surname2:
        return ("surname2", "exact", weight)
    if q.surname2_key == a.surname2_key:
        return ("surname2", "sounds alike", weight - 1.0)
    if _similar(q.surname2, a.surname2) >= 0.9:
        return ("surname2", "one or two letters differ", max(1.0, weight - 2.0))
    if q.surname2 == a.surname1:
        return ("surname2", "swapped", 1.0)
    return ("surname2", "differs", -3.0)


def _given(q: Standard, a: Standard, freq: Frequency) -> tuple[str, str, float]:
    if not q.given or not a.given:
        return ("given_names", "", 0.0)
    weight = freq.bits(freq.given, a.given[0], 2.0, 8.0)
    second = 1.0 if len(q.given) > 1 and len(a.given) > 1 and q.given[1] == a.given[1] else 0.0
    if q.given[0] == a.given[0]:
        return ("given_names", "first exact", weight + second)
    if q.canonical & a.canonical:
        return ("given_names", "same name (nickname or other given name)", weight - 1.5)
    if _similar(q.given[0], a.given[0]) >= 0.88:
        return ("given_names", "one or two letters differ", max(1.0, weight - 2.5) + second)
    return ("given_names", "differs", -5.0)


def _birth(q: str, a: str) -> tuple[str, str, float]:
    """Birth dates: a full date agreeing is rare evidence (one in ~18,000), a year one in ~50;
    full dates that differ in more than one part or a swap are two people."""
    if not q or not a:
        return ("birth_date", "", 0.0)
    if q == a:
        return ("birth_date", "exact", {10: 11.0, 7: 7.0}.get(len(q), 4.5))
    full = len(q) == 10 and len(a) == 10
    if full and q[5:7] == a[8:10] and q[8:10] == a[5:7]:
        return ("birth_date", "day and month swapped", 7.0)
    if full:
        same = sum(x == y for x, y in zip(q.split("-"), a.split("-"), strict=True))
        if same == 2:
            return ("birth_date", "one part differs (year, month or day)", 2.0)
        return ("birth_date", "differs", -10.0)
    if q.startswith(a) or a.startswith(q):
        return ("birth_date", "agrees as far as both go", 4.5 if min(len(q), len(a)) == 4 else 7.0)
    return ("birth_date", "differs", -8.0)


def _nationality(q: str, a: str) -> tuple[str, str, float]:
    if not q or not a:
        return ("nationality", "", 0.0)
    return ("nationality", "same", 0.5) if q == a else ("nationality", "differs", -1.0)


def explain(why: Iterable[dict[str, object]]) -> str:
    """One line: `surname1 exact +6.0; birth_date differs -6.0`."""
    return "; ".join(f"{w['field']} {w['level']} {float(str(w['bits'])):+.1f}" for w in why)


def bits_to_probability(bits: float) -> float:
    return 1.0 / (1.0 + math.pow(2.0, -(PRIOR_BITS + bits)))
