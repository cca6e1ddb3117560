"""The one id rule (records._ids) and the text a store can hold (records._text)."""

import pytest

from cruce.errors import InvalidEntityField
from cruce.ingest import entity_id
from cruce.records import check_record_id, id_problem, make_entity
from cruce.records._text import text_problem


@pytest.mark.parametrize("good", ["hn-001", "Q42", "ofac-123", "a.b_c:d", "x" * 64,
                                  entity_id("hn_police", ["HN-1"])])
def test_ids_cruce_and_ftm_tools_make_follow_the_rule(good: str) -> None:
    assert check_record_id(good) == good


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (["a", "b"], "must be text, not list"),
        (7, "must be text, not int"),
        (None, "must be text, not NoneType"),
        ("", "must not be empty"),
        ("x" * 65, "is 65 characters long; at most 64"),
        ("a/b", "'a/b' has characters outside A-Z a-z 0-9 . _ : -"),
        ("ña", "'ña' has characters outside A-Z a-z 0-9 . _ : -"),
        ("a b", "'a b' has characters outside A-Z a-z 0-9 . _ : -"),
    ],
)
def test_ids_outside_the_rule_are_refused_naming_why(bad: object, reason: str) -> None:
    assert id_problem(bad) == reason
    with pytest.raises(InvalidEntityField) as err:
        make_entity({"id": bad, "schema": "Person", "properties": {}})
    assert (err.value.field, err.value.reason) == ("id", reason)


def test_a_stored_row_is_read_whatever_rule_held_when_it_entered() -> None:
    entity = make_entity({"id": "ña", "schema": "Person", "properties": {}}, is_stored=True)
    assert entity.id == "ña"


@pytest.mark.parametrize(("text", "problem"), [
    ("Ana", None), ("A\x00na", "holds a NUL character"),
    ("\udcff", "holds a lone surrogate (\\udcff), which is not text"),
    ("x" * 11, "is 11 characters long; at most 10"),
])
def test_text_a_store_cannot_hold_is_named(text: str, problem: str | None) -> None:
    assert text_problem(text, 10) == problem
