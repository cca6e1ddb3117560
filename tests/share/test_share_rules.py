from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from share_support import make_record

from cruce.records import TLP, HandlingCode, Record
from cruce.share import Consent, ConsentRequest, ConsentStatus, Release, decide

PURPOSE = "gangs_organized_crime"
PROVIDER, FIRST, SECOND = "hn_police", "gt_police", "sv_police"
AT = datetime(2026, 3, 1, tzinfo=UTC)
KINDS = ("suspect", "victim", "not_shareable")


def record(tlp: TLP, code: HandlingCode, kind: str = "suspect", rid: str = "hn-1") -> Record:
    extra: dict[str, object] = {}
    if code is HandlingCode.H3:
        extra["handling_restriction"] = "not to be shown to the suspect's lawyer"
    if kind == "victim":
        extra["subject_category"] = "victim"
    if kind == "not_shareable":
        extra["is_shareable"] = False
    return make_record(rid, tlp=tlp.value, handling_code=code.value, **extra)


def route(onward: bool) -> tuple[str, str]:
    """Provider -> first recipient, or first recipient passing it on to a second agency."""
    return (FIRST, SECOND) if onward else (PROVIDER, FIRST)


def consent_for(rid: str, sender: str, recipient: str, *, granted: bool = True,
                purpose: str = PURPOSE, provider: str = PROVIDER) -> Consent:
    request = ConsentRequest("req-1", rid, provider, sender, recipient, purpose, "joint operation")  # type: ignore[arg-type]
    status = ConsentStatus.GRANTED if granted else ConsentStatus.REFUSED
    return Consent(request, status, "hn.supervisor", AT, "ok")


def release_for(rid: str, *recipients: str) -> Release:
    return Release("hn.supervisor", "victim agreed; needed to trace the smuggler", rid, recipients)


def expected(tlp: TLP, code: HandlingCode, kind: str, onward: bool, consent: bool,
             release: bool) -> bool:
    """The rules restated as plainly as possible, as the oracle for the matrix."""
    if kind != "suspect":
        return release and not onward
    if tlp is TLP.RED:
        return False
    needs_consent = onward and (
        tlp in (TLP.AMBER, TLP.AMBER_STRICT) or code in (HandlingCode.H2, HandlingCode.H3)
    )
    return consent or not needs_consent


MATRIX = list(itertools.product(TLP, HandlingCode, KINDS, (False, True), (False, True), (False, True)))


@pytest.mark.parametrize(("tlp", "code", "kind", "onward", "with_consent", "with_release"), MATRIX)
def test_rules_matrix(tlp: TLP, code: HandlingCode, kind: str, onward: bool,
                      with_consent: bool, with_release: bool) -> None:
    rec = record(tlp, code, kind)
    sender, recipient = route(onward)
    decision = decide(
        rec, sender=sender, recipient=recipient, purpose=PURPOSE,
        consent=consent_for(rec.id, sender, recipient) if with_consent else None,
        supervisor_release=release_for(rec.id, recipient) if with_release else None,
        onward=onward,
    )
    assert decision.allowed is expected(tlp, code, kind, onward, with_consent, with_release)
    assert decision.reason.strip()
    if decision.allowed:
        assert decision.rule == "allowed"
        assert any(c.startswith(code.value) for c in decision.conditions)
        assert decision.tlp is (TLP.RED if kind != "suspect" else tlp)
    else:
        assert decision.rule in {"victim", "tlp", "H2", "H3"}
        assert decision.conditions == ()


def test_red_never_goes_into_a_share_package_even_with_consent() -> None:
    rec = record(TLP.RED, HandlingCode.H0)
    decision = decide(rec, sender=PROVIDER, recipient=FIRST, purpose=PURPOSE,
                      consent=consent_for(rec.id, PROVIDER, FIRST), supervisor_release=None,
                      onward=False)
    assert not decision.allowed and decision.rule == "tlp"
    assert "TLP:RED" in decision.reason


