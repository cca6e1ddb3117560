"""Where the given names end and the surnames start: a small deterministic scorer.

Every admissible split of the units (given-first with k given units, surnames-first with m
surname units) gets a log-likelihood-like score: how well each unit fits its side (from the
lexicons), how usual the counts are (two surnames, one or two given names), and a layout
prior (upper-case police exports are usually surnames-first). The best split wins; ties go
to the earlier candidate, given-first before surnames-first, so results are deterministic.
"""

from __future__ import annotations

from itertools import accumulate

from cruce.names._lexicon import AMBIGUOUS, DEVOTIONAL, is_given, is_surname
from cruce.names._model import Layout
from cruce.names._units import Kind, Unit, marks_marriage

Scores = tuple[float, float]  # (fit as a given name, fit as a surname)

_GIVEN_ONLY: Scores = (0.0, -3.0)
_SURNAME_ONLY: Scores = (-3.0, 0.0)
_BOTH = {"given": (-0.2, -1.2), "surname": (-1.2, -0.2), None: (-0.5, -0.5)}
_UNKNOWN: Scores = (-0.9, -0.7)  # unknown words are slightly more often rare surnames
_PATRONYMIC: Scores = (-1.5, -0.3)  # unknown -ez words: Xuarez, Ybañez
_INITIAL: Scores = (0.0, -1.5)  # a trailing "G." can be a maternal initial
_DEVOTIONAL = {"strong": (0.0, -2.0), "medium": (-0.1, -1.0), "weak": (-0.6, -0.5)}

# Counts: most names have one or two given names and two surnames.
_GIVEN_COUNT = (-1.5, 0.0, 0.0, -0.8, -2.0)
_SURNAME_COUNT = (-1.5, -0.4, 0.0, -2.0, -4.0)
_SURNAMES_FIRST_PRIOR = -1.0
_SURNAMES_FIRST_PRIOR_UPPER = -0.2


def _word_scores(core: str) -> Scores:
    given, surname = is_given(core), is_surname(core)
    if given and surname:
        return _BOTH[AMBIGUOUS.get(core)]
    if given:
        return _GIVEN_ONLY
    if surname:
        return _SURNAME_ONLY
    return _PATRONYMIC if core.endswith("ez") and len(core) > 4 else _UNKNOWN


def unit_scores(units: list[Unit]) -> list[Scores]:
    """(given fit, surname fit) of each unit; a devotional phrase needs a given name before it."""
    scores = []
    for index, unit in enumerate(units):
        if unit.kind == Kind.INITIAL:
            scores.append(_INITIAL)
        elif unit.particle:
            strength = DEVOTIONAL.get((unit.particle, unit.core))
            previous = units[index - 1] if index else None
            after_given = previous is not None and not previous.particle and is_given(previous.core)
            scores.append(_DEVOTIONAL[strength] if strength and after_given else _SURNAME_ONLY)
        else:
            scores.append(_word_scores(unit.core))
    return scores


def _count(table: tuple[float, ...], n: int) -> float:
    return table[n] if n < len(table) else table[-1]


def _surname_count(units: list[Unit]) -> int:
    """Surname units, not counting a trailing 'de X' (a married name, scored apart)."""
    n = len(units)
    if n >= 2 and marks_marriage(units[-1]):
        n -= 1
    return n


def choose_split(
    units: list[Unit], scores: list[Scores], layout: Layout | None, upper: bool
) -> tuple[Layout, int]:
    """The best (layout, split): given-first means units[:split] are given names,
    surnames-first means units[:split] are surnames."""
    n = len(units)
    as_given = [0.0, *accumulate(s[0] for s in scores)]
    as_surname = [0.0, *accumulate(s[1] for s in scores)]
    bonded = [i for i in range(1, n) if units[i - 1].bonded]
    best: tuple[float, Layout, int] | None = None
    if layout in (None, Layout.GIVEN_FIRST):
        for k in range(n + 1):
            if k in bonded:
                continue
            score = as_given[k] + as_surname[n] - as_surname[k]
            score += _count(_GIVEN_COUNT, k) + _count(_SURNAME_COUNT, _surname_count(units[k:]))
            if best is None or score > best[0]:
                best = (score, Layout.GIVEN_FIRST, k)
    if layout in (None, Layout.SURNAMES_FIRST):
        prior = _SURNAMES_FIRST_PRIOR_UPPER if upper else _SURNAMES_FIRST_PRIOR
        stop = n + 1 if layout is Layout.SURNAMES_FIRST else n
        for m in range(1, stop):
            if m in bonded:
                continue
            score = prior + as_surname[m] + as_given[n] - as_given[m]
            score += _count(_SURNAME_COUNT, _surname_count(units[:m]))
            score += _count(_GIVEN_COUNT, n - m)
            if best is None or score > best[0]:
                best = (score, Layout.SURNAMES_FIRST, m)
    assert best is not None  # n >= 1 always yields a candidate
    return best[1], best[2]


def surname_like(score: Scores) -> bool:
    """The unit fits the surname side better than the given side."""
    return score[1] > score[0]
