"""Disclosure: check every record for every recipient under the rules, log the disclosure with
its recipients and justification, seal and queue the packages (posted on the way if asked).

The server decides, never the client. Corrections go out the same way, to every agency that
received the records before.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cruce.audit import Justification
from cruce.errors import InvalidInput, NotFound, PermissionDenied
from cruce.records import Envelope
from cruce.share._attest import attest
from cruce.share._consent import Consent, ConsentBook
from cruce.share._directory import Directory, Member
from cruce.share._keys import NodeKeys
from cruce.share._outbox import Courier, Outbox
from cruce.share._package import seal
from cruce.share._party import Party
from cruce.share._rules import COND_RELEASED, Decision, Release, decide
from cruce.share._transport import Post
from cruce.store import Store
from cruce.store._share_tables import Attestation

# Large shares go out in several packages: bounded memory on both sides, smaller retries.
PACKAGE_RECORDS = 20_000


@dataclass
class Disclosure:
    """What one share call did: the package per recipient, and every record refused and why."""

    share_ids: dict[str, list[str]] = field(default_factory=dict)  # recipient -> share ids
    sent: dict[str, list[str]] = field(default_factory=dict)  # recipient -> record ids
    refused: dict[str, dict[str, str]] = field(default_factory=dict)  # recipient -> id -> reason
    delivery: dict[str, int] = field(default_factory=dict)  # sent on the way (disclose's post)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A record on its way out: its id, the envelope the rules read, and its payload form."""

    id: str
    envelope: Envelope
    payload: dict[str, Any]


def _chunks(records: list[Outgoing], size: int) -> list[list[Outgoing]]:
    return [records[i : i + size] for i in range(0, len(records), size)]