def test_amber_strict_goes_to_the_recipient_organisation_only() -> None:
    rec = record(TLP.AMBER_STRICT, HandlingCode.H0)
    first = decide(rec, sender=PROVIDER, recipient=FIRST, purpose=PURPOSE, consent=None,
                   supervisor_release=None, onward=False)
    assert first.allowed
    assert any("AMBER+STRICT" in c and "not to be passed on" in c for c in first.conditions)
    onward = decide(rec, sender=FIRST, recipient=SECOND, purpose=PURPOSE, consent=None,
                    supervisor_release=None, onward=True)
    assert not onward.allowed and onward.rule == "tlp"


def test_green_and_clear_may_be_passed_on_within_the_community() -> None:
    for tlp in (TLP.GREEN, TLP.CLEAR):
        decision = decide(record(tlp, HandlingCode.H0), sender=FIRST, recipient=SECOND,
                          purpose=PURPOSE, consent=None, supervisor_release=None, onward=True)
        assert decision.allowed


def test_h0_is_allowed_for_crime_prevention_with_its_condition() -> None:
    decision = decide(record(TLP.GREEN, HandlingCode.H0), sender=PROVIDER, recipient=FIRST,
                      purpose=PURPOSE, consent=None, supervisor_release=None, onward=False)
    assert decision.allowed and any("prevent and combat crime" in c for c in decision.conditions)


def test_h1_copy_is_marked_not_for_judicial_proceedings() -> None:
    decision = decide(record(TLP.GREEN, HandlingCode.H1), sender=PROVIDER, recipient=FIRST,
                      purpose=PURPOSE, consent=None, supervisor_release=None, onward=False)
    assert decision.allowed
    assert "H1: not for judicial proceedings without the provider's permission" in decision.conditions


def test_h2_onward_sharing_needs_the_providers_consent() -> None:
    rec = record(TLP.GREEN, HandlingCode.H2)
    refused = decide(rec, sender=FIRST, recipient=SECOND, purpose=PURPOSE, consent=None,
                     supervisor_release=None, onward=True)
    assert not refused.allowed and refused.rule == "H2"
    granted = decide(rec, sender=FIRST, recipient=SECOND, purpose=PURPOSE,
                     consent=consent_for(rec.id, FIRST, SECOND), supervisor_release=None,
                     onward=True)
    assert granted.allowed and "consent" in granted.reason


def test_h3_restriction_travels_as_a_condition_and_onward_needs_consent() -> None:
    rec = record(TLP.GREEN, HandlingCode.H3)
    direct = decide(rec, sender=PROVIDER, recipient=FIRST, purpose=PURPOSE, consent=None,
                    supervisor_release=None, onward=False)
    assert "H3: not to be shown to the suspect's lawyer" in direct.conditions
    onward = decide(rec, sender=FIRST, recipient=SECOND, purpose=PURPOSE, consent=None,
                    supervisor_release=None, onward=True)
    assert not onward.allowed and onward.rule == "H3"


def test_sender_other_than_the_provider_is_onward_whatever_the_flag_says() -> None:
    decision = decide(record(TLP.GREEN, HandlingCode.H2), sender=FIRST, recipient=SECOND,
                      purpose=PURPOSE, consent=None, supervisor_release=None, onward=False)
    assert not decision.allowed and decision.rule == "H2"


def test_victim_needs_a_supervisor_release_and_then_is_handled_as_red() -> None:
    rec = make_record("hn-v1", subject_category="victim", tlp="RED", is_shareable=False,
                      handling_code="H0")
    denied = decide(rec, sender=PROVIDER, recipient=FIRST, purpose=PURPOSE, consent=None,
                    supervisor_release=None, onward=False)
    assert not denied.allowed and denied.rule == "victim"
    released = decide(rec, sender=PROVIDER, recipient=FIRST, purpose=PURPOSE, consent=None,
                      supervisor_release=release_for(rec.id, FIRST), onward=False)
    assert released.allowed and released.tlp is TLP.RED
    assert any("named recipient only" in c for c in released.conditions)


