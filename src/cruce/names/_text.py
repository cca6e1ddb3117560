"""Text normalisation shared by every names module: accents, case, punctuation, spaces."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Apostrophes join rather than split ("D'Aubuisson" -> "daubuisson"): US systems drop them.
_APOSTROPHES = str.maketrans("", "", "'’‘`´ʼ")
_NON_WORD = re.compile(r"[\W_]+")

# Surname particles; they are dropped from comparison keys ("de la Cruz" ~ "Cruz").
PARTICLES = frozenset(
    "de del la las los y da das do dos di du van von der den le lo".split()  # noqa: SIM905
)


def _fold(text: str) -> str:
    """Casefold and strip combining marks until stable (casefold can add marks: 'İ')."""
    previous = None
    while text != previous:
        previous = text
        decomposed = unicodedata.normalize("NFKD", text.casefold())
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return text


def _latin_table() -> dict[int, str]:
    """Fold table for accented Latin letters, so the usual non-ASCII name skips NFKD."""
    table: dict[int, str] = {}
    for code in range(0xC0, 0x250):
        folded = _fold(chr(code))
        if folded.isascii():
            table[code] = folded
    return table


_LATIN = _latin_table()


def normalise(text: str) -> str:
    """Fold a string for comparison: no accents, casefolded, ñ→n, punctuation to spaces.

    Idempotent: ``normalise(normalise(x)) == normalise(x)``.

    >>> normalise("  María-José  PÉÑA, d'Aubuisson ")
    'maria jose pena daubuisson'
    """
    if text.isascii():
        folded = text.lower()
    else:
        folded = text.translate(_LATIN)
        folded = folded.lower() if folded.isascii() else _fold(folded)
    folded = folded.translate(_APOSTROPHES)
    return " ".join(_NON_WORD.sub(" ", folded).split())


@lru_cache(maxsize=1 << 18)
def norm_token(token: str) -> str:
    """`normalise` with a cache, for the hot per-token paths (a million records repeat tokens)."""
    return normalise(token)


@lru_cache(maxsize=1 << 18)
def strip_particles(text: str) -> str:
    """Normalised words of a name part without particles, joined: 'de la Cruz' -> 'cruz'.

    Words are joined without spaces so 'San Martín' and 'Sanmartín' agree.
    """
    words = norm_token(text).split()
    kept = [w for w in words if w not in PARTICLES]
    return "".join(kept or words)  # a lone initial "Y." is a name, not a particle


def is_all_upper(text: str) -> bool:
    """Police exports are upper case; it makes surnames-first order likelier."""
    return text.isupper()
