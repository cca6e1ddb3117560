"""The alias split's shortcut (texts that cannot hold an alias are only re-spaced) gives the same
answer as the full split, for every alias form the full split knows."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cruce.names._aliases import _split_aliases, split_aliases_once

# Pieces of every alias form (_MARKER, _QUOTED, _PARENS), in any case and unicode folding that
# IGNORECASE matches (the Kelvin sign is a 'k', the long s an 's'), among name words and spaces.
_PIECES = [
    "alias", "ALIAS", "Alias:", "aliaſ", "a.k.a.", "A.K.A", "a. k. a.", "aka", "AKA", "a k a",
    "a/k/a", "A/K/A", "aKa", "a\u212aa", "conocido como", "CONOCIDA COMO", "conocidos  como",
    "apodado", "Apodada", "apodo", "sobrenombre", "nickname", "(a)", "(A)", '"', "'", "“", "”",
    "«", "»", "‘", "’", "(", ")", "[", "]", "el", "La", "Flaco", "Chepe", "o", "y/o", "/", ",",
    ";", ":", ".", "-", "JUAN", "Pérez", "de", "del", "Jr", "III", "de Hernández", "x",
    " ", "  ", "\t", "\u00a0",
]


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(_PIECES) | st.text(max_size=3), max_size=12))
def test_the_shortcut_answers_as_the_full_split(pieces: list[str]) -> None:
    for joiner in ("", " "):
        text = joiner.join(pieces)
        assert split_aliases_once(text) == _split_aliases(text), text


@given(st.text(max_size=40))
def test_the_shortcut_answers_as_the_full_split_on_any_text(text: str) -> None:
    assert split_aliases_once(text) == _split_aliases(text)
