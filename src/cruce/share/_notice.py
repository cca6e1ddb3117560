"""Erasure notices: a provider tells every agency it shared records with to erase them.

A notice names record ids only (an erasure never copies the erased content), is signed by the
sender's directory key, and carries a unique id so a replayed notice changes nothing.

    {"v": 1, "kind": "erasure", "notice_id": …, "sender": …, "recipient": …,
     "created_at": …, "record_ids": [...], "reason": …,
     "relayed": "<base64 of the provider's own notice>"            (optional)
     "superseded": {"<record id>": <the provider's attestation>}}  (optional)
    +  "\\n"  +  base64 Ed25519 signature

A holder passing a provider's erasure on down an onward chain sends its own notice with the
provider's notice inside (`relayed`, verified against the provider's key, never nested: each
holder relays the provider's original), so an onward holder erases only what the provider
itself asked to erase. A holder withdrawing an onward copy it may no longer correct (the
provider's new version may not go on) names, per record, the provider's attestation of that
newer version (`superseded`; no content). A reader of the first version of notices ignores
both keys.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature

from cruce.errors import InvalidInput, PermissionDenied, SignatureInvalid
from cruce.share._attest import from_wire, to_wire, verifies
from cruce.share._canon import b64d, b64e, canonical_json
from cruce.share._directory import Directory, Member
from cruce.share._keys import NodeKeys
from cruce.store._share_tables import Attestation

PREFIX = b"cruce/share/notice/v1\x00"
MAX_IDS = 100_000


@dataclass(frozen=True, slots=True)
class Notice:
    notice_id: str
    sender: str
    recipient: str
    created_at: str
    record_ids: tuple[str, ...]
    reason: str
    relayed: Notice | None = None  # the provider's own notice, verified
    relayed_bytes: bytes | None = None
    superseded: Mapping[str, Attestation] = field(default_factory=dict)  # verified


def seal_notice(keys: NodeKeys, sender: str, recipient: str, record_ids: list[str],
                reason: str, *, relayed: bytes | None = None,
                superseded: Mapping[str, Attestation] | None = None) -> bytes:
    fields: dict[str, Any] = {
        "v": 1, "kind": "erasure", "notice_id": str(uuid.uuid4()), "sender": sender,
        "recipient": recipient, "created_at": datetime.now(UTC).isoformat(),
        "record_ids": sorted(record_ids), "reason": reason,
    }
    if relayed is not None:
        fields["relayed"] = b64e(relayed)
    if superseded:
        fields["superseded"] = {k: to_wire(v) for k, v in sorted(superseded.items())}
    body = canonical_json(fields)
    return body + b"\n" + b64e(keys.signing_key.sign(PREFIX + body)).encode("ascii")


def open_notice(data: bytes, recipient: str, directory: Directory) -> Notice:
    """Verify a notice against the sender's directory key; it must be addressed to us. A
    relayed provider's notice must verify too (SignatureInvalid otherwise); a superseding
    attestation that does not verify is left out."""
    fields, member = _verified(data, directory)
    if fields.get("recipient") != recipient:
        raise PermissionDenied("this notice is addressed to another agency")
    relayed = relayed_bytes = None
    if "relayed" in fields:
        relayed_bytes = b64d(fields["relayed"], "relayed")
        inner, provider = _verified(relayed_bytes, directory)
        if "relayed" in inner:
            raise InvalidInput("a relayed notice carries the provider's own notice, not a relay")
        relayed = _notice(inner, provider)
    superseded: dict[str, Attestation] = {}
    carried = fields.get("superseded", {})
    if not isinstance(carried, dict):
        raise InvalidInput("a notice's superseded attestations are an object")
    for record_id, wire in carried.items():
        try:
            attestation = from_wire(str(record_id), wire)
        except InvalidInput:
            continue
        if verifies(attestation, directory):
            superseded[str(record_id)] = attestation
    notice = _notice(fields, member)
    return Notice(notice.notice_id, notice.sender, notice.recipient, notice.created_at,
                  notice.record_ids, notice.reason, relayed, relayed_bytes, superseded)


def _verified(data: bytes, directory: Directory) -> tuple[dict[str, Any], Member]:
    body, _, signature = data.rpartition(b"\n")
    try:
        fields = json.loads(body)
        assert isinstance(fields, dict) and fields.get("v") == 1 and fields.get("kind") == "erasure"
    except (ValueError, AssertionError):
        raise InvalidInput("not an erasure notice") from None
    member = directory.get(str(fields.get("sender")))
    if member is None:
        raise SignatureInvalid(f"sender {fields.get('sender')!r} is not in the compact directory")
    try:
        member.verify_key().verify(b64d(signature.decode("ascii", "replace"), "signature"),
                                   PREFIX + body)
    except (InvalidSignature, InvalidInput):
        raise SignatureInvalid("the notice signature does not verify") from None
    return fields, member


def _notice(fields: dict[str, Any], member: Member) -> Notice:
    ids = fields.get("record_ids")
    if not isinstance(ids, list) or len(ids) > MAX_IDS or not all(isinstance(i, str) for i in ids):
        raise InvalidInput("a notice lists record ids")
    return Notice(str(fields["notice_id"]), member.id, str(fields.get("recipient")),
                  str(fields["created_at"]), tuple(ids), str(fields.get("reason", "")))
