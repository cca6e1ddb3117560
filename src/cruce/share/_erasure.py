"""Erasure across the compact, down the whole chain of copies.

A provider erases records and, in the same transaction, queues an erasure notice for every
agency it disclosed them to: a crash between the two cannot leave a recipient holding what the
provider erased, and a node outside the compact for now (no directory) queues them all the
same, delivered once it has one. A holder that applies a notice forwards it, in the
transaction that applies it, to every agency it passed the records on to, so an onward copy
goes the way of the first.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime

from cruce.audit import Justification
from cruce.errors import InvalidInput
from cruce.share._attest import version_time
from cruce.share._canon import parse_time
from cruce.share._directory import Directory
from cruce.share._keys import NodeKeys
from cruce.share._notice import Notice, open_notice, seal_notice
from cruce.share._party import Party
from cruce.share._provenance import notice_applies as provenance_rule
from cruce.store import Store
from cruce.store._share_tables import Attestation, Held


def erasure_proof(record_id: str, held: Held, notice: Notice, data: bytes,
                  version: Attestation | None, receiver: str) -> bytes | Attestation | None:
    """What lets this notice (`data`) erase the held record, to be passed on with the erasure:
    the provider's own notice (its bytes: this notice, or the one it relays), or the provider's
    attestation of a newer version (a channel withdrawing an onward copy it may not correct);
    None: the notice may not erase it (the provenance rule, `notice_applies`)."""
    proof: bytes | Attestation | None = None
    relayed, newer = notice.relayed, notice.superseded.get(record_id)
    if relayed is not None and relayed.sender == held.agency \
            and record_id in relayed.record_ids and not _reshared(version, relayed):
        proof = notice.relayed_bytes
    elif newer is not None and newer.provider == held.agency and notice.sender in held.senders \
            and (version is None or version_time(newer) > version_time(version)):
        proof = newer
    if not provenance_rule(held.agency, sender=notice.sender, receiver=receiver,
                           provider_proof=proof is not None):
        return None
    return proof if proof is not None else data


def erased_floor(notice: Notice, version: Attestation | None,
                 proof: bytes | Attestation) -> str:
    """The provider's version time at or below which no copy of an erased record may come
    back (UTC, ISO 8601): the latest of the version held, the provider's newer version (a
    withdrawal) and the time of the provider's own notice (sent or relayed)."""
    times = [parse_time(notice.created_at, "created_at")]
    if notice.relayed is not None:
        times.append(parse_time(notice.relayed.created_at, "created_at"))
    for attested in (version, proof if isinstance(proof, Attestation) else None):
        if attested is not None:
            times.append(version_time(attested))
    return floor_text(max(times))


