"""Name text to units: words with their particles ("de la Cruz"), initials, hyphen bonds.

A unit is what the layout scorer places on the given or the surname side: one word, or a
particle group, never split. Titles, suffixes, placeholders (N.N., FNU, NMN) and digits go.
"""

from __future__ import annotations

import re
from enum import IntEnum
from functools import lru_cache
from typing import NamedTuple

from cruce.names._lexicon import is_given, is_surname
from cruce.names._text import PARTICLES, norm_token, strip_particles


class Kind(IntEnum):
    WORD = 0
    INITIAL = 1
    WIDOW = 2  # the surname after "viuda de" / "vda. de": always the married name


class Unit(NamedTuple):
    text: str  # as written, particle included: "de la Cruz"
    core: str  # normalised, particle dropped: "cruz"
    particle: str  # normalised particle: "de la", or ""
    kind: Kind
    bonded: bool  # hyphen-joined to the next unit: "Hernández-García" never splits


class _Word(NamedTuple):
    text: str
    norm: str
    bonded: bool
    initial: bool


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_TITLES = _wordset("sr sra srta don dona dr dra lic licda licdo ing inga prof profa mr mrs ms miss")
SUFFIXES = _wordset("jr sr hijo ii iii iv")
_PLACEHOLDERS = _wordset(
    "nn xx xxx sn fnu lnu nmn nfn desconocido desconocida ignorado ignorada unknown null none"
)
_PLACEHOLDER_PHRASES = re.compile(
    r"\b(?:sin|no)\s+(?:nombre|apellidos?|datos|indica|consta|tiene|aplica)\b|\bn\s*/\s*[na]\b"
    r"|\bs\s*/\s*n\b",
    re.IGNORECASE,
)
# "Ma." and "Mª" are how registers abbreviate María; "Fco." Francisco, "Gpe." Guadalupe.
_ABBREVIATIONS = {
    "ma": "María",
    "fco": "Francisco",
    "fca": "Francisca",
    "gpe": "Guadalupe",
    "jse": "José",
}
_WIDOW = frozenset({"viuda", "vda", "vva"})
_SEPARATORS = frozenset({"y", "e"})
_ARTICLE_PARTICLES = frozenset({"la", "las", "los"})
_JOINED_PARTICLES = (
    ("delos", "de los"),
    ("delas", "de las"),
    ("dela", "de la"),
    ("del", "del"),
    ("de", "de"),
)
_INITIALS_RUN = re.compile(r"^(?:[^\W\d_]\.){2,}$")
_STRIP = " \t.,;:\"'()[]{}"
_HYPHENS = re.compile(r"[-‐–]")
_DIGIT = re.compile(r"\d")
_GLUED = re.compile(r"(?<=[^\W\d_])[./_+&:;](?=[^\W\d_]{2})")  # "JOSE.LUIS", "PEREZ/LOPEZ"


@lru_cache(maxsize=1 << 17)
def _expand(raw: str) -> tuple[_Word, ...]:
    """One whitespace-separated piece of text to words: hyphens bond, 'J.L.' splits."""
    if _INITIALS_RUN.match(raw):
        return tuple(_Word(c, c.lower(), False, True) for c in raw.split(".") if c)
    abbreviation = _ABBREVIATIONS.get(norm_token(raw)) if raw.endswith((".", "ª")) else None
    if abbreviation:
        return (_Word(abbreviation, norm_token(abbreviation), False, False),)
    pieces = [(part, p.endswith(".")) for p in _HYPHENS.split(raw)
              for part in _unjoined(p.strip(_STRIP))]
    pieces = [(p, dot) for p, dot in pieces if p and not _DIGIT.search(p)]
    words = []
    for index, (piece, dotted) in enumerate(pieces):
        norm = norm_token(piece)
        if norm:
            # a lone "y"/"e" is a conjunction unless written as an initial ("Y.")
            initial = len(norm) == 1 and (dotted or norm not in _SEPARATORS)
            words.append(_Word(piece, norm, index < len(pieces) - 1, initial))
    return tuple(words)


# Fronts glued to a surname that are part of it ('DelaCruz', 'SanMartin', 'McDonald').
_GLUED_FRONTS = PARTICLES | {j for j, _ in _JOINED_PARTICLES} | {"san", "santa", "mac", "mc"}
_CAMEL = re.compile(r"(?<=[a-záéíóúñü])(?=[A-ZÁÉÍÓÚÑÜ][a-záéíóúñü]{2})")


def _unjoined(piece: str) -> list[str]:
    """Two surnames US systems wrote as one word, without the hyphen: 'MejiaZepeda' (a capital
    inside) or 'BARRIOSJUAREZ' (two known surnames, the whole none), as if hyphenated."""
    camel = _CAMEL.split(piece)
    if len(camel) == 2 and len(camel[0]) >= 3 and norm_token(camel[0]) not in _GLUED_FRONTS:
        return camel
    norm = norm_token(piece)
    if len(norm) < 6 or len(norm) != len(piece) or is_surname(norm) or is_given(norm):
        return [piece]
    if any(norm.startswith(joined) for joined, _ in _JOINED_PARTICLES):
        return [piece]  # 'DELACRUZ' is 'de la Cruz' (_split_joined_particle)
    for cut in range(3, len(norm) - 2):
        first, second = norm[:cut], norm[cut:]
        # both known, or a rarer first surname before a common second one ('CANTURODRIGUEZ')
        if is_surname(second) and (is_surname(first) or (
                len(first) >= 4 and len(second) >= 5 and not is_given(first))):
            return [piece[:cut], piece[cut:]]
    return [piece]


