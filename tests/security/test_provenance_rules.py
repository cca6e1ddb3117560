"""The write policy's pure rules (cruce.store._policy) against an oracle written from the issue's
text, and the policy as the store applies it to real DuckDB files and PostgreSQL."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from cruce.audit import Actor, Justification
from cruce.errors import Conflict
from cruce.ingest._jsonl import table_of_records
from cruce.records import Envelope, Record, make_entity
from cruce.store import RecordQuery, Store, open_store
from cruce.store._policy import (
    FIELDS,
    Held,
    Lowering,
    Protection,
    Writer,
    is_lowered,
    judge_write,
    now_unshareable,
    ratchet,
)

TLPS = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
CODES = ("H0", "H1", "H2", "H3")
BASE = Protection("AMBER", "H2", None, True, "suspect", "intelligence", date(2031, 1, 1))
HN, GT, SV = "hn_police", "gt_police", "sv_police"


# -- the protection order ------------------------------------------------------------------
@pytest.mark.parametrize(("old", "new"), list(itertools.product(TLPS, TLPS)))
def test_a_tlp_is_lowered_only_towards_clear(old: str, new: str) -> None:
    assert is_lowered("tlp", old, new) == (TLPS.index(new) < TLPS.index(old))


@pytest.mark.parametrize(("old", "new"), list(itertools.product(CODES, CODES)))
def test_a_handling_code_is_lowered_only_towards_h0(old: str, new: str) -> None:
    assert is_lowered("handling_code", old, new) == (new < old)


def test_victim_status_shareability_purpose_and_retention_orders() -> None:
    assert is_lowered("subject_category", "victim", "suspect")
    assert is_lowered("subject_category", "victim", None)
    assert not is_lowered("subject_category", "suspect", "victim")
    assert not is_lowered("subject_category", "suspect", "witness")  # not ordered
    assert is_lowered("is_shareable", False, True)
    assert not is_lowered("is_shareable", True, False)
    assert is_lowered("purpose", "intelligence", "border_security")
    assert not is_lowered("purpose", "intelligence", "intelligence")
    assert is_lowered("retain_until", date(2030, 1, 1), date(2031, 1, 1))  # kept longer
    assert not is_lowered("retain_until", date(2031, 1, 1), date(2030, 1, 1))
    assert is_lowered("handling_restriction", "not for the family", "another text")
    assert not is_lowered("handling_restriction", None, "a new restriction")
    with pytest.raises(ValueError, match="not a protection field"):
        is_lowered("dataset", "a", "b")


def test_ratchet_keeps_every_lowered_field_and_takes_every_raised_one() -> None:
    weaker = Protection("GREEN", "H0", None, True, "suspect", "border_security",
                        date(2040, 1, 1))
    verdict = ratchet(BASE, weaker, may_lower=False)
    assert verdict.protection == BASE
    assert set(verdict.kept) == {"tlp", "handling_code", "purpose", "retain_until"}
    stronger = Protection("RED", "H3", "no onward use", False, "victim", "intelligence",
                          date(2030, 1, 1))
    assert ratchet(BASE, stronger, may_lower=False).protection == stronger
    assert ratchet(BASE, stronger, may_lower=False).kept == ()


def test_a_kept_victim_stays_red_and_not_shareable() -> None:
    victim = Protection("RED", "H2", None, False, "victim", "intelligence", date(2031, 1, 1))
    suspect = Protection("GREEN", "H0", None, True, "suspect", "intelligence", date(2031, 1, 1))
    kept = ratchet(victim, suspect, may_lower=False).protection
    assert kept is not None
    assert (kept.subject_category, kept.tlp, kept.is_shareable) == ("victim", "RED", False)
    lowered = ratchet(victim, suspect, may_lower=True)
    assert lowered.protection == suspect
    assert set(lowered.lowered) == {"tlp", "handling_code", "is_shareable", "subject_category"}


# -- provenance: who may change what (the oracle, from the text) -------------------------
def oracle_may_write(held_agency: str | None, held_senders: set[str], agency: str,
                     node: str, sender: str | None) -> bool:
    """A record held from another agency can be changed only by that agency's own share (or
    the channel that brought it, relaying); a node's own records only by its own ingest."""
    if held_agency is None:
        return agency == node if sender is None else agency != node
    if agency != held_agency:
        return False
    if held_agency == node:
        return sender is None
    return sender is not None and (sender == held_agency or sender in held_senders)


