from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from share_support import make_record

from cruce.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from cruce.share import ConsentBook, ConsentStatus, decide
from cruce.store import open_store

AT = datetime(2026, 3, 1, tzinfo=UTC)
REC = make_record("hn-1", tlp="GREEN", handling_code="H2")


def ask(book: ConsentBook) -> str:
    return book.request(
        record_id=REC.id, provider="hn_police", requester="gt_police", recipient="sv_police",
        purpose="gangs_organized_crime", justification="joint operation against MS-13 cell",
        at=AT,
    ).request_id


def onward(book: ConsentBook) -> bool:
    consent = book.consent_for(REC.id, recipient="sv_police", purpose="gangs_organized_crime")
    return decide(REC, sender="gt_police", recipient="sv_police", purpose="gangs_organized_crime",
                  consent=consent, supervisor_release=None, onward=True).allowed


def test_request_then_grant_allows_h2_onward_sharing() -> None:
    book = ConsentBook(open_store(":memory:"))
    request_id = ask(book)
    assert [r.request_id for r in book.pending("hn_police")] == [request_id]
    assert not onward(book)
    consent = book.grant(request_id, by="hn.supervisor", agency="hn_police", at=AT)
    assert consent.granted and book.answer(request_id) == consent
    assert book.pending() == []
    assert onward(book)


def test_refusal_keeps_onward_sharing_denied() -> None:
    book = ConsentBook(open_store(":memory:"))
    request_id = ask(book)
    book.refuse(request_id, by="hn.supervisor", agency="hn_police", reason="ongoing covert op")
    assert not onward(book)


def test_revoking_after_a_grant_denies_again_and_history_keeps_both() -> None:
    book = ConsentBook(open_store(":memory:"))
    request_id = ask(book)
    book.grant(request_id, by="hn.supervisor", agency="hn_police", at=AT + timedelta(hours=1))
    book.revoke(request_id, by="hn.chief", agency="hn_police", reason="case closed",
                at=AT + timedelta(hours=2))
    assert not onward(book)
    assert book.answer(request_id).status is ConsentStatus.REVOKED
    assert [(e.kind, e.by) for e in book.history(request_id)] == [
        ("requested", "gt_police"), ("granted", "hn.supervisor"), ("revoked", "hn.chief"),
    ]


@pytest.mark.parametrize("second", ["grant", "refuse"])
@pytest.mark.parametrize("first", ["grant", "refuse"])
def test_a_request_is_answered_once_and_a_second_answer_is_a_conflict(
    first: str, second: str
) -> None:
    """A refusal after a grant does not rewrite the grant (issue 10 #9, #18)."""
    book = ConsentBook(open_store(":memory:"))
    request_id = ask(book)
    answer = {"grant": lambda by: book.grant(request_id, by=by, agency="hn_police"),
              "refuse": lambda by: book.refuse(request_id, by=by, agency="hn_police",
                                               reason="no")}
    answer[first]("hn.supervisor")
    with pytest.raises(Conflict, match="answered once"):
        answer[second]("hn.chief")
    assert book.answer(request_id).by == "hn.supervisor"
    kind = {"grant": "granted", "refuse": "refused"}[first]
    assert [e.kind for e in book.history(request_id)] == ["requested", kind]


def test_only_a_grant_can_be_revoked() -> None:
    book = ConsentBook(open_store(":memory:"))
    pending = ask(book)
    with pytest.raises(Conflict, match="only a grant"):
        book.revoke(pending, by="hn.chief", agency="hn_police", reason="case closed")
    book.refuse(pending, by="hn.supervisor", agency="hn_police", reason="no")
    with pytest.raises(Conflict, match="only a grant"):
        book.revoke(pending, by="hn.chief", agency="hn_police", reason="case closed")
    with pytest.raises(InvalidInput, match="reason"):
        book.revoke(pending, by="hn.chief", agency="hn_police", reason=" ")


def test_what_went_out_under_a_grant_stays_visible_after_its_revocation() -> None:
    store = open_store(":memory:")
    book = ConsentBook(store)
    request_id = ask(book)
    book.grant(request_id, by="hn.supervisor", agency="hn_police")
    store.note_consent_use(request_id, "share-1", [REC.id], "sv_police")
    book.revoke(request_id, by="hn.chief", agency="hn_police", reason="case closed")
    assert [(share, record) for share, record, _ in book.delivered(request_id)] == [
        ("share-1", REC.id)]


def test_only_the_provider_can_answer() -> None:
    book = ConsentBook(open_store(":memory:"))
    request_id = ask(book)
    with pytest.raises(PermissionDenied, match="only hn_police"):
        book.grant(request_id, by="gt.officer", agency="gt_police")
    assert book.answer(request_id) is None


def test_requests_need_a_justification_and_refusals_a_reason() -> None:
    book = ConsentBook(open_store(":memory:"))
    with pytest.raises(InvalidInput, match="justification"):
        book.request(record_id="hn-1", provider="hn_police", requester="gt_police",
                     recipient="sv_police", purpose="intelligence", justification=" ")
    with pytest.raises(InvalidInput, match="reason"):
        book.refuse(ask(book), by="hn.supervisor", agency="hn_police", reason="")


def test_answering_an_unknown_request_is_not_found() -> None:
    with pytest.raises(NotFound):
        ConsentBook(open_store(":memory:")).grant("nope", by="x", agency="hn_police")
