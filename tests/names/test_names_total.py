"""Name parsing is total: no text a record can carry makes a public names function raise.

One record's name must never sink a linkage run over tens of thousands (issue 11 #2). Two
generators: arbitrary Unicode (control characters, combining marks, every plane but
surrogates), and name-shaped text built from the pieces that make the parser branch:
particles, hyphens, particles glued to a surname (`DeEspinoza`, `-de-`), widow markers,
conjunctions, punctuation, initials, aliases, empty and one-letter parts.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cruce.names import (
    Layout,
    PersonName,
    canonical_given,
    is_common_moniker,
    moniker_key,
    moniker_weight,
    name_features,
    normalise,
    normalise_org_name,
    parse_name_parts,
    parse_person_name,
    phonetic_key,
)

_SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Every code point except surrogates (a str from JSON or a file never holds a lone one).
no_surrogates = st.characters(exclude_categories=["Cs"])
any_text = st.text(no_surrogates, max_size=60)

_PIECES = [
    "de", "De", "DE", "del", "de la", "de los", "de las", "la", "y", "e", "van", "von", "der",
    "da", "dos", "di", "du", "le", "San", "vda.", "Vda", "viuda de", "VIUDA DE", "vva.", "vda. de",
    "-", "-de-", "-De", "De-", "--", "‐", "–", ".", ",", ";", ":", "'", "’", "\"", "(", ")", "(a)",
    "alias", "a.k.a.", "'El Flaco'", "Ma.", "Mª", "J.L.", "N.N.", "S/N", "FNU", "Jr.", "III",
    "Sr.", "Dra.", "x", "A", "Ñ", "é", "\u0301", "\u200b", "\t", "\n", "0", "1", "",
    "Recinos", "Espinoza", "DeEspinoza", "DelaCruz", "Delacruz", "DELOSSANTOS", "Zelaya",
    "Santos", "Hernández", "García", "López", "Cruz", "León", "María", "José", "Guadalupe",
    "Marisol", "Ana", "Juan", "Chepe", "Tzoc", "Pop", "Caal", "İ", "ß", "ﬁ",
]
piece = st.sampled_from(_PIECES) | st.text(no_surrogates, max_size=3)
joiner = st.sampled_from(["", " ", "  ", "-", ", ", " - ", "."])


@st.composite
def name_like(draw: st.DrawFn) -> str:
    pieces = draw(st.lists(piece, max_size=9))
    out = ""
    for p in pieces:
        out += draw(joiner) + p
    return out


_GIVEN = ["Ana", "María", "Guadalupe Marisol", "Xiomara", "Juan", "José Luis", "Kevin", "L.", ""]
_SURNAME = ["Recinos", "Zelaya", "López", "Hernández", "Cruz", "Ponce", "Tzoc", "Qwerty", "X"]
_MARRIED = ["DeEspinoza", "Deespinoza", "DESANTOS", "DelaCruz", "DelCid", "De", "de", "Dex",
            "Santos", "León", "de León", "del Cid", "de la Cruz", "vda. de Pérez", "viuda de"]


@st.composite
def married_like(draw: st.DrawFn) -> str:
    """A woman's name as US and Central-American records write a married surname."""
    first = draw(st.sampled_from(_GIVEN))
    surnames = draw(st.lists(st.sampled_from(_SURNAME), min_size=0, max_size=3))
    glue = draw(st.sampled_from(["-", " ", "-de-", " de ", "-De", " vda. de ", " y ", "--", "- "]))
    married = draw(st.sampled_from(_MARRIED))
    text = f"{first} {' '.join(surnames)}{glue}{married}"
    return f"{text.split(' ', 1)[-1].upper()}, {first}" if draw(st.booleans()) else text


texts = married_like() | name_like() | any_text
layouts = st.sampled_from([None, *Layout])
fields = st.none() | texts


def _check(parsed: PersonName) -> None:
    features = name_features(parsed)
    assert set(features) >= {"given1", "surname1", "surname_all", "full_norm"}
    for part in (*parsed.given, *parsed.surnames):
        assert isinstance(part, str)


@_SETTINGS
@given(texts, layouts)
def test_parse_person_name_never_raises(text: str, layout: Layout | None) -> None:
    _check(parse_person_name(text, layout=layout))


@_SETTINGS
@given(fields, fields, fields, fields, fields, fields, layouts)
def test_parse_name_parts_never_raises(
    first: str | None, last: str | None, middle: str | None, father: str | None,
    mother: str | None, full: str | None, layout: Layout | None,
) -> None:
    _check(parse_name_parts(first=first, last=last, middle=middle, father=father,
                            mother=mother, full=full, layout=layout))


@_SETTINGS
@given(texts)
def test_text_level_functions_never_raise(text: str) -> None:
    assert normalise(normalise(text)) == normalise(text)
    assert isinstance(phonetic_key(text), str)
    assert all(isinstance(form, str) for form in canonical_given(text))
    assert isinstance(moniker_key(text), str)
    assert 0.0 <= moniker_weight(text) <= 1.0
    assert isinstance(is_common_moniker(text), bool)
    core, form = normalise_org_name(text)
    assert isinstance(core, str) and (form is None or isinstance(form, str))