class Discloser:
    """Disclose records to other agencies, and send corrections to those that hold them."""

    def __init__(self, store: Store, keys: NodeKeys, directory: Directory, party: Party,
                 outbox: Outbox, consents: ConsentBook) -> None:
        self.store = store
        self.keys = keys
        self.directory = directory
        self.party = party
        self.outbox = outbox
        self.consents = consents

    def disclose(
        self,
        record_ids: Sequence[str],
        recipients: Sequence[str],
        why: Justification,
        release: str | None = None,
        post: Post | None = None,
    ) -> Disclosure:
        """Check every record for every recipient, log the disclosure, queue the packages.

        `release` is a supervisor's justification for releasing victim records to these
        recipients; only a user in the supervisor role may give one (checked here). With
        `post`, each package is also sent as soon as it is queued, while the next one is
        sealed (the recipient works on one while this node seals the next); one that fails
        stays in the outbox for `deliver`.
        """
        records = self._records(record_ids, why)
        releases = self._releases(records, recipients, release)
        proofs = self._attestations(records)
        out = Disclosure()
        with Courier(self.outbox, post) as courier:
            for recipient in recipients:
                member = self.directory.member_in_force(recipient)
                consents = self._consents(records, recipient, why)
                decisions = {r.id: self._decide(r, recipient, why, releases.get(r.id),
                                                consents.get(r.id), r.id in proofs)
                             for r in records}
                allowed = [r for r in records if decisions[r.id].allowed]
                out.refused[recipient] = {
                    i: d.reason for i, d in decisions.items() if not d.allowed}
                if not allowed:
                    continue
                out.sent[recipient] = [r.id for r in allowed]
                out.share_ids[recipient] = []
                for part in _chunks(allowed, PACKAGE_RECORDS):
                    share_id, package = self._package(part, member, why, decisions,
                                                      len(records) - len(allowed), consents,
                                                      proofs)
                    out.share_ids[recipient].append(share_id)
                    courier.send(share_id, member, package)
        out.delivery = courier.counts
        if not any(out.sent.values()):
            reasons = {r for refused in out.refused.values() for r in refused.values()}
            raise PermissionDenied("nothing may be shared: " + "; ".join(sorted(reasons)))
        return out

    def recipients_of(self, record_ids: Sequence[str]) -> dict[str, list[str]]:
        """Every agency each record went to: recipient -> record ids."""
        return self.store.recipients_of(record_ids)

    def correct(self, record_ids: Sequence[str], why: Justification) -> Disclosure:
        """Send the current version of corrected records to every agency that received them
        (the rules are checked again; the recipient's copy is replaced, not added to)."""
        out = Disclosure()
        for recipient, ids in self.recipients_of(record_ids).items():
            done = self.disclose(ids, [recipient], why)
            out.share_ids.update(done.share_ids)
            out.sent.update(done.sent)
            out.refused.update(done.refused)
        return out

    # -- internals ------------------------------------------------------------------------
    def _package(
        self,
        records: list[Outgoing],
        member: Member,
        why: Justification,
        decisions: dict[str, Decision],
        refused: int,
        consents: dict[str, Consent],
        proofs: dict[str, Attestation],
    ) -> tuple[str, bytes]:
        """Log, seal and queue one package of at most PACKAGE_RECORDS records."""
        share_id = str(uuid.uuid4())
        ids = [r.id for r in records]
        details: dict[str, Any] = {"share_id": share_id, "refused": refused}
        released = [i for i in ids if decisions[i].tlp is not None
                    and COND_RELEASED in decisions[i].conditions]
        if released:  # a supervisor's release of victim records: who and why, in the log
            details["released"] = {"by": self.party.user, "records": sorted(released)}
        conditions = {i: decisions[i].conditions for i in ids if decisions[i].conditions}
        # Passed on under a provider's consent: which grant, kept with what went out under it.
        under: dict[str, list[str]] = {}
        for i in ids:
            if i in consents and consents[i].granted:
                under.setdefault(consents[i].request.request_id, []).append(i)
        if under:
            details["consents"] = {request: sorted(ids) for request, ids in under.items()}
        package = seal(
            [r.payload for r in records],
            self.keys,
            self.party.agency,
            [member],
            share_id,
            datetime.now(UTC),
            purpose=why.purpose,
            conditions=conditions,
            attestations={i: proofs[i] for i in ids if i in proofs},
        )
        store = self.store
        with store.transaction():  # the logged disclosure, the package and its trail: all or none
            store.log_disclosure(ids, self.party.actor, why, [member.id], details)
            self.outbox.queue(share_id, member.id, package, len(records))
            store.note_disclosed(ids, member.id, share_id)
            for request_id, used in under.items():
                store.note_consent_use(request_id, share_id, used, member.id)
        return share_id, package

    def _records(self, record_ids: Sequence[str], why: Justification) -> list[Outgoing]:
        from cruce.store._base import parse_properties, row_to_payload

        if not record_ids:
            raise InvalidInput("a share needs at least one record id")
        rows = self.store.rows_for_disclosure(record_ids, self.party.actor, why)
        found = {row[0] for row in rows}
        missing = [i for i in record_ids if i not in found]
        if missing:
            raise NotFound(f"no record with id {missing[0]!r}")
        envelopes: dict[tuple[Any, ...], tuple[Envelope, dict[str, Any]]] = {}
        out = []
        for row in rows:
            payload, envelope = row_to_payload(row, envelopes)
            out.append(Outgoing(str(payload["id"]), envelope, payload))
        parse_properties([o.payload for o in out])
        return out

    def _attestations(self, records: list[Outgoing]) -> dict[str, Attestation]:
        """Each record's provider attestation: signed here for this agency's own records, the
        one kept with the record for another agency's (a record held without one, from before
        attestations, goes no further: `_decide`)."""
        agency = self.party.agency
        providers = {r.id: r.envelope.agency for r in records if r.envelope.agency != agency}
        held = self.store.attestations(list(providers))
        proofs = {i: a for i, a in held.items() if a.provider == providers[i]}
        for r in records:
            if r.envelope.agency == agency and r.payload["envelope"].get("updated_at"):
                proofs[r.id] = attest(self.keys, agency, r.payload)
        return proofs

    def _releases(
        self, records: list[Outgoing], recipients: Sequence[str], release: str | None
    ) -> dict[str, Release]:
        if release is None:
            return {}
        if self.party.role != "supervisor":
            raise PermissionDenied("only a supervisor may release a victim's record")
        if not release.strip():
            raise InvalidInput("a release needs the supervisor's justification")
        return {r.id: Release(self.party.user, release.strip(), r.id, tuple(recipients))
                for r in records}

    def _consents(
        self, records: list[Outgoing], recipient: str, why: Justification
    ) -> dict[str, Consent]:
        """Passing on another agency's record: the provider's answer, if it gave one."""
        agency = self.party.agency
        found = {r.id: self.consents.consent_for(r.id, recipient=recipient, purpose=why.purpose)
                 for r in records if r.envelope.agency != agency}
        return {i: c for i, c in found.items() if c is not None}

    def _decide(
        self, record: Outgoing, recipient: str, why: Justification, release: Release | None,
        consent: Consent | None, attested: bool,
    ) -> Decision:
        agency = self.party.agency
        decision = decide(
            record.envelope,
            record_id=record.id,
            sender=agency,
            recipient=recipient,
            purpose=why.purpose,
            consent=consent,
            supervisor_release=release,
            onward=False,
        )
        provider = record.envelope.agency
        if decision.allowed and provider != agency and not attested:
            return Decision(False, f"record {record.id!r} is held from {provider} without "
                            f"{provider}'s attestation (it came before attestations did): only "
                            f"{provider}'s own share of it again lets it go on", "attestation")
        return decision
