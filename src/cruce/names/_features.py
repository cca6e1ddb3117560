"""Comparison columns for linkage (Splink), computed from a parsed name."""

from __future__ import annotations

from functools import lru_cache

from cruce.names._aliases import moniker_key
from cruce.names._hypocorisms import canonical_given_forms
from cruce.names._model import PersonName
from cruce.names._phonetic import phonetic_key
from cruce.names._text import PARTICLES, norm_token, strip_particles
from cruce.names._units import surname_key

Features = dict[str, str | list[str] | None]


@lru_cache(maxsize=1 << 18)
def _given_key(text: str) -> str:
    """'de los Ángeles' -> 'angeles', 'L.' -> 'l'."""
    return strip_particles(text)


@lru_cache(maxsize=1 << 18)
def _canonical_words(key: str) -> tuple[str, ...]:
    """Every word of every canonical form: 'chema' -> ('jose', 'maria')."""
    words = (word for form in canonical_given_forms(key) for word in form.split())
    return tuple(dict.fromkeys(words))


@lru_cache(maxsize=1 << 18)
def _words(part: str) -> tuple[str, ...]:
    """Normalised words of a name part without particles (kept when it is nothing else)."""
    words = norm_token(part).split()
    return tuple(w for w in words if w not in PARTICLES) or tuple(words)


def _surname(part: str | None) -> str | None:
    return (surname_key(part) or None) if part else None


def _phonetic(key: str | None) -> str | None:
    return (phonetic_key(key) or None) if key else None


def name_features(parsed: PersonName) -> Features:
    """Standardised comparison columns of a parsed name, for a Splink comparison table.

    given1, given2, given_all: normalised given names (particles dropped: "angeles");
    given1_canonical: the first canonical form's first word ("Chepe" -> "jose");
    given_canonical_all: every word of every canonical form of every given name, for array
    intersection ("Beto" -> alberto, roberto, ...);
    surname1, surname2: paternal and maternal, normalised, particles dropped and words joined
    ("de la Cruz" -> "cruz", "San Martín" -> "sanmartin"); surname_all adds extra and married;
    surname_married: the husband's surname ("Zelaya de Santos" -> "santos"), else None;
    *_phonetic: phonetic_key of the column; full_norm: all name words sorted (order-proof);
    aliases_norm: aliases normalised without articles ("El Flaco" -> "flaco").

    >>> from cruce.names import parse_person_name
    >>> f = name_features(parse_person_name("HERNANDEZ GARCIA, CHEPE"))
    >>> f["given1"], f["given1_canonical"], f["surname1"], f["surname2"], f["full_norm"]
    ('chepe', 'jose', 'hernandez', 'garcia', 'chepe garcia hernandez')
    """
    given_all = [key for key in map(_given_key, parsed.given) if key]
    surname1, surname2 = _surname(parsed.paternal), _surname(parsed.maternal)
    married = _surname(parsed.married)
    surname_all = [key for key in map(surname_key, parsed.surnames) if key]
    given1 = given_all[0] if given_all else None
    canonical_all = [word for key in given_all for word in _canonical_words(key)]
    full_words = sorted(w for part in (*parsed.given, *parsed.surnames) for w in _words(part))
    return {
        "given1": given1,
        "given2": given_all[1] if len(given_all) > 1 else None,
        "given_all": given_all,
        "given1_canonical": _canonical_words(given1)[0] if given1 else None,
        "given_canonical_all": list(dict.fromkeys(canonical_all)),
        "surname1": surname1,
        "surname2": surname2,
        "surname_all": surname_all,
        "surname_married": married,
        "given1_phonetic": _phonetic(given1),
        "surname1_phonetic": _phonetic(surname1),
        "surname2_phonetic": _phonetic(surname2),
        "full_norm": " ".join(full_words),
        "aliases_norm": [key for key in map(moniker_key, parsed.aliases) if key],
    }
