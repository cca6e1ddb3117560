"""Organisation names: the core name and its legal form ("S.A. de C.V.", "LLC", ...)."""

from __future__ import annotations

import re

from cruce.names._lexicon import read_rows
from cruce.names._text import normalise

_LEADING_LINKS = frozenset({"de", "del", "la", "las", "los", "para", "pro"})
_SINGLE_LETTER_RUN = re.compile(r"\b(?:[a-z] )+[a-z]\b")


def _joined(variant: str) -> str:
    """'s a de c v' -> 'sa de cv': registers write legal forms with and without the dots."""
    return _SINGLE_LETTER_RUN.sub(lambda m: m.group(0).replace(" ", ""), variant)


def _load() -> tuple[dict[tuple[str, ...], str], dict[tuple[str, ...], str]]:
    suffixes: dict[tuple[str, ...], str] = {}
    prefixes: dict[tuple[str, ...], str] = {}
    for row in read_rows("org_legal_forms.csv"):
        table = prefixes if row["position"] == "prefix" else suffixes
        for variant in row["variants"].split("|"):
            for form in (variant, _joined(variant)):
                table.setdefault(tuple(form.split()), row["form"])
    return suffixes, prefixes


_SUFFIX_FORMS, _PREFIX_FORMS = _load()
_LONGEST = max(len(key) for key in (*_SUFFIX_FORMS, *_PREFIX_FORMS))


def _match_suffix(words: list[str]) -> tuple[list[str], str | None]:
    for size in range(min(_LONGEST, len(words) - 1), 0, -1):
        form = _SUFFIX_FORMS.get(tuple(words[-size:]))
        if form:
            return words[:-size], form
    return words, None


def _match_prefix(words: list[str]) -> tuple[list[str], str | None]:
    for size in range(min(_LONGEST, len(words) - 1), 0, -1):
        form = _PREFIX_FORMS.get(tuple(words[:size]))
        if form:
            rest = words[size:]
            while len(rest) > 1 and rest[0] in _LEADING_LINKS:
                rest = rest[1:]
            return rest, form
    return words, None


def normalise_org_name(text: str) -> tuple[str, str | None]:
    """(core name normalised, canonical legal form or None).

    A legal form at the end (S.A. de C.V., S. de R.L., Ltda., LLC, Inc., Corp., Cía.) or at
    the start (Asociación, Fundación, Cooperativa) is split off; the core is never emptied:
    a name that is only a legal form stays the core.

    >>> normalise_org_name("Inversiones El Progreso, S. de R.L. de C.V.")
    ('inversiones el progreso', 'S. de R.L. de C.V.')
    >>> normalise_org_name("TRANSPORTES RAPIDOS SA DE CV")
    ('transportes rapidos', 'S.A. de C.V.')
    >>> normalise_org_name("Asociación de Ganaderos de Olancho")
    ('ganaderos de olancho', 'Asociación')
    """
    words = normalise(text).split()
    core, form = _match_suffix(words)
    if form is None:
        core, form = _match_prefix(words)
    return " ".join(core), form