@pytest.mark.parametrize(
    ("held_agency", "senders", "agency", "sender"),
    list(itertools.product([None, GT, HN, SV], [(), (HN,), (SV,)], [GT, HN, SV],
                           [None, HN, SV])))
def test_provenance_matches_the_oracle(held_agency: str | None, senders: tuple[str, ...],
                                       agency: str, sender: str | None) -> None:
    if held_agency is None and senders:
        return
    held = None if held_agency is None else Held(held_agency, frozenset(senders), BASE)
    verdict = judge_write(held, "r-1", agency, BASE, Writer(GT, sender))
    expected = oracle_may_write(held_agency, set(senders), agency, GT, sender)
    assert (verdict.refused is None) == expected, verdict.refused
    if verdict.refused is not None:
        assert "r-1" in verdict.refused


def test_lowering_is_taken_from_the_provider_or_a_supervisor_only() -> None:
    weaker = Protection("GREEN", "H0", None, True, "suspect", "intelligence", date(2031, 1, 1))
    from_hn = Held(HN, frozenset({HN, SV}), BASE)
    assert judge_write(from_hn, "r", HN, weaker, Writer(GT, HN)).protection == weaker
    relayed = judge_write(from_hn, "r", HN, weaker, Writer(GT, SV))
    assert relayed.protection == BASE and relayed.kept  # a relay never lowers
    own = Held(GT, frozenset(), BASE)
    assert judge_write(own, "r", GT, weaker, Writer(GT)).protection == BASE
    supervisor = Writer(GT, lowering=Lowering("user.supervisor", "misfiled"))
    assert judge_write(own, "r", GT, weaker, supervisor).protection == weaker


def test_a_change_that_makes_a_record_unshareable_is_a_withdrawal() -> None:
    for name, value in (("tlp", "RED"), ("is_shareable", False),
                        ("subject_category", "victim")):
        assert now_unshareable(BASE, Protection(**{**_fields(BASE), name: value}))
    assert not now_unshareable(BASE, Protection(**{**_fields(BASE), "tlp": "AMBER+STRICT"}))


def _fields(p: Protection) -> dict[str, Any]:
    return {n: getattr(p, n) for n in FIELDS}


# -- the policy in a real store --------------------------------------------------------------
@pytest.fixture()
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    opened.set_setting("agency", GT)
    yield opened
    opened.close()


ACTOR = Actor(GT, "user.analyst", "analyst")
WHY = Justification("intelligence", "", "GT-1", "test")


def line(key: str, agency: str, **envelope: Any) -> dict[str, Any]:
    env = {"agency": agency, "dataset": "pruebas", "purpose": "intelligence",
           "handling_code": "H2", "tlp": "AMBER", "source_reliability": "B",
           "information_accuracy": "2", "retain_until": "2031-01-01",
           "subject_category": "suspect", **envelope}
    return {"id": key, "schema": "Person", "properties": {"name": [f"Persona {key}"]},
            "envelope": env}


def write(store: Store, *lines: dict[str, Any], source: str = "pruebas:upload.jsonl",
          writer: Writer | None = None) -> Any:
    records = [Record(make_entity({k: v for k, v in data.items() if k != "envelope"}),
                      Envelope.build(**data["envelope"])) for data in lines]
    table = table_of_records(records, source)
    return store.write_table(table, ACTOR, WHY, f"b-{uuid.uuid4().hex}",
                             source=source, writer=writer)


def stored(store: Store, key: str) -> dict[str, Any]:
    [record] = store.read(RecordQuery(ids=[key]), ACTOR, WHY)
    return record.envelope.to_dict()


def test_a_store_refuses_a_local_ingest_over_a_received_record(store: Store) -> None:
    from_hn = Writer(GT, HN)
    write(store, line("hn-1", HN), source="share-from:hn_police", writer=from_hn)
    with pytest.raises(Conflict, match="hn-1.*hn_police"):
        write(store, line("hn-1", GT, tlp="GREEN", handling_code="H0"))
    done = write(store, line("hn-1", GT, tlp="GREEN"), line("gt-1", GT))
    assert done.inserted == 1 and [i for i, _ in done.outcome.refused] == ["hn-1"]
    assert stored(store, "hn-1")["agency"] == HN
    with pytest.raises(Conflict, match="did not provide it"):
        write(store, line("hn-1", HN, tlp="GREEN"), source="share-from:sv_police",
              writer=Writer(GT, SV))
    with pytest.raises(Conflict, match="gt_police's own"):
        write(store, line("gt-1", GT, tlp="GREEN"), source="share-from:hn_police",
              writer=from_hn)
    corrected = write(store, line("hn-1", HN, tlp="GREEN"), source="share-from:hn_police",
                      writer=from_hn)
    assert corrected.updated == 1 and stored(store, "hn-1")["tlp"] == "GREEN"


