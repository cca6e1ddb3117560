"""Property (issue 10): after a provider's erasure, no node of a chain of three holds the
record, whatever the order of shares, consents, onward shares, deliveries and the erasure.

Three nodes in one process (in-memory stores, real keys, a signed directory); a transport that
hands each delivery to the addressed node's own inbox and answers with its signed receipt, as
the HTTP inboxes do (the real-process version of the chain is tests/security/test_chain.py).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from cruce import Node
from cruce._why import justification
from cruce.errors import CruceError
from cruce.share import Directory, Member, NodeKeys
from cruce.share._requests import RECEIPT_HEADER

AGENCIES = ("hn_police", "sv_police", "us_border")
PURPOSE = "gangs_organized_crime"
WHY = justification(PURPOSE, "HN-2026-0042", "joint investigation")
KEY = "chain-1"


@dataclass
class Answer:
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""


class Compact:
    """Three nodes and the in-process transport between them."""

    def __init__(self, folder: Path) -> None:
        authority = Ed25519PrivateKey.generate()
        keys = {a: NodeKeys.generate() for a in AGENCIES}
        now = datetime.now(UTC)
        members = [Member(a, a[:2].upper(), f"http://{a}.test/", keys[a].public().signing,
                          keys[a].public().encryption, now - timedelta(days=1),
                          now + timedelta(days=30)) for a in AGENCIES]
        directory = Directory.load(Directory.sign(members, authority, serial=1, issued_at=now),
                                   authority.public_key())
        self.nodes: dict[str, Node] = {}
        for agency in AGENCIES:
            node = Node.open(":memory:", agency=agency, user="node")
            node.configure_sharing(keys[agency], directory)
            self.nodes[agency] = node
        path = folder / "hn.jsonl"
        path.write_text(json.dumps({
            "id": KEY, "schema": "Person", "properties": {"name": ["Cadena Persona"]},
            "envelope": {"agency": "hn_police", "dataset": "cadena", "purpose": PURPOSE,
                         "handling_code": "H2", "tlp": "GREEN", "source_reliability": "B",
                         "information_accuracy": "2", "retain_until": "2031-01-01",
                         "subject_category": "suspect"}}) + "\n", encoding="utf-8")
        self.nodes["hn_police"].ingest(path)
        self.erased = False

    def as_(self, agency: str, role: str) -> Node:
        return self.nodes[agency].as_user(f"{agency}.{role}", role)

    def post(self, url: str, body: bytes) -> Answer:
        agency = url.split("//")[1].split(".test")[0]
        sharing = self.nodes[agency].sharing
        receive = {"/api/v1/shares/inbox": sharing.receive,
                   "/api/v1/shares/notices": sharing.receive_notice,
                   "/api/v1/messages/inbox": sharing.receive_message}[url.split(".test")[1]]
        try:
            receive(body)
        except CruceError as exc:
            error = {"error": {"status": exc.status, "type": type(exc).__name__,
                               "message": exc.message}}
            return Answer(exc.status, content=json.dumps(error).encode())
        return Answer(200, {RECEIPT_HEADER: sharing.receipt(body)})

    def deliver(self, agency: str) -> None:
        self.nodes[agency].sharing.deliver(self.post)

    def quiet(self) -> None:
        """Deliver until no node has anything waiting that can go now."""
        for _ in range(10):
            for agency in AGENCIES:
                self.deliver(agency)
            if not any(e.state == "waiting" for n in self.nodes.values()
                       for e in n.sharing.outbox()):
                return
        raise AssertionError("the outboxes never emptied")

    def holders(self) -> set[str]:
        return {a for a, n in self.nodes.items() if n.store.held([KEY])}

    def close(self) -> None:
        for node in self.nodes.values():
            node.close()

    # -- the steps ----------------------------------------------------------------------------
    def share_to_sv(self) -> None:
        self.as_("hn_police", "analyst").sharing.disclose([KEY], ["sv_police"], WHY)

    def ask_consent(self) -> None:
        self.as_("sv_police", "analyst").sharing.consents.ask(KEY, "us_border", PURPOSE,
                                                               "onward to border control")

    def grant(self) -> None:
        for request in self.nodes["hn_police"].sharing.consents.book.pending("hn_police"):
            self.as_("hn_police", "supervisor").sharing.consents.answer(
                request.request_id, True, "for the joint operation")

    def onward(self) -> None:
        self.as_("sv_police", "analyst").sharing.disclose([KEY], ["us_border"], WHY)

    def erase(self) -> None:
        self.as_("hn_police", "supervisor").erase([KEY], WHY)
        self.erased = True


CHAIN = ("share_to_sv", "deliver hn_police", "ask_consent", "deliver sv_police", "grant",
         "deliver hn_police", "onward", "deliver sv_police")
DELIVERIES = ("deliver hn_police", "deliver sv_police", "deliver us_border")
STEPS = ("share_to_sv", "ask_consent", "grant", "onward", *DELIVERIES)


@st.composite
def histories(draw: st.DrawFn) -> list[str]:
    """Some prefix of the chain (share, consent, onward share), deliveries interleaved at
    random, the provider's erasure anywhere in it, then a few more steps of any kind."""
    steps: list[str] = []
    for step in CHAIN[: draw(st.integers(0, len(CHAIN)))]:
        steps += draw(st.lists(st.sampled_from(DELIVERIES), max_size=2))
        steps.append(step)
    steps.insert(draw(st.integers(0, len(steps))), "erase")
    return steps + draw(st.lists(st.sampled_from(STEPS), max_size=4))


def run(compact: Compact, steps: list[str]) -> None:
    for step in steps:
        kind, _, agency = step.partition(" ")
        try:
            if kind == "deliver":
                compact.deliver(agency)
            else:
                getattr(compact, kind)()
        except CruceError:
            continue  # not possible now (nothing to share, no consent yet, erased)


@pytest.fixture()
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


@settings(max_examples=30, deadline=None)
@given(steps=histories())
def test_after_the_providers_erasure_no_node_of_the_chain_holds_the_record(
    steps: list[str],
) -> None:
    with tempfile.TemporaryDirectory() as name:
        compact = Compact(Path(name))
        try:
            run(compact, steps)
            compact.quiet()
            assert compact.holders() == set()
        finally:
            compact.close()


def test_the_full_chain_reaches_us_border_before_the_erasure(folder: Path) -> None:
    """The chain's steps do build the whole chain (so the property is not vacuous)."""
    compact = Compact(folder)
    try:
        run(compact, list(CHAIN))
        compact.quiet()
        assert compact.holders() == set(AGENCIES)
        compact.erase()
        compact.quiet()
        assert compact.holders() == set()
    finally:
        compact.close()