def test_release_naming_another_recipient_or_record_does_not_count() -> None:
    rec = record(TLP.RED, HandlingCode.H0, "victim")
    for release in (release_for(rec.id, SECOND), release_for("hn-other", FIRST),
                    Release("hn.supervisor", "  ", rec.id, (FIRST,))):
        decision = decide(rec, sender=PROVIDER, recipient=FIRST, purpose=PURPOSE, consent=None,
                          supervisor_release=release, onward=False)
        assert not decision.allowed and decision.rule == "victim"


def test_released_victim_is_never_passed_on_even_with_consent() -> None:
    rec = record(TLP.RED, HandlingCode.H0, "victim")
    decision = decide(rec, sender=FIRST, recipient=SECOND, purpose=PURPOSE,
                      consent=consent_for(rec.id, FIRST, SECOND),
                      supervisor_release=release_for(rec.id, SECOND), onward=True)
    assert not decision.allowed and "never passed on" in decision.reason


def test_purpose_must_match_unless_the_provider_consents_to_the_new_purpose() -> None:
    rec = record(TLP.GREEN, HandlingCode.H0)
    other = "border_security"
    denied = decide(rec, sender=PROVIDER, recipient=FIRST, purpose=other, consent=None,
                    supervisor_release=None, onward=False)
    assert not denied.allowed and denied.rule == "purpose"
    assert "Art. 4(1)(b)" in denied.reason
    wrong_purpose = decide(rec, sender=PROVIDER, recipient=FIRST, purpose=other,
                           consent=consent_for(rec.id, FIRST, FIRST), supervisor_release=None,
                           onward=False)
    assert not wrong_purpose.allowed and "consent does not count" in wrong_purpose.reason
    allowed = decide(rec, sender=PROVIDER, recipient=FIRST, purpose=other,
                     consent=consent_for(rec.id, FIRST, FIRST, purpose=other),
                     supervisor_release=None, onward=False)
    assert allowed.allowed


@pytest.mark.parametrize(
    ("consent", "why"),
    [
        (consent_for("hn-1", FIRST, SECOND, granted=False), "refused"),
        (consent_for("hn-9", FIRST, SECOND), "another record"),
        (consent_for("hn-1", FIRST, "us_border"), "recipient us_border"),
        (consent_for("hn-1", FIRST, SECOND, provider="gt_police"), "not given by the provider"),
        (consent_for("hn-1", "mx_migration", SECOND), "asked by mx_migration"),
    ],
)
def test_consent_that_does_not_fit_is_ignored_and_said_so(consent: Consent, why: str) -> None:
    decision = decide(record(TLP.GREEN, HandlingCode.H2), sender=FIRST, recipient=SECOND,
                      purpose=PURPOSE, consent=consent, supervisor_release=None, onward=True)
    assert not decision.allowed and why in decision.reason


def test_envelope_without_record_id_cannot_use_consent() -> None:
    rec = record(TLP.GREEN, HandlingCode.H2)
    consent = consent_for(rec.id, FIRST, SECOND)
    bare = decide(rec.envelope, sender=FIRST, recipient=SECOND, purpose=PURPOSE,
                  consent=consent, supervisor_release=None, onward=True)
    assert not bare.allowed and "record id is unknown" in bare.reason
    named = decide(rec.envelope, sender=FIRST, recipient=SECOND, purpose=PURPOSE,
                   consent=consent, supervisor_release=None, onward=True, record_id=rec.id)
    assert named.allowed


def test_the_most_restrictive_rule_names_the_decision_and_all_failures_are_listed() -> None:
    rec = record(TLP.AMBER, HandlingCode.H2, "victim")
    decision = decide(rec, sender=FIRST, recipient=SECOND, purpose="intelligence", consent=None,
                      supervisor_release=None, onward=True)
    assert decision.rule == "victim"
    assert decision.denials == ("victim", "purpose", "H2")


def test_sharing_with_oneself_is_not_a_share() -> None:
    decision = decide(record(TLP.GREEN, HandlingCode.H0), sender=PROVIDER, recipient=PROVIDER,
                      purpose=PURPOSE, consent=None, supervisor_release=None, onward=False)
    assert not decision.allowed and decision.rule == "recipient"
