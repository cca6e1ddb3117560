"""The fast canonical encoding of events is byte for byte the reference encoding."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cruce.audit._events import (
    MAX_LISTED_IDS,
    AccessEvent,
    Actor,
    Justification,
    Operation,
    canonical,
)

texts = st.text(max_size=12)
events = st.builds(
    AccessEvent,
    operation=st.sampled_from(Operation),
    actor=st.builds(Actor, texts, texts, texts),
    justification=st.builds(Justification, texts, texts, texts, texts),
    record_ids=st.lists(texts, max_size=5).map(tuple),
    recipients=st.lists(texts, max_size=3).map(tuple),
    batch=st.none() | texts,
    details=st.dictionaries(texts, st.none() | st.integers() | texts | st.booleans(), max_size=3),
    at=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                    timezones=st.sampled_from([UTC, timezone(timedelta(hours=-6))])),
)


@given(events)
def test_fast_encoding_equals_the_reference(event: AccessEvent) -> None:
    assert event.encode() == canonical(event.to_dict()).encode("utf-8")


def test_bulk_events_encode_their_digest_the_same_way() -> None:
    ids = tuple(f"id-{i:05d}" for i in range(MAX_LISTED_IDS + 5))
    actor, why = Actor("hn_police", "u"), Justification("intelligence")
    listed = AccessEvent(Operation.COLLECTION, actor, why, ids)
    given_digest = AccessEvent(Operation.COLLECTION, actor, why, record_count=len(ids),
                               record_digest=listed.to_dict()["record_digest"], at=listed.at)
    assert listed.encode() == canonical(listed.to_dict()).encode("utf-8")
    assert given_digest.encode() == listed.encode()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=4),
       st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                    timezones=st.none() | st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))])))
def test_nested_details_and_any_time_encode_as_the_reference(details, at) -> None:
    event = AccessEvent(Operation.DISCLOSURE, Actor("a", "u"), Justification("p"),
                        recipients=("sv_pnc", "hn_police"), details=details, at=at)
    assert event.encode() == canonical(event.to_dict()).encode("utf-8")


def test_whole_seconds_keep_their_microseconds_field() -> None:
    at = datetime(2026, 11, 28, 5, 48, 40, tzinfo=UTC)
    event = AccessEvent(Operation.ERASURE, Actor("a", "u"), Justification("p"), at=at)
    assert b'"at":"2026-11-28T05:48:40.000000Z"' in event.encode()
    assert event.encode() == canonical(event.to_dict()).encode("utf-8")


def test_kept_part_encodings_follow_the_object_not_its_id() -> None:
    why = Justification("p")
    first = AccessEvent(Operation.CONSULTATION, Actor("a", "u1"), why)
    assert b'"user":"u1"' in first.encode()
    for user in ("u2", "u3"):  # new actors, possibly at a recycled address
        event = AccessEvent(Operation.CONSULTATION, Actor("a", user), why)
        assert event.encode() == canonical(event.to_dict()).encode("utf-8")
    other_op = AccessEvent(Operation.DISCLOSURE, first.actor, why, at=first.at)
    assert other_op.encode() == canonical(other_op.to_dict()).encode("utf-8")


def test_unencodable_details_fail_like_the_reference() -> None:
    circular: dict[str, object] = {}
    circular["self"] = circular
    event = AccessEvent(Operation.CONSULTATION, Actor("a", "u"), Justification("p"),
                        details=circular)
    with pytest.raises(ValueError, match="Circular"):
        event.encode()
    odd = AccessEvent(Operation.CONSULTATION, Actor("a", "u"), Justification("p"),
                      details={"x": object()})
    with pytest.raises(TypeError):
        odd.encode()
