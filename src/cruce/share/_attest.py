"""Providers' attestations: proof, from the agency that provided a record, of one version of it.

A package's signature proves who sent it, not who provided what it holds: a member could put a
record in its package under another member's name. So a provider attests every record it puts
in a package: an Ed25519 signature, with its directory key, over

    STATEMENT_PREFIX + canonical JSON of {"id", "provider", "version", "digest"}

where `version` is the provider's version time of the record (ISO 8601, the time it last
changed there) and `digest` the SHA-256 of the canonical JSON of the record's content and
policy envelope ({"id", "schema", "properties" (each value list sorted, unique, none empty),
"envelope": the policy fields}); the record keeping fields (provenance, created and updated
times) are the holder's own and are left out. A recipient keeps the attestation with the
record; passing the record on, it carries the attestation unchanged, and the onward recipient
verifies it against the provider's directory key over the digest of the record as it arrived.
A channel therefore cannot pass on a record its provider never shared, nor change one, and the
version time lets a receiver refuse an older version replayed over a newer one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature

from cruce.errors import InvalidInput
from cruce.records import POLICY_FIELDS
from cruce.share._canon import b64d, b64e, canonical_json, parse_time
from cruce.share._directory import Directory
from cruce.share._keys import NodeKeys
from cruce.store._share_tables import Attestation

STATEMENT_PREFIX = b"cruce/share/attestation/v1\x00"
_WIRE = frozenset({"provider", "version", "digest", "signature"})


def record_digest(item: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of a record's content and policy envelope, from its `to_dict()` form."""
    envelope = item["envelope"]
    properties = item.get("properties") or {}
    body = {
        "id": item["id"],
        "schema": item["schema"],
        "properties": {k: sorted(set(v)) for k, v in sorted(properties.items()) if v},
        "envelope": {name: envelope.get(name) for name in POLICY_FIELDS},
    }
    return hashlib.sha256(canonical_json(body)).hexdigest()


def statement(record_id: str, provider: str, version: str, digest: str) -> bytes:
    """The bytes a provider signs for one version of one record."""
    fields = {"id": record_id, "provider": provider, "version": version, "digest": digest}
    return STATEMENT_PREFIX + canonical_json(fields)


def attest(keys: NodeKeys, provider: str, item: Mapping[str, Any]) -> Attestation:
    """The provider's attestation of a record of its own, as it goes into a package."""
    version = str(item["envelope"]["updated_at"])
    digest = record_digest(item)
    signed = keys.signing_key.sign(statement(str(item["id"]), provider, version, digest))
    return Attestation(str(item["id"]), provider, version, digest, b64e(signed))


def attest_own(keys: NodeKeys, sender: str, items: Sequence[Mapping[str, Any]]
               ) -> dict[str, Attestation]:
    """The sender's attestation of each record in `items` that names it as provider (and has
    a version time: a stored record always does)."""
    return {str(item["id"]): attest(keys, sender, item) for item in items
            if item["envelope"].get("agency") == sender and item["envelope"].get("updated_at")}


def to_wire(attestation: Attestation) -> dict[str, str]:
    """As a package or a notice carries it (the record id is its key there)."""
    return {"provider": attestation.provider, "version": attestation.version,
            "digest": attestation.digest, "signature": attestation.signature}


def from_wire(record_id: str, data: Any, digest: str | None = None) -> Attestation:
    """An attestation as carried; `digest`, computed by the receiver from the record as it
    arrived, replaces the one stated (so the signature is checked against what came)."""
    if not isinstance(data, dict) or set(data) != _WIRE or not all(
            isinstance(v, str) for v in data.values()):
        raise InvalidInput(f"the attestation of record {record_id!r} is malformed")
    parse_time(data["version"], "an attestation's version")
    return Attestation(record_id, data["provider"], data["version"],
                       digest if digest is not None else data["digest"], data["signature"])


def verifies(attestation: Attestation, directory: Directory) -> bool:
    """Does the provider's directory key verify this attestation?"""
    member = directory.get(attestation.provider)
    if member is None:
        return False
    try:
        signature = b64d(attestation.signature, "signature")
        member.verify_key().verify(signature, statement(
            attestation.record_id, attestation.provider, attestation.version,
            attestation.digest))
    except (InvalidSignature, InvalidInput, ValueError):
        return False
    return True


def version_time(attestation: Attestation) -> datetime:
    return parse_time(attestation.version, "an attestation's version")


def is_older(arriving: Attestation, held: Attestation | None) -> bool:
    """Is the arriving version older than the one held from the same provider?"""
    if held is None or held.provider != arriving.provider:
        return False
    return version_time(arriving) < version_time(held)
