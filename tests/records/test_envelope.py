from datetime import date

import pytest

from cruce.errors import InvalidEnvelope
from cruce.records import TLP, Envelope, HandlingCode, SubjectCategory

VALID = dict(
    agency="hn_police", dataset="personas", purpose="gangs_organized_crime", handling_code="H2",
    tlp="AMBER", source_reliability="B", information_accuracy="2", retain_until="2031-01-01",
    subject_category="suspect",
)


def build(**changes: object) -> Envelope:
    return Envelope.build(**{**VALID, **changes})


def test_valid_envelope_is_typed() -> None:
    env = build()
    assert env.handling_code is HandlingCode.H2
    assert env.tlp is TLP.AMBER
    assert env.subject_category is SubjectCategory.SUSPECT
    assert env.retain_until == date(2031, 1, 1)
    assert env.is_shareable


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("agency", "HN Police", "envelope field 'agency': 'HN Police' is not a lowercase slug like 'hn_police'"),
        ("agency", "", "envelope field 'agency': '' is not a lowercase slug like 'hn_police'"),
        ("dataset", "bad dataset!", "envelope field 'dataset': 'bad dataset!' is not a dataset name"),
        ("purpose", "migration_control", "envelope field 'purpose': 'migration_control' is not one of trafficking_smuggling, gangs_organized_crime, intelligence, border_security"),
        ("subject_category", "informant", "envelope field 'subject_category': 'informant' is not one of suspect, victim, witness, migrant, other, unknown"),
        ("handling_code", "H4", "envelope field 'handling_code': 'H4' is not one of H0, H1, H2, H3"),
        ("tlp", "WHITE", "envelope field 'tlp': 'WHITE' is not one of CLEAR, GREEN, AMBER, AMBER+STRICT, RED"),
        ("source_reliability", "D", "envelope field 'source_reliability': 'D' is not one of A, B, C, X"),
        ("information_accuracy", "5", "envelope field 'information_accuracy': '5' is not one of 1, 2, 3, 4"),
        ("retain_until", "31/12/2031", "envelope field 'retain_until': '31/12/2031' is not a date (YYYY-MM-DD)"),
    ],
)
def test_bad_field_values_are_rejected_naming_the_field(field: str, value: str, message: str) -> None:
    with pytest.raises(InvalidEnvelope) as err:
        build(**{field: value})
    assert err.value.field == field
    assert str(err.value) == message


def test_unknown_field_is_rejected() -> None:
    with pytest.raises(InvalidEnvelope, match="'colour': unknown field"):
        build(colour="red")


def test_h3_needs_its_restriction_in_words() -> None:
    with pytest.raises(InvalidEnvelope, match="H3 needs the restriction stated as free text"):
        build(handling_code="H3")
    env = build(handling_code="H3", handling_restriction="not to be shown to the suspect's lawyer")
    assert env.handling_restriction


def test_only_h3_carries_a_restriction() -> None:
    with pytest.raises(InvalidEnvelope, match="only H3 carries a free-text restriction"):
        build(handling_code="H1", handling_restriction="something")


def test_unreleased_victim_must_be_red() -> None:
    with pytest.raises(InvalidEnvelope, match="an unreleased victim record must be RED"):
        build(subject_category="victim", tlp="AMBER", is_shareable=False)
    env = build(subject_category="victim", tlp="RED", is_shareable=False)
    assert env.is_victim and not env.is_shareable


def test_lower_case_vocabulary_is_accepted() -> None:
    env = build(tlp="amber+strict", handling_code="h1", source_reliability="x")
    assert env.tlp is TLP.AMBER_STRICT
    assert env.handling_code is HandlingCode.H1


def test_most_restrictive_tlp_wins() -> None:
    assert TLP.most_restrictive(TLP.GREEN, TLP.RED, TLP.AMBER) is TLP.RED
    assert TLP.most_restrictive(TLP.CLEAR, TLP.AMBER_STRICT) is TLP.AMBER_STRICT


def test_envelope_round_trips_through_its_dict() -> None:
    env = build(handling_code="H3", handling_restriction="no court use")
    data = env.to_dict()
    data.pop("provenance")
    again = Envelope.build(**data)
    assert again.to_dict() == env.to_dict() | {"provenance": {"file": None, "line": None}}


# -- one definition of the fields, and errors that name them (issue 11 #3, #6) -----------------

def test_the_store_and_the_mapping_take_their_fields_from_the_envelope() -> None:
    from cruce.ingest._mapping import ENVELOPE_KEYS
    from cruce.records import ENVELOPE_FIELDS, POLICY_FIELDS
    from cruce.store._schema import CONTENT_COLUMNS, ENVELOPE_COLUMNS, RECORD_COLUMNS

    fields, policy = ENVELOPE_FIELDS, POLICY_FIELDS
    assert fields == tuple(Envelope.__dataclass_fields__)
    assert policy == ENVELOPE_COLUMNS
    assert policy == tuple(f for f in fields if f not in ("provenance", "created_at", "updated_at"))
    assert RECORD_COLUMNS[5:5 + len(policy)] == policy
    assert set(CONTENT_COLUMNS) == {"schema", "properties", *policy} - {"agency", "dataset"}
    mapping_keys = ENVELOPE_KEYS
    assert mapping_keys == {*policy, "retention"} - {"agency", "dataset", "is_shareable"}


def test_a_missing_field_is_named_not_a_type_error() -> None:
    values = {k: v for k, v in VALID.items() if k != "tlp"}
    with pytest.raises(InvalidEnvelope) as err:
        Envelope.build(**values)
    assert (err.value.field, err.value.reason) == ("tlp", "missing")


def test_an_unknown_field_is_refused_with_the_nearest_one() -> None:
    with pytest.raises(InvalidEnvelope) as err:
        build(purpse="intelligence")
    assert str(err.value) == "envelope field 'purpse': unknown field (did you mean 'purpose'?)"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"handling_code": "H3", "handling_restriction": ["not", "text"]}, "handling_restriction"),
        ({"handling_code": "H3", "handling_restriction": "\ud800"}, "handling_restriction"),
        ({"is_shareable": "yes"}, "is_shareable"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"created_at": 5}, "created_at"),
        ({"provenance": ["file", 1]}, "provenance"),
        ({"agency": ["hn_police"]}, "agency"),
        ({"retain_until": 20310101}, "retain_until"),
    ],
)
def test_a_field_of_the_wrong_type_is_named(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidEnvelope) as err:
        build(**changes)
    assert err.value.field == field
