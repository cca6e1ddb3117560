"""The fast canonical encoding of events is byte for byte the reference encoding."""

from datetime import UTC, datetime, timedelta, timezone

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
