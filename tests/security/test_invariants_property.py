"""Properties (issue 10) over histories of shares, consents, onward shares, re-ingests by
recipients, the provider's corrections and protective reclassifications, across the three
nodes of `test_chain_property` (in-process, real keys, a signed directory):

1. no record leaves a node without the rules allowing it: us_border holds the record only
   once hn_police granted consent for it, and never once it is protected;
2. provenance never changes except through the provider: every copy names hn_police with
   hn_police's envelope or a stricter one, whatever a recipient re-ingests under the same id;
3. (erasure, in test_chain_property);
4. after a protective change (victim, RED, not shareable) no recipient holds or passes on
   the record: an onward share attempt is refused and no third node gains it.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from tests.security.test_chain_property import AGENCIES, CHAIN, KEY, PURPOSE, WHY, Compact

from cruce.errors import CruceError
from cruce.records import TLP, Record

PROVIDER = {"agency": "hn_police", "dataset": "cadena", "purpose": PURPOSE,
            "handling_code": "H2", "tlp": "GREEN", "source_reliability": "B",
            "information_accuracy": "2", "retain_until": "2031-01-01",
            "subject_category": "suspect"}
# What a protective change sets (each on its own): a victim's, RED, not shareable.
PROTECTIONS: dict[str, dict[str, Any]] = {
    "victim": {"subject_category": "victim"},
    "red": {"tlp": "RED"},
    "unshareable": {"is_shareable": False},
}
HANDLING_RANK = {"H0": 0, "H1": 1, "H2": 2, "H3": 3}


class Insiders(Compact):
    """The compact, with the provider's own changes and a recipient's relabelling attempts."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.folder = folder
        self.files = 0
        self.envelope: dict[str, Any] = dict(PROVIDER)  # the provider's current envelope
        self.names = ["Cadena Persona"]
        self.granted = False
        self.relabelled: set[str] = set()  # where a received copy was re-ingested as own

    def write(self, agency: str, envelope: dict[str, Any], names: list[str]) -> None:
        self.files += 1
        path = self.folder / f"{agency}-{self.files}.jsonl"
        path.write_text(json.dumps({"id": KEY, "schema": "Person",
                                    "properties": {"name": names},
                                    "envelope": envelope}) + "\n", encoding="utf-8")
        self.as_(agency, "analyst").ingest(path)

    def grant(self) -> None:
        pending = self.nodes["hn_police"].sharing.consents.book.pending("hn_police")
        super().grant()
        self.granted = self.granted or bool(pending)

    def relabel(self, agency: str) -> None:
        """A recipient's analyst re-ingests the record it received as its own, less protected
        (an id the node never received is its own to use: not a relabelling)."""
        held = self.nodes[agency].store.held([KEY])
        if KEY not in held or held[KEY].agency != "hn_police":
            return
        self.relabelled.add(agency)
        self.write(agency, {**PROVIDER, "agency": agency, "handling_code": "H0",
                            "tlp": "CLEAR"}, ["Cadena Persona", f"alias {agency}"])

    def correct(self) -> None:
        """The provider adds an alias (a correction every recipient should get)."""
        self.names = [*self.names, f"Alias {len(self.names)}"]
        self.write("hn_police", self.envelope, self.names)

    def protect(self, kind: str) -> None:
        envelope = {**self.envelope, **PROTECTIONS[kind]}
        self.write("hn_police", envelope, self.names)
        self.envelope = envelope

    @property
    def protected(self) -> bool:
        return (self.envelope["subject_category"] == "victim" or self.envelope["tlp"] == "RED"
                or self.envelope.get("is_shareable") is False)

    def copy_at(self, agency: str) -> Record | None:
        if not self.nodes[agency].store.held([KEY]):
            return None
        return self.as_(agency, "analyst").get(KEY, WHY)


INSIDER = ("relabel sv_police", "relabel us_border", "correct", "onward", "deliver hn_police",
           "deliver sv_police", "deliver us_border")


@st.composite
def histories(draw: st.DrawFn) -> list[str]:
    """A prefix of the chain, with insider steps (relabelling, corrections, onward attempts,
    deliveries) interleaved at random, and in half of them one protective change anywhere."""
    steps: list[str] = []
    for step in CHAIN[: draw(st.integers(0, len(CHAIN)))]:
        steps += draw(st.lists(st.sampled_from(INSIDER), max_size=2))
        steps.append(step)
    steps += draw(st.lists(st.sampled_from(INSIDER), max_size=4))
    if draw(st.booleans()):
        kind = draw(st.sampled_from(sorted(PROTECTIONS)))
        steps.insert(draw(st.integers(0, len(steps))), f"protect {kind}")
        steps += draw(st.lists(st.sampled_from(INSIDER), max_size=3))
    return steps


