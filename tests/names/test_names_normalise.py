"""normalise and phonetic_key: fixed examples and properties over arbitrary text."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cruce.names import (
    Layout,
    name_features,
    normalise,
    normalise_org_name,
    parse_name_parts,
    parse_person_name,
    phonetic_key,
)

SPANISH_LETTERS = string.ascii_letters + "áéíóúüñÁÉÍÓÚÜÑ"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("José Luis", "jose luis"),
        ("  PEÑA   NÚÑEZ ", "pena nunez"),
        ("Hernández-García", "hernandez garcia"),
        ("D'Aubuisson", "daubuisson"),
        ("Mª. de los Ángeles", "ma de los angeles"),
        ("S.A. de C.V.", "s a de c v"),
        ("Müller Straße", "muller strasse"),
        ("“El Flaco”", "el flaco"),
        ("", ""),
        ("---", ""),
    ],
)
def test_normalise_strips_accents_case_and_punctuation(text, expected):
    assert normalise(text) == expected


@given(st.text())
def test_normalise_never_crashes_and_is_idempotent(text):
    once = normalise(text)
    assert normalise(once) == once
    assert once == once.strip()
    assert "  " not in once


@given(st.text())
def test_normalise_output_has_no_uppercase_and_no_punctuation(text):
    out = normalise(text)
    assert out == out.casefold()
    assert all(c.isalnum() or c == " " for c in out)


@given(st.text())
def test_phonetic_key_never_crashes_and_is_upper_ascii(text):
    key = phonetic_key(text)
    assert key == "" or (key.isascii() and key.isalpha() and key.isupper())


@given(st.text())
def test_phonetic_key_is_stable_under_normalise(text):
    assert phonetic_key(normalise(text)) == phonetic_key(text)


@given(st.text(alphabet=SPANISH_LETTERS + " -.'", max_size=30))
def test_phonetic_key_ignores_case_and_accents_of_spanish_text(text):
    assert phonetic_key(text.upper()) == phonetic_key(text.lower()) == phonetic_key(text)
    assert phonetic_key(normalise(text)) == phonetic_key(text)


@given(st.text(max_size=80))
@settings(max_examples=300)
def test_parser_and_features_never_crash_on_arbitrary_text(text):
    parsed = parse_person_name(text)
    features = name_features(parsed)
    assert parse_person_name(text) == parsed  # deterministic
    assert set(features) >= {"given1", "surname1", "full_norm"}


@given(st.text(max_size=80))
def test_org_normaliser_never_crashes_and_keeps_a_core_when_there_is_text(text):
    core, form = normalise_org_name(text)
    assert core == normalise(core)
    if normalise(text):
        assert core
    assert form is None or isinstance(form, str)


NAMEISH = st.lists(
    st.sampled_from(
        [*"abcñáXYZ .,-'\"()«»“”/;", "de ", "la ", "del ", "vda ", "alias ", "(a) ", "El "]
        + ["Y. ", "N.N. ", "Ma. ", "JR ", "José ", "PEREZ ", "Tzul "]
    ),
    max_size=20,
).map("".join)


@given(NAMEISH, st.sampled_from([None, *Layout]))
@settings(max_examples=300)
def test_parser_never_yields_empty_name_parts(text, layout):
    parsed = parse_person_name(text, layout=layout)
    assert all(normalise(part) for part in (*parsed.given, *parsed.surnames, *parsed.aliases))
    fielded = parse_name_parts(first=text, middle=text[:6], last=text[::-1], full=text)
    assert name_features(fielded)["full_norm"] == " ".join(
        sorted(name_features(fielded)["full_norm"].split())  # type: ignore[union-attr]
    )
