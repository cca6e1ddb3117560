"""Aliases and monikers: pulled out of a name string, and weighed as (weak) evidence.

Records write aliases as 'alias X', '(a) X', 'a.k.a. X', 'conocido como X', in quotes or in
parentheses. Gang monikers (Flaco, Chino, Smiley...) are shared by many unrelated people, so
agreement on one says little: `moniker_weight` scales that evidence.
"""

from __future__ import annotations

import re
from functools import lru_cache

from cruce.names._lexicon import read_rows
from cruce.names._text import normalise
from cruce.names._units import SUFFIXES

_MARKER = re.compile(
    r"(?:^|(?<=[\s,;]))(?:alias|a\.?\s?k\.?\s?a\.?|a/k/a|conocid[oa]s?\s+como|apodad[oa]|apodo|"
    r"sobrenombre|nickname|\(a\))\s*[:.]?(?=[\s\"'“«(]|$)",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"\"([^\"]*)\"|“([^”]*)”|«([^»]*)»|‘([^’]*)’|(?<!\w)'([^']*)'(?!\w)")
_PARENS = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]")
_LIST_END = re.compile(r"[,;]")
_ALIAS_SEPARATOR = re.compile(r"\s+(?:o|y/o|or)\s+|\s*/\s*", re.IGNORECASE)
# A trailing "EL FLACO" after a name; "de la"/"del" never precede it.
_TRAILING_EL = re.compile(r"^(?P<name>.*?\S)\s+(?P<alias>(?:el|la)\s+[^\s,;]+)\s*$", re.I)
_BARE_MONIKER = re.compile(r"^(?:el|la|los|las)\s+\S+(?:\s+\S+)?$", re.IGNORECASE)
_KEEP_IN_NAME = ("de ", "del ", "vda", "viuda")
_ARTICLES = frozenset({"el", "la", "los", "las", "the", "lil", "little", "big", "baby"})

_CLASS_WEIGHT = {"very_common": 0.05, "common": 0.15}
MONIKER_CLASS: dict[str, str] = {row["moniker"]: row["class"] for row in read_rows("monikers.csv")}
COMMON_MONIKERS: frozenset[str] = frozenset(MONIKER_CLASS)


def _clean(alias: str) -> str:
    return " ".join(alias.strip(" \t.,;:-\"'“”«»‘’()[]").split())


def _take_quoted(text: str, aliases: list[str]) -> str:
    def keep(match: re.Match[str]) -> str:
        aliases.append(next(g for g in match.groups() if g is not None))
        return " "

    return _QUOTED.sub(keep, text)


def _take_parenthesised(text: str, aliases: list[str]) -> str:
    def keep(match: re.Match[str]) -> str:
        inner = next(g for g in match.groups() if g is not None)
        folded = normalise(inner)
        if folded == "a":  # "(a)" is an alias marker, handled by _MARKER
            return match.group(0)
        if folded.startswith(_KEEP_IN_NAME):  # "(de Hernández)" is part of the name
            return f" {inner} "
        if folded and folded not in SUFFIXES:
            aliases.extend(_marked_list(inner))
        return " "

    return _PARENS.sub(keep, text)


def _marked_list(text: str) -> list[str]:
    """The aliases of a parenthesis: '(alias Chepe o El Gordo)' -> Chepe, El Gordo."""
    return [a for part in _MARKER.split(text) for a in _ALIAS_SEPARATOR.split(part)]


def _take_marked(text: str, aliases: list[str]) -> str:
    parts = _MARKER.split(text)
    name = parts[0]
    for part in parts[1:]:
        alias, *rest = _LIST_END.split(part, maxsplit=1)  # "alias X, Juan Pérez": X ends at ","
        aliases.extend(_ALIAS_SEPARATOR.split(alias))
        name = " ".join([name, *rest])
    return name


# Every character or word an alias form starts with: a text without any has no alias, and is
# only re-spaced (most full names; they are unique per record, so caching them gains nothing).
_MAY_HOLD_ALIAS = re.compile(
    r"[\"“«‘'(\[]|alias|a\.?\s?k|a/k|conocid|apod|sobrenombre|nickname", re.IGNORECASE
)


def split_aliases(text: str) -> tuple[str, list[str]]:
    """(name text without aliases, aliases as written) for one name string."""
    name, aliases = split_aliases_once(text)
    return name, list(aliases)


def split_aliases_once(text: str) -> tuple[str, tuple[str, ...]]:
    """`split_aliases` with the aliases as a tuple, cached for texts that may hold one."""
    if not _MAY_HOLD_ALIAS.search(text):
        return " ".join(text.split()), ()
    return _split_aliases(text)


@lru_cache(maxsize=1 << 18)
def _split_aliases(text: str) -> tuple[str, tuple[str, ...]]:
    # Field values repeat across records (first names, surnames): split each once.
    aliases: list[str] = []
    text = _take_quoted(text, aliases)
    text = _take_parenthesised(text, aliases)
    text = _take_marked(text, aliases)
    found = [_clean(a) for a in aliases]
    return " ".join(text.split()), tuple(a for a in found if normalise(a))


def split_bare_moniker(name: str) -> tuple[str, str | None]:
    """Split an unmarked article moniker off a name: 'JOSE LOPEZ EL FLACO', 'El Flaco'."""
    if _BARE_MONIKER.match(name):
        return "", name
    match = _TRAILING_EL.match(name)
    if match:
        before = normalise(match.group("name")).split()
        if before and before[-1] not in {"de", "del", "y"}:
            return match.group("name"), match.group("alias")
    return name, None


@lru_cache(maxsize=1 << 16)
def moniker_key(alias: str) -> str:
    """The comparison form of an alias: normalised, leading articles and modifiers dropped.

    >>> moniker_key('"El Flaco"')
    'flaco'
    """
    words = normalise(alias).split()
    while len(words) > 1 and words[0] in _ARTICLES:
        words = words[1:]
    return " ".join(words)


def is_common_moniker(alias: str) -> bool:
    """True when the alias is one many unrelated people carry (Flaco, Chino, Smiley...).

    >>> is_common_moniker("EL FLACO"), is_common_moniker("Lil Smiley"), is_common_moniker("Tzul")
    (True, True, False)
    """
    return moniker_key(alias) in MONIKER_CLASS


def moniker_weight(alias: str) -> float:
    """How much an alias agreement should count, from 0 (none) to 1 (as much as a full name).

    Common monikers weigh 0.05-0.15; an uncommon one-word alias 0.5; a longer one 0.7.
    Linkage code multiplies alias-match evidence by this weight.

    >>> moniker_weight("El Chino"), moniker_weight("Chepe Tres Dedos")
    (0.05, 0.7)
    """
    key = moniker_key(alias)
    if not key:
        return 0.0
    if key in MONIKER_CLASS:
        return _CLASS_WEIGHT[MONIKER_CLASS[key]]
    return 0.5 if " " not in key else 0.7
