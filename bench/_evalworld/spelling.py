"""How clerks and scanners change names: phonetic and orthographic variants, OCR confusions,
typos, hypocorisms, accents and case."""

from __future__ import annotations

import random
import unicodedata

from .tables import HYPOCORISMS

# Spanish spellings that sound alike (Lobo/Lovo, Cuc/Kuc, Zelaya/Selaya, Castillo/Castiyo...).
PHONETIC: tuple[tuple[str, str], ...] = (
    ("b", "v"), ("v", "b"), ("z", "s"), ("s", "z"), ("ce", "se"), ("ci", "si"), ("c", "k"),
    ("k", "c"), ("qu", "k"), ("ll", "y"), ("y", "ll"), ("j", "g"), ("gi", "ji"), ("ge", "je"),
    ("x", "j"), ("i", "y"), ("ñ", "n"), ("ü", "u"), ("rr", "r"), ("h", ""),
    ("ez", "es"), ("es", "ez"), ("nn", "n"), ("tz", "z"),
)

# What a scanner reads for a smudged letter (Zelaya -> Zclaya).
OCR: tuple[tuple[str, str], ...] = (
    ("e", "c"), ("rn", "m"), ("m", "rn"), ("l", "I"), ("I", "l"), ("o", "0"), ("a", "o"),
    ("n", "ri"), ("h", "b"), ("u", "v"), ("cl", "d"), ("i", "l"), ("S", "5"), ("B", "8"),
)


def _replace_one(word: str, table: tuple[tuple[str, str], ...], rng: random.Random) -> str:
    """One occurrence of one applicable rule (case-insensitive match, case kept)."""
    lower = word.lower()
    options = [(a, b, i) for a, b in table
               for i in range(len(lower)) if lower.startswith(a.lower(), i)]
    if not options:
        return word
    a, b, i = rng.choice(options)
    if (a.isupper() or b.isupper()) and not word.startswith(a, i):
        return word  # OCR rules on capitals apply to the exact letter
    piece = b.upper() if word[i:i + len(a)].isupper() and len(word) > 1 else b
    if i == 0 and word[:1].isupper() and piece:
        piece = piece[0].upper() + piece[1:]
    return word[:i] + piece + word[i + len(a):]


def phonetic(word: str, rng: random.Random) -> str:
    return _replace_one(word, PHONETIC, rng)


def ocr(word: str, rng: random.Random) -> str:
    return _replace_one(word, OCR, rng)


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return word[:i] + word[i + 1:]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def hypocorism(name: str, rng: random.Random) -> str:
    forms = HYPOCORISMS.get(name) or HYPOCORISMS.get(_accented(name))
    return rng.choice(forms) if forms else name


def _accented(name: str) -> str:
    for full in HYPOCORISMS:
        if strip_accents(full) == name:
            return full
    return name


def garble(word: str, rng: random.Random, phon: float, ocr_rate: float, typo_rate: float
           ) -> str:
    """Each kind of error at most once per word, each at its own rate."""
    if rng.random() < phon:
        word = phonetic(word, rng)
    if rng.random() < ocr_rate:
        word = ocr(word, rng)
    if rng.random() < typo_rate:
        word = typo(word, rng)
    return word