def test_a_store_keeps_the_stricter_value_and_says_so(store: Store) -> None:
    write(store, line("gt-2", GT, subject_category="victim"))
    again = write(store, line("gt-2", GT, tlp="GREEN", handling_code="H0"))
    assert again.outcome.kept == 1
    env = stored(store, "gt-2")
    assert (env["subject_category"], env["tlp"], env["is_shareable"]) == ("victim", "RED", False)
    lower = Writer(GT, lowering=Lowering("user.supervisor", "misfiled"))
    lowered = write(store, line("gt-2", GT, tlp="GREEN", handling_code="H0"), writer=lower)
    assert set(lowered.outcome.lowered["gt-2"]) >= {"subject_category", "tlp"}
    assert stored(store, "gt-2")["subject_category"] == "suspect"


def test_a_store_reports_records_that_became_unshareable(store: Store) -> None:
    write(store, line("gt-3", GT, tlp="GREEN"))
    done = write(store, line("gt-3", GT, subject_category="victim"))
    assert done.outcome.withdrawn == ("gt-3",)
    assert write(store, line("gt-3", GT, subject_category="victim")).outcome.withdrawn == ()


# -- what a package may bring (cruce.share._provenance.arrival_problem) -------------------------
def arrival_oracle(agency: str, tlp: str, code: str, category: str, purpose: str,
                   sender: str, released: bool, consented: bool, attested: bool) -> bool:
    """From the issue: a package's records carry the sender's agency, or are an onward share the
    provider consented to (the labels' standing permission or an explicit consent), carrying a
    member provider and its provider's attestation; never the receiver's own; RED never
    arrives, but a released victim from its provider."""
    if agency == GT:
        return False
    if tlp == "RED" and not (released and category == "victim" and agency == sender):
        return False
    if agency == sender:
        return True
    if agency not in (HN, SV) or category == "victim" or not attested:
        return False
    standing = tlp in ("CLEAR", "GREEN") and code in ("H0", "H1") and purpose == "intelligence"
    return standing or consented


@pytest.mark.parametrize(("agency", "tlp", "code", "category", "purpose", "sender"), list(
    itertools.product([HN, GT, SV, "us_border"], TLPS, ("H0", "H2"), ("suspect", "victim"),
                      ("intelligence", "border_security"), [HN, SV])))
def test_arrival_matches_the_oracle(agency: str, tlp: str, code: str, category: str,
                                    purpose: str, sender: str) -> None:
    from cruce.records import Envelope
    from cruce.share._provenance import arrival_problem

    if category == "victim" and tlp != "RED":
        return  # a victim's record is RED
    env = Envelope.build(agency=agency, dataset="d", purpose=purpose, handling_code=code,
                         tlp=tlp, source_reliability="B", information_accuracy="2",
                         retain_until="2031-01-01", subject_category=category,
                         is_shareable=category != "victim")
    for released, consented, attested in itertools.product([False, True], repeat=3):
        problem = arrival_problem(env, "r-9", sender=sender, receiver=GT,
                                  purpose="intelligence", members=frozenset({HN, GT, SV}),
                                  released=released, consented=consented, attested=attested)
        expected = arrival_oracle(agency, tlp, code, category, purpose, sender, released,
                                  consented, attested)
        assert (problem is None) == expected, (released, consented, attested, problem)


def test_an_erasure_notice_applies_only_to_what_its_sender_provided_or_proves() -> None:
    from cruce.share._provenance import notice_applies

    assert notice_applies(HN, sender=HN, receiver=GT, provider_proof=False)
    # the channel relays the provider's proof; on its own word it erases nothing
    assert notice_applies(HN, sender=SV, receiver=GT, provider_proof=True)
    assert not notice_applies(HN, sender=SV, receiver=GT, provider_proof=False)
    assert not notice_applies(GT, sender=SV, receiver=GT, provider_proof=True)  # the receiver's
    assert not notice_applies(GT, sender=GT, receiver=GT, provider_proof=False)
