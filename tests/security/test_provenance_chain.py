"""Property-based: sequences of ingests (honest and hostile), shares, onward shares and
protective reclassifications across three in-process nodes (real DuckDB stores, real sealed
packages and notices, delivered through each node's own receive methods), checking after
every step that

- provenance never changes except through the provider: every copy of a record anywhere names
  the agency that created it;
- after a protective change (the provider reclassified a record as a victim's) no other node
  may pass the record on: no copy outside the provider is shareable under the rules.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from cruce import Node
from cruce.audit import Justification
from cruce.errors import Conflict, CruceError, NotFound, PermissionDenied
from cruce.share import Directory, Member, NodeKeys
from cruce.share._requests import RECEIPT_HEADER
from cruce.share._rules import decide
from cruce.store import RecordQuery

AGENCIES = ("hn_police", "gt_police", "sv_police")
PURPOSE = "gangs_organized_crime"
WHY = Justification(PURPOSE, "", "CASE-7", "property test")
TLPS = ("CLEAR", "GREEN", "AMBER")
CODES = ("H0", "H1", "H2")


@dataclass
class Answer:
    status_code: int
    content: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)


class Compact:
    """Three nodes in one process, each reachable at its directory endpoint."""

    def __init__(self) -> None:
        authority, now = Ed25519PrivateKey.generate(), datetime.now(UTC)
        keys = {a: NodeKeys.generate() for a in AGENCIES}
        members = [Member(a, a[:2].upper(), f"http://{a}.test/", k.public().signing,
                          k.public().encryption, now - timedelta(days=1),
                          now + timedelta(days=30)) for a, k in keys.items()]
        signed = Directory.sign(members, authority, serial=1, issued_at=now)
        directory = Directory.load(signed, authority.public_key())
        self.nodes = {}
        for agency in AGENCIES:
            node = Node.open(":memory:", agency=agency, user="user.analyst", role="analyst")
            node.configure_sharing(keys[agency], directory)
            self.nodes[agency] = node

    def post(self, url: str, body: bytes) -> Answer:
        agency = url.split("//")[1].split(".test")[0]
        node = self.nodes[agency]
        try:
            if url.endswith("/shares/inbox"):
                node.sharing.receive(body)
            elif url.endswith("/shares/notices"):
                node.sharing.receive_notice(body)
            else:
                node.sharing.receive_message(body)
        except CruceError as exc:
            error = {"error": {"type": type(exc).__name__, "message": exc.message}}
            return Answer(exc.status, json.dumps(error).encode())
        return Answer(200, headers={RECEIPT_HEADER: node.sharing.receipt(body)})

    def deliver(self) -> None:
        for _ in range(4):  # a notice can make a recipient forward in turn
            moved = sum(n.sharing.deliver(self.post)["delivered"] for n in self.nodes.values())
            if not moved:
                return

    def close(self) -> None:
        for node in self.nodes.values():
            node.close()


def line(key: str, agency: str, tlp: str, code: str, category: str) -> dict[str, Any]:
    return {"id": key, "schema": "Person", "properties": {"name": [f"Persona {key}"]},
            "envelope": {"agency": agency, "dataset": "pruebas", "purpose": PURPOSE,
                         "handling_code": code, "tlp": tlp, "source_reliability": "B",
                         "information_accuracy": "2", "retain_until": "2031-01-01",
                         "subject_category": category}}


agencies = st.sampled_from(AGENCIES)
keys = st.integers(min_value=0, max_value=1)


class ProvenanceMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.compact = Compact()
        self.folder = Path(tempfile.mkdtemp(prefix="cruce-prov-"))
        self.creator: dict[str, str] = {}  # record id -> the agency that created it
        self.victims: set[str] = set()  # records their provider reclassified as victims
        self.files = 0

    def teardown(self) -> None:
        self.compact.close()

    def ingest(self, agency: str, *lines: dict[str, Any]) -> Any:
        self.files += 1
        path = self.folder / f"{agency}-{self.files}.jsonl"
        path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
        node = self.compact.nodes[agency]
        result = node.ingest(path, why=WHY)  # queues corrections and withdrawals with the write
        self.compact.deliver()
        return result

    def held(self, agency: str) -> dict[str, Any]:
        node = self.compact.nodes[agency]
        return {r.id: r for r in node.store.read(RecordQuery(), node.actor, WHY)}

    records = Bundle("records")

    @rule(target=records, owner=agencies, key=keys, tlp=st.sampled_from(TLPS),
          code=st.sampled_from(CODES))
    def owner_ingests(self, owner: str, key: int, tlp: str, code: str) -> str:
        record_id = f"{owner}-{key}"
        if record_id not in self.victims:  # a victim's stays one (lowering is a supervisor's)
            self.ingest(owner, line(record_id, owner, tlp, code, "suspect"))
            self.creator[record_id] = owner
        return record_id

    @rule(record_id=records)
    def owner_reclassifies_as_victim(self, record_id: str) -> None:
        owner = self.creator[record_id]
        self.ingest(owner, line(record_id, owner, "RED", "H2", "victim"))
        self.victims.add(record_id)

    @rule(insider=agencies, record_id=records, tlp=st.sampled_from(TLPS))
    def insider_relabels(self, insider: str, record_id: str, tlp: str) -> None:
        if insider == self.creator[record_id] or record_id not in self.held(insider):
            return
        try:
            result = self.ingest(insider, line(record_id, insider, tlp, "H0", "suspect"))
        except Conflict:
            return
        assert record_id in {i for i, _ in result.outcome.refused}

    @rule(record_id=records, recipient=agencies)
    def provider_shares(self, record_id: str, recipient: str) -> None:
        self.share(self.creator[record_id], record_id, recipient)

    @rule(sender=agencies, record_id=records, recipient=agencies)
    def anyone_shares_onward(self, sender: str, record_id: str, recipient: str) -> None:
        self.share(sender, record_id, recipient)

    def share(self, sender: str, record_id: str, recipient: str) -> None:
        if sender == recipient:
            return
        try:
            self.compact.nodes[sender].sharing.disclose([record_id], [recipient], WHY)
        except (PermissionDenied, NotFound):
            return
        self.compact.deliver()

    @invariant()
    def provenance_never_changes(self) -> None:
        for agency in AGENCIES:
            for record_id, record in self.held(agency).items():
                assert record.envelope.agency == self.creator[record_id], (agency, record_id)

    @invariant()
    def after_a_protective_change_no_one_passes_it_on(self) -> None:
        for agency in AGENCIES:
            for record_id, record in self.held(agency).items():
                if record_id not in self.victims or self.creator[record_id] == agency:
                    continue
                for other in AGENCIES:
                    if other == agency:
                        continue
                    verdict = decide(record, sender=agency, recipient=other, purpose=PURPOSE,
                                     consent=None, supervisor_release=None, onward=True)
                    assert not verdict.allowed, (agency, record_id, other)


ProvenanceMachine.TestCase.settings = settings(
    max_examples=25, stateful_step_count=12, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
test_provenance_across_three_nodes = ProvenanceMachine.TestCase
