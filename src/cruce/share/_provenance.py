"""Provenance across nodes: pure rules for what a package may bring and what an erasure notice
may erase, and how a provider's change reaches the agencies holding a copy.

Rules for a record arriving in a package from `sender` at `receiver` (checked in this order; the
first that fails names the refusal; the store's write policy, `cruce.store._policy`, then
decides whether it may change a record already held):

1. own    -- a record naming the receiver's own agency is never taken from a package: a node's
   own records change only through its own ingest.
2. tlp    -- TLP:RED never travels in a package (TLP 2.0: named-recipient briefings only), so a
   RED record is refused on arrival; the one exception is a victim's record its own provider
   released to this receiver (a supervisor's release; `decide` rule 1), which is handled as RED.
3. sender -- a record names its sender as its agency (the sender is its provider), or it is an
   onward share: it names another member of the compact (not the sender, not the receiver), is
   no victim (released victims never go onward), carries its provider's attestation of this
   very version (`_attest`: signed with the provider's directory key, verified here over the
   record as it arrived), and either its labels let it go on without the provider's consent
   (GREEN or CLEAR, H0 or H1, collected for the share's purpose: the provider's standing
   permission, `decide` rules 2-4) or the receiver holds the provider's consent for this
   record, this receiver and this purpose. A member can therefore pass on only what its
   provider shared, as the provider shared it.
4. version -- a record whose attestation is older than the one held here from the same
   provider is refused: an older version is never replayed over a newer one.

An erasure notice from `sender` applies to a held record only if the sender provided it (its
agency), or if it carries its provider's proof (`notice_applies`): the provider's own signed
notice, relayed down the chain by the channel, or, for a channel withdrawing an onward copy it
may not correct, the provider's attestation of a newer version. Never to the receiver's own
records: a channel cannot erase on its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cruce.audit import Justification
from cruce.errors import Conflict, NotFound, PermissionDenied
from cruce.records import TLP, Envelope, HandlingCode, PurposeArea, Record
from cruce.share._attest import is_older, verifies, version_time
from cruce.share._canon import parse_time
from cruce.share._consent import ConsentBook, ConsentRequest
from cruce.share._directory import Directory
from cruce.share._notice import seal_notice
from cruce.share._rules import COND_RELEASED
from cruce.store._share_tables import Attestation

if TYPE_CHECKING:
    from cruce.share._node import Sharing
    from cruce.share._package import Share
    from cruce.store import Store

WITHDRAWAL = ("withdrawn by the provider: the record may no longer be shared (now a victim's, "
              "not shareable or TLP:RED)")
NO_CONSENT = ", without a consent of its provider to pass it on known to this node"
_STANDING_TLP = (TLP.CLEAR, TLP.GREEN)
_STANDING_CODES = (HandlingCode.H0, HandlingCode.H1)


def arrival_problem(
    env: Envelope, record_id: str, *, sender: str, receiver: str,
    purpose: PurposeArea | str | None, members: frozenset[str], released: bool, consented: bool,
    attested: bool,
) -> str | None:
    """Why a package from `sender` may not bring this record to `receiver` (None: it may).

    `released`: the package carries the provider's release of this victim record to the
    receiver; `consented`: the receiver holds the provider's consent for it; `attested`: it
    carries a valid attestation of its provider (rule 3).

    >>> from datetime import date
    >>> env = Envelope.build(agency="us_border", dataset="x", purpose="intelligence",
    ...     handling_code="H2", tlp="AMBER", source_reliability="B", information_accuracy="2",
    ...     retain_until=date(2031, 1, 1), subject_category="suspect")
    >>> arrival_problem(env, "r1", sender="sv_police", receiver="hn_police",
    ...     purpose="intelligence", members=frozenset({"us_border"}), released=False,
    ...     consented=False, attested=True) is not None
    True
    """
    provider = env.agency
    if provider == receiver:
        return (f"record {record_id!r} names {receiver}, the receiving agency: a package never "
                "brings or changes a node's own records")
    if env.tlp is TLP.RED and not (released and env.is_victim and provider == sender):
        return (f"record {record_id!r} is TLP:RED: RED never travels in a share package "
                "(named-recipient briefings only)")
    if provider == sender:
        return None
    if provider not in members:
        return f"record {record_id!r} names {provider}, which is not a member of the compact"
    if env.is_victim or not env.is_shareable:
        return (f"record {record_id!r} is {provider}'s protected record: it is never passed on "
                f"by {sender}")
    if not attested:
        return (f"record {record_id!r} names {provider} as provider but comes from {sender} "
                f"without {provider}'s attestation of it: a member passes on only what its "
                "provider signed")
    standing = (env.tlp in _STANDING_TLP and env.handling_code in _STANDING_CODES
                and purpose is not None and env.purpose == PurposeArea(purpose))
    if standing or consented:
        return None
    return (f"record {record_id!r} names {provider} as provider but comes from {sender}"
            f"{NO_CONSENT}")


def admit(
    share: Share, receiver: str, directory: Directory,
    consented: Callable[[str, str], bool], held: Mapping[str, Attestation],
    erased: Mapping[str, tuple[str, datetime]] | None = None,
) -> tuple[list[Record], list[tuple[str, str]]]:
    """The records of an opened package the receiver may take, and (id, reason) for each it
    refuses (`arrival_problem`); `consented(record_id, provider)` looks up the receiver's own
    consent book, `held` the attestations kept here, `erased` (provider, version) of the records
    their provider erased or withdrew here: an onward copy of such a version never comes back.
    PermissionDenied (403: the sender's outbox
    tries again) for the whole package if a record lacks a consent the provider may not have
    told this node of yet."""
    members = frozenset(m.id for m in directory)
    taken: list[Record] = []
    refused: list[tuple[str, str]] = []
    waiting: list[str] = []  # refused for a consent not (yet) known here
    for record in share.records:
        env = record.envelope
        onward = env.agency != share.sender
        proof = provider_proof(share, record)
        if proof is not None and is_older(proof, held.get(record.id)):
            refused.append((record.id, f"record {record.id!r}: {share.sender} sent {env.agency}"
                            f"'s version of {proof.version}, older than the one held here: an "
                            "older version never replaces a newer one"))
            continue
        if onward and proof is not None and _erased_before(proof, (erased or {}).get(record.id)):
            refused.append((record.id, f"record {record.id!r}: {share.sender} sent {env.agency}"
                            f"'s version of {proof.version}, which its provider has erased or "
                            "withdrawn here since: only the provider's own share brings it back"))
            continue
        problem = arrival_problem(
            env, record.id, sender=share.sender, receiver=receiver, purpose=share.purpose,
            members=members, released=COND_RELEASED in share.conditions.get(record.id, ()),
            consented=onward and consented(record.id, env.agency),
            attested=not onward or (proof is not None and verifies(proof, directory)))
        if problem is None:
            taken.append(record)
        elif problem.endswith(NO_CONSENT):
            waiting.append(problem)
        else:
            refused.append((record.id, problem))
    if waiting:  # the provider's consent may still be on its way here: the sender tries again
        raise PermissionDenied(f"package {share.share_id} not taken yet: {waiting[0]}")
    return taken, refused


def _erased_before(proof: Attestation, floor: tuple[str, datetime] | None) -> bool:
    return floor is not None and floor[0] == proof.provider and version_time(proof) <= floor[1]


def provider_proof(share: Share, record: Record) -> Attestation | None:
    """The attestation a package carries for a record, if it names the record's provider
    (checked against the provider's key only where it matters: `admit`, rule 3)."""
    proof = share.attestations.get(record.id)
    return proof if proof is not None and proof.provider == record.envelope.agency else None


def notice_applies(record_agency: str, *, sender: str, receiver: str,
                   provider_proof: bool) -> bool:
    """May an erasure notice from `sender` erase a held record (see the module's rules)?
    `provider_proof`: the notice carries the record's provider's proof (its signed notice, or
    its attestation of a newer version), checked by the caller."""
    if record_agency == receiver:
        return False
    return record_agency == sender or provider_proof


def propagate(sharing: Sharing, store: Store, altered: Sequence[str], withdrawn: Sequence[str],
              why: Justification) -> dict[str, dict[str, int]]:
    """Queue what the agencies holding a copy of altered records must get, in the caller's
    transaction: a withdrawal (an erasure notice) for every record no package may carry any
    more, a correction (the new version, the rules checked again, under the record's own
    purpose) for the others. A correction the rules refuse is counted, never raised."""
    gone = set(withdrawn)
    recipients = sharing.recipients_of(list(altered))
    corrected: set[str] = set()
    pulled: set[str] = set()
    told: set[str] = set()
    refused = 0
    purposes = store.purposes_of(sorted({i for ids in recipients.values() for i in ids}))
    for recipient, ids in recipients.items():
        pull = [i for i in ids if i in gone]
        if pull:
            notice = seal_notice(sharing.keys, sharing.agency, recipient, pull, WITHDRAWAL)
            sharing.outbox_queue.queue(str(uuid.uuid4()), recipient, notice, len(pull),
                                       kind="erasure")
            pulled.update(pull)
            told.add(recipient)
        for purpose, group in _by_purpose([i for i in ids if i not in gone], purposes).items():
            correction = Justification(purpose, why.legal_basis, why.case_reference,
                                       why.text or "correction by the provider")
            try:
                done = sharing.disclose(group, [recipient], correction)
            except PermissionDenied:
                refused += len(group)
                continue
            sent = done.sent.get(recipient, [])
            corrected.update(sent)
            refused += len(group) - len(sent)
            if sent:
                told.add(recipient)
    return {"corrections": {"corrected": len(corrected), "recipients": len(told)},
            "withdrawals": {"withdrawn": len(pulled), "not_corrected": refused}}


def _by_purpose(ids: list[str], purposes: dict[str, str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for record_id in ids:
        if record_id in purposes:  # erased meanwhile: nothing to correct
            groups.setdefault(purposes[record_id], []).append(record_id)
    return groups


def consent_lookup(store: Store, receiver: str,
                   purpose: PurposeArea | None) -> Callable[[str, str], bool]:
    """`consented(record_id, provider)` for `admit`: does the receiver's consent book hold the
    provider's grant of this record to the receiver for the package's purpose?"""
    book = ConsentBook(store)

    def consented(record_id: str, provider: str) -> bool:
        if purpose is None:
            return False
        consent = book.consent_for(record_id, recipient=receiver, purpose=purpose)
        return consent is not None and consent.granted and consent.request.provider == provider

    return consented


def admit_or_refuse(share: Share, receiver: str, directory: Directory,
                    store: Store) -> tuple[list[Record], list[tuple[str, str]]]:
    """`admit` with the receiver's consent book and attestations; Conflict (final for the
    sender) if the package holds nothing the receiver may take."""
    ids = [r.id for r in share.records]
    held = store.attestations(ids)
    erased = {i: (provider, parse_time(version, "an erased version"))
              for i, (provider, version) in store.erased_versions(ids).items()}
    taken, refused = admit(share, receiver, directory,
                           consent_lookup(store, receiver, share.purpose), held, erased)
    if not taken and refused:
        more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
        raise Conflict(f"package {share.share_id} refused: {refused[0][1]}{more}")
    return taken, refused


# -- the onward recipient learns of the provider's consent (so that rule 3 can check it) ------
def onward_copy(request: ConsentRequest, status: str,
                fields: Mapping[str, Any]) -> dict[str, Any] | None:
    """The provider's answer as sent to the onward recipient too, with the request it answers
    (that node never saw the request): for a grant or a revocation, when the onward recipient
    is not the requester itself. None: nothing to send."""
    if status not in ("granted", "revoked") or request.recipient == request.requester:
        return None
    return {**fields, "request": request.to_dict()}


def known_request(book: ConsentBook, fields: Mapping[str, Any], sender: str,
                  receiver: str) -> ConsentRequest:
    """The request a consent answer is about: from the book, or, for the onward recipient the
    provider told (`onward_copy`), recorded from the answer signed by that provider."""
    request_id = str(fields.get("request_id"))
    try:
        return book.get(request_id)
    except NotFound:
        told = fields.get("request")
        if not isinstance(told, dict) or told.get("request_id") != request_id:
            raise
        if told.get("provider") != sender or told.get("recipient") != receiver:
            raise PermissionDenied("a consent answer about another provider's record or "
                                   "another recipient") from None
        return book.request(
            record_id=str(told["record_id"]), provider=sender,
            requester=str(told["requester"]), recipient=receiver,
            purpose=str(told["purpose"]), justification=str(told["justification"]),
            request_id=request_id)