def floor_text(moment: datetime) -> str:
    """One spelling of a time for the store's floors, so that they compare as text."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _reshared(version: Attestation | None, notice: Notice) -> bool:
    # The provider shared a version newer than its erasure: a stale notice erases nothing.
    return version is not None and version_time(version) > parse_time(notice.created_at,
                                                                       "created_at")


# Ids per notice: 5,000 ids of at most 64 characters stay under 400 KB, and a relay of such a
# notice (the provider's inside, base64) under 1.2 MB, below the API's 2 MB for a notice.
NOTICE_IDS = 5_000


class Erasure:
    """Erase here and queue the notices; apply (and pass on) the notices others send.

    `keys` may be a loader: a node erasing nothing it ever shared needs no keys, and a node
    without the directory still signs the notices it queues.
    """

    def __init__(self, store: Store, keys: NodeKeys | Callable[[], NodeKeys],
                 directory: Directory | None, party: Party) -> None:
        self.store = store
        self._keys = keys
        self.directory = directory
        self.party = party

    def erase(self, record_ids: Sequence[str], why: Justification) -> dict[str, int]:
        """Erase records here and, in the same transaction, queue an erasure notice for every
        agency that received them."""
        with self.store.transaction():
            recipients = self.store.recipients_of(record_ids)
            erased = self.store.erase(record_ids, self.party.actor, why)
            self.store.forget_attestations(record_ids)
            self.notify(recipients, why.text or why.purpose)
        return {"erased": erased, "notices": len(recipients)}

    def expire(self, why: Justification) -> dict[str, int]:
        """Erase every record past its retain-until date, and tell its recipients."""
        ids = self.store.expired_ids(date.today())
        return self.erase(ids, why) if ids else {"erased": 0, "notices": 0}

    def receive_notice(self, data: bytes) -> int:
        """Apply an erasure notice to what its sender provided or brought here (once per
        notice), and pass it on to the agencies this node disclosed those records to."""
        if self.directory is None:
            raise InvalidInput("erasure notices need the compact directory (CRUCE_DIRECTORY)")
        agency = self.party.agency
        notice = open_notice(data, agency, self.directory)
        with self.store.transaction():
            if self.store.is_notice_applied(notice.notice_id):
                return 0
            held = self.store.held(notice.record_ids)
            versions = self.store.attestations(list(held))
            proofs = {i: p for i, h in held.items() if (p := erasure_proof(
                i, h, notice, data, versions.get(i), agency)) is not None}
            erased = sorted(proofs)
            if erased:
                onward = {r: ids for r, ids in self.store.recipients_of(erased).items()
                          if r != notice.sender}
                self.store.erase(erased, self.party.node_actor(notice.sender), _why(notice))
                self.store.forget_attestations(erased)
                self.store.keep_erased_versions(
                    {i: (held[i].agency, erased_floor(notice, versions.get(i), proofs[i]))
                     for i in erased})
                self._pass_on(onward, notice.reason, proofs)
            self.store.note_notice_applied(notice.notice_id, notice.sender, len(erased))
        return len(erased)

    def _pass_on(self, onward: dict[str, list[str]], reason: str,
                 proofs: dict[str, bytes | Attestation]) -> None:
        """Each onward recipient gets the erasure with the provider's proof of it: the
        provider's own notice relayed, or its attestations of newer versions."""
        for recipient, ids in onward.items():
            relays: dict[bytes, list[str]] = {}
            newer: dict[str, Attestation] = {}
            for i in ids:
                proof = proofs[i]
                if isinstance(proof, bytes):
                    relays.setdefault(proof, []).append(i)
                else:
                    newer[i] = proof
            for provider_notice, group in relays.items():
                self.notify({recipient: group}, reason, relayed=provider_notice)
            if newer:
                self.notify({recipient: sorted(newer)}, reason, superseded=newer)

    def notify(self, recipients: dict[str, list[str]], reason: str, *,
               relayed: bytes | None = None,
               superseded: dict[str, Attestation] | None = None) -> None:
        """Queue signed notices per recipient (in the caller's transaction), with the
        provider's proof when it relays the provider's erasure (see `_notice`). At most
        NOTICE_IDS ids a notice: a relayed one carries its provider's notice as well, and both
        must stay under the recipient's size limit for notices."""
        for recipient, ids in recipients.items():
            for start in range(0, len(ids), NOTICE_IDS):
                part = ids[start:start + NOTICE_IDS]
                proofs = {i: superseded[i] for i in part if i in superseded} \
                    if superseded else None
                notice = seal_notice(self.keys, self.party.agency, recipient, part, reason,
                                     relayed=relayed, superseded=proofs)
                self.store.queue_outgoing(str(uuid.uuid4()), recipient, notice, len(part),
                                          "erasure")

    @property
    def keys(self) -> NodeKeys:
        if callable(self._keys):
            self._keys = self._keys()
        return self._keys


def _why(notice: Notice) -> Justification:
    return Justification("intelligence", "erasure by the providing agency", notice.notice_id,
                         notice.reason)


def local_keys(store_url: str) -> NodeKeys:
    """The node's own keys, beside its store (or in CRUCE_KEYS_DIR): what signs the notices
    of a node that is not, or not yet, configured for the compact."""
    from cruce._files import node_folder

    folder = node_folder(store_url, "keys")
    if folder is None:
        raise InvalidInput("an in-memory node keeps no keys: set CRUCE_KEYS_DIR")
    return NodeKeys.load_or_generate(folder)


def erasure_without_directory(store: Store, party: Party) -> Erasure:
    """Erasure for a node without the compact directory (yet): its notices are signed with the
    node's own keys and queued, to be delivered once the directory is configured."""
    return Erasure(store, lambda: local_keys(store.url), None, party)