def _unglue(match: re.Match[str]) -> str:
    return ". " if match.group() == "." else " "  # the dot still marks "Ma." as an abbreviation


def _is_placeholder(raw: str) -> bool:
    """'N.N.', 'S/N', 'X.X.' before they could be read as initials."""
    return norm_token(raw).replace(" ", "") in _PLACEHOLDERS


def to_words(text: str) -> list[_Word]:
    """Words of a name text without titles, suffixes and placeholders."""
    text = _GLUED.sub(_unglue, _PLACEHOLDER_PHRASES.sub(" ", text))
    words = [w for raw in text.split() if not _is_placeholder(raw) for w in _expand(raw)]
    while words and words[0].norm in _TITLES and len(words) > 1:
        words = words[1:]
    return [
        w
        for w in words
        if w.norm not in _PLACEHOLDERS and w.norm not in SUFFIXES and " " not in w.norm
    ]


def _split_joined_particle(word: _Word) -> tuple[str, str]:
    """'Delacruz' -> ('de la', 'cruz') when the rest is a known surname; US systems join them."""
    if is_given(word.norm) or is_surname(word.norm):
        return "", word.norm
    for joined, particle in _JOINED_PARTICLES:
        rest = word.norm[len(joined) :]
        if word.norm.startswith(joined) and len(rest) >= 3 and is_surname(rest):
            return particle, rest
    return "", word.norm


@lru_cache(maxsize=1 << 17)
def surname_key(text: str) -> str:
    """Comparison key of a surname as written: particles dropped, joined forms split.

    >>> surname_key("de la Cruz"), surname_key("DELACRUZ"), surname_key("San Martín")
    ('cruz', 'cruz', 'sanmartin')
    """
    norm = norm_token(text)
    if " " not in norm and norm:
        return _split_joined_particle(_Word(text, norm, False, False))[1]
    return strip_particles(text)


@lru_cache(maxsize=1 << 17)
def _unit(particles: tuple[_Word, ...], word: _Word, kind: Kind) -> Unit:
    if word.initial and not particles:  # "de la O" is a surname, not an initial
        return Unit(word.text, word.norm, "", Kind.INITIAL, word.bonded)
    particle = " ".join(p.norm for p in particles)
    core = word.norm
    if not particle:
        particle, core = _split_joined_particle(word)
    text = " ".join([*(p.text for p in particles), word.text])
    return Unit(text, core, particle, kind, word.bonded)


def marks_marriage(unit: Unit) -> bool:
    """'de Hernández', 'de del Cid': a 'de' before a whole surname (a wife's married name).

    'de la Cruz' is not one: there 'de la' belongs to the surname.
    """
    words = unit.particle.split()
    return bool(words) and words[0] == "de" and (len(words) == 1 or words[1] in ("de", "del"))


def to_units(text: str) -> list[Unit]:
    """Group the words of a name text into units.

    >>> [u.text for u in to_units("María de los Ángeles López vda. de Hernández")]
    ['María', 'de los Ángeles', 'López', 'Hernández']
    """
    return list(_to_units(text))


def _join_widowed_compound(units: list[Unit]) -> list[Unit]:
    """'viuda de Pérez-de-la-Cruz': the husband's surname is the whole hyphenated compound,
    its inner 'de la' part of the name (not a marriage 'de')."""
    out: list[Unit] = []
    for unit in units:
        before = out[-1] if out else None
        if (before is not None and before.kind == Kind.WIDOW and before.bonded
                and unit.particle and not marks_marriage(unit)):
            text = f"{before.text}-{unit.text.replace(' ', '-')}"
            out[-1] = Unit(text, before.core + unit.core, "", Kind.WIDOW, unit.bonded)
        else:
            out.append(unit)
    return out


@lru_cache(maxsize=1 << 18)
def _to_units(text: str) -> tuple[Unit, ...]:
    # The same field values recur across a million records: group each once.
    words = to_words(text)
    units: list[Unit] = []
    particles: list[_Word] = []
    kind = Kind.WORD
    for index, word in enumerate(words):
        last = index == len(words) - 1
        if word.norm in _WIDOW and not last:
            kind = Kind.WIDOW
        elif word.norm in _SEPARATORS and not word.initial and units and not last:
            continue  # "Pérez y López": the conjunction joins two surnames
        elif word.norm in PARTICLES and last and len(word.norm) > 1:
            continue  # a dangling "de" ends a truncated field
        elif word.norm in PARTICLES and not last and not word.initial:
            # "vda. de Pérez": de only marks the widowhood; "vda. de la Cruz": it is the name's
            if not (kind == Kind.WIDOW and word.norm == "de" and not particles) or (
                words[index + 1].norm in _ARTICLE_PARTICLES
            ):
                particles.append(word)
        else:
            units.append(_unit(tuple(particles), word, kind))
            particles, kind = [], Kind.WORD
    return tuple(_join_widowed_compound(units))
