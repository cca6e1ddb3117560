"""Hypocorisms and diminutives to formal given names: Chepe -> José, Paquito -> Francisco."""

from __future__ import annotations

from functools import lru_cache

from cruce.names._lexicon import GIVEN_SEX, HYPOCORISMS
from cruce.names._text import norm_token

# Diminutive endings and what they replace, tried in order: Carlitos -> Carlos,
# Paquito -> Paco, Dieguito -> Diego, Carmencita -> Carmen, Juanito -> Juan, Anita -> Ana;
# Central America also uses -ico/-ica (Costa Rica, Honduras) and -illo/-illa.
_DIMINUTIVES: tuple[tuple[str, str], ...] = (
    ("citos", "s"),
    ("citas", "s"),
    ("itos", "os"),
    ("itas", "as"),
    ("quito", "co"),
    ("quita", "ca"),
    ("guito", "go"),
    ("guita", "ga"),
    ("cito", ""),
    ("cita", ""),
    ("ito", "o"),
    ("ita", "a"),
    ("ito", ""),
    ("ita", ""),
    ("ico", "o"),
    ("ica", "a"),
    ("ico", ""),
    ("ica", ""),
    ("illo", "o"),
    ("illa", "a"),
)


def _known(key: str) -> tuple[str, ...] | None:
    if key in HYPOCORISMS:
        forms = HYPOCORISMS[key]
        # "Tito", "Rita", "Alex" are also registered names: keep the word itself last
        return forms + ((key,) if key in GIVEN_SEX and key not in forms else ())
    if key in GIVEN_SEX:
        return (key,)
    return None


def _undiminish(key: str) -> tuple[str, ...] | None:
    for ending, replacement in _DIMINUTIVES:
        if key.endswith(ending) and len(key) - len(ending) >= 2:
            forms = _known(key[: -len(ending)] + replacement)
            if forms:
                return forms
    return None


@lru_cache(maxsize=1 << 16)
def canonical_given_forms(token: str) -> tuple[str, ...]:
    """Canonical forms of a given-name token, most likely first (normalised).

    >>> canonical_given_forms("Beto")[:2]
    ('alberto', 'roberto')
    """
    key = norm_token(token)
    if not key:
        return ()
    return _known(key) or _undiminish(key) or (key,)


def canonical_given(token: str) -> frozenset[str]:
    """The formal given name(s) a given-name token stands for, normalised.

    A hypocorism maps to its formal name(s) (several when ambiguous), a diminutive to its
    base name, any other token to itself. Multi-word forms stay whole ("jose maria").

    >>> sorted(canonical_given("Chepe")), sorted(canonical_given("PAQUITO"))
    (['jose'], ['francisco'])
    >>> sorted(canonical_given("Chema")), "roberto" in canonical_given("Beto")
    (['jose maria'], True)
    """
    return frozenset(canonical_given_forms(token))