def run(compact: Insiders, steps: list[str]) -> None:
    for step in steps:
        kind, _, arg = step.partition(" ")
        try:
            if kind == "deliver":
                compact.deliver(arg)
            elif arg:
                getattr(compact, kind)(arg)
            else:
                getattr(compact, kind)()
        except CruceError:
            continue  # refused (the rules, nothing to share yet, a relabelling attempt)


def check_invariants(compact: Insiders) -> None:
    provider = compact.copy_at("hn_police")
    assert provider is not None and provider.envelope.agency == "hn_police"
    assert compact.names[-1] in provider.entity.get("name")
    for agency in AGENCIES[1:]:
        copy = compact.copy_at(agency)
        if copy is None:
            continue
        # (2) provenance: the provider's name, its envelope or a stricter one
        assert copy.envelope.agency == "hn_police", (agency, copy.envelope.agency)
        assert copy.envelope.tlp.rank >= TLP(compact.envelope["tlp"]).rank, agency
        assert (HANDLING_RANK[copy.envelope.handling_code.value]
                >= HANDLING_RANK[compact.envelope["handling_code"]]), agency
        assert not any(n.startswith("alias ") for n in copy.entity.get("name")), agency
        # the provider's corrections reach every holder
        assert set(copy.entity.get("name")) == set(compact.names), agency
    holders = compact.holders()
    # (1) no record leaves without the rules allowing it
    if "us_border" in holders:
        assert compact.granted
    # (4) after a protective change no recipient keeps it
    if compact.protected:
        assert holders == {"hn_police"}, holders


def check_no_onward_after_protection(compact: Insiders) -> None:
    """(4) a recipient's onward share of a protected record is refused; no third node gains it."""
    if not compact.protected:
        return
    before = compact.holders()
    for sender, recipient in (("sv_police", "us_border"), ("us_border", "sv_police")):
        with pytest.raises(CruceError):
            compact.as_(sender, "analyst").sharing.disclose([KEY], [recipient], WHY)
    compact.quiet()
    assert compact.holders() <= before


@settings(max_examples=30, deadline=None)
@given(steps=histories())
def test_provenance_rules_and_protection_hold_whatever_the_insiders_do(steps: list[str]) -> None:
    with tempfile.TemporaryDirectory() as name:
        compact = Insiders(Path(name))
        try:
            run(compact, steps)
            compact.quiet()
            event(f"held at {sorted(compact.holders())}, protected: {compact.protected}, "
                  f"relabelled at {sorted(compact.relabelled)}")
            check_invariants(compact)
            check_no_onward_after_protection(compact)
        finally:
            compact.close()


@pytest.mark.parametrize("kind", sorted(PROTECTIONS))
def test_a_protective_change_after_the_full_chain_stops_every_onward_share(kind: str) -> None:
    """The histories do reach the whole chain, then a protective change withdraws it."""
    with tempfile.TemporaryDirectory() as name:
        compact = Insiders(Path(name))
        try:
            run(compact, [*CHAIN, "relabel sv_police", "correct"])
            compact.quiet()
            assert compact.holders() == set(AGENCIES)
            check_invariants(compact)
            compact.protect(kind)
            compact.quiet()
            check_invariants(compact)
            check_no_onward_after_protection(compact)
        finally:
            compact.close()


def test_a_recipients_relabelling_is_refused_and_its_onward_share_still_needs_consent() -> None:
    """Finding 1: the same id, the recipient's agency, CLEAR/H0 -- refused; the copy stays
    hn_police's, and without hn_police's consent it goes no further."""
    with tempfile.TemporaryDirectory() as name:
        compact = Insiders(Path(name))
        try:
            run(compact, ["share_to_sv", "deliver hn_police"])
            with pytest.raises(CruceError):
                compact.relabel("sv_police")
            with pytest.raises(CruceError):
                compact.onward()
            compact.quiet()
            assert compact.holders() == {"hn_police", "sv_police"}
            check_invariants(compact)
        finally:
            compact.close()


@pytest.mark.parametrize("kind", sorted(PROTECTIONS))
def test_an_onward_share_sent_before_the_recipient_learns_of_the_protection_is_withdrawn(
    kind: str,
) -> None:
    """The race: hn_police protects the record while sv_police, not yet told, passes it on
    under a granted consent; once everything is delivered no node but the provider holds it."""
    with tempfile.TemporaryDirectory() as name:
        compact = Insiders(Path(name))
        try:
            run(compact, list(CHAIN[:6]))  # shared, consent asked, granted and delivered
            compact.protect(kind)  # the withdrawal waits in hn_police's outbox
            compact.onward()
            compact.deliver("sv_police")
            assert "us_border" in compact.holders()
            compact.quiet()
            check_invariants(compact)
            check_no_onward_after_protection(compact)
        finally:
            compact.close()
