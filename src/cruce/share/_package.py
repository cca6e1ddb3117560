"""Sealed, signed share packages: records sent from one agency to named recipient agencies.

Package format, version 2 (all integers big-endian)::

    magic      4 bytes   b"CRSH"
    version    1 byte    2
    hlen       4 bytes   length of the header
    header     hlen      canonical JSON (sorted keys, no whitespace, UTF-8), below
    ciphertext rest      ChaCha20-Poly1305(content key, header.nonce, payload, aad=header)
    signature  64 bytes  Ed25519 by the sender over SIGN_PREFIX + every byte before it

    header = {"v": 2, "suite": SUITE (the HPKE suite, see _hpke),
              "share_id": "<uuid>", "sender": "<agency id>",
              "created_at": "<ISO 8601 UTC>", "expires_at": "<ISO 8601 UTC>",
              "purpose": "<purpose area>" | null, "nonce": "<base64 12 bytes>",
              "recipients": [{"id": "<agency id>", "sealed_key": "<base64 80 bytes>"}, ...]}

    payload (plaintext, canonical JSON) = {"share": {share_id, sender, recipients (ids),
              created_at, expires_at, purpose}, "records": [Record.to_dict() ...],
              "conditions": {"<record id>": ["<condition>", ...]},
              "attestations": {"<record id>": {"provider", "version", "digest",
                                               "signature"}}}

Format 2.1 adds the payload's `attestations` only (the version byte stays 2): each record's
provider's signed statement of the version sent (`_attest`), carried unchanged onward. A 2.0
reader ignores the key; a 2.1 reader takes a 2.0 package's records from their own provider
(the package's signature is the proof) but no onward record without a valid attestation.

The payload is encrypted once under a random 32-byte content key. For each recipient the content
key is sealed with RFC 9180 HPKE, mode base (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
ChaCha20Poly1305; `cryptography`'s implementation) to the recipient's directory key, with
info = WRAP_INFO + canonical JSON of {"v": 2, "share_id", "sender", "recipient"}: a sealed key
moved to another share, sender, recipient or format version does not open. `sealed_key` is
HPKE's enc (32 bytes) followed by the sealed content key (32 + 16 bytes).

The signature makes every byte of the package the sender's statement: opening verifies it with
the directory key of the claimed sender before anything else is trusted or decrypted.
Opening then refuses, in order: a sender whose directory entry is not valid at created_at and
now, a lifetime over MAX_TTL, a package not addressed to this node (PermissionDenied), an expired
one (PackageExpired), a share id already seen (ReplayDetected, a Conflict), a key or payload that
does not decrypt (DecryptionFailed). The share id is remembered only after a successful open.

Format 1 (the same layout with a hand-made X25519 + HKDF key wrap) is still accepted until
_format_v1.V1_ACCEPTED_UNTIL and refused as final (FormatRetired, 410) after it, because
packages sealed before a sender upgraded wait in its outbox for up to 30 days and the five
nodes upgrade on their own dates (the full reasoning is in _format_v1). This node never seals
format 1.
"""

from __future__ import annotations

import json
import os
import struct
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from threading import Lock
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from cruce.errors import (
    Conflict,
    CruceError,
    DecryptionFailed,
    InvalidInput,
    PermissionDenied,
    SignatureInvalid,
)
from cruce.records import PurposeArea, Record
from cruce.share import _format_v1
from cruce.share._attest import attest_own, to_wire
from cruce.share._canon import b64d, b64e, canonical_json, parse_time, require_aware
from cruce.share._directory import Directory, Member
from cruce.share._hpke import ENC_LENGTH, SUITE_NAME, TAG_LENGTH, open_sealed, seal_to
from cruce.share._keys import NodeKeys
from cruce.share._payload import MAX_TTL, read_attestations, read_records, share_meta
from cruce.store._share_tables import Attestation

VERSION = 2
MAGIC = b"CRSH"
SUITE = SUITE_NAME
SIGN_PREFIX = b"cruce/share/package/v2\x00"
WRAP_INFO = b"cruce/share/wrap/v2\x00"
MAX_CLOCK_SKEW = timedelta(minutes=5)
_PREAMBLE = struct.Struct(">4sBI")
_SIG = 64
_SEALED_KEY = ENC_LENGTH + 32 + TAG_LENGTH
_HEADER_FIELDS = frozenset({"v", "suite", "share_id", "sender", "created_at", "expires_at",
                            "purpose", "nonce", "recipients"})
_SIGN_PREFIXES = {1: _format_v1.PACKAGE_SIGN_PREFIX, 2: SIGN_PREFIX}
_SUITES = {1: _format_v1.PACKAGE_SUITE, 2: SUITE}


class PackageExpired(PermissionDenied):
    """The package is past its expires_at; the sender must seal and send it again (410: these
    bytes will never be taken)."""

    status = 410


class ReplayDetected(Conflict):
    """This share id was already opened here."""


class ReplayGuard(Protocol):
    """Remembers opened share ids until they expire (after that, expiry rejects them anyway).

    `remember` must be an atomic insert that raises Conflict when the id is already known, so
    two concurrent opens of one package cannot both succeed (a unique key in a database).
    """

    def seen(self, share_id: str) -> bool: ...

    def remember(self, share_id: str, until: datetime) -> None: ...


class MemoryReplayGuard:
    """In-memory ReplayGuard (one process, lost on restart: the node should persist its own)."""

    def __init__(self) -> None:
        self._until: dict[str, datetime] = {}
        self._lock = Lock()

    def seen(self, share_id: str) -> bool:
        with self._lock:
            return share_id in self._until

    def remember(self, share_id: str, until: datetime) -> None:
        with self._lock:
            if share_id in self._until:
                raise ReplayDetected(f"share {share_id} was already opened")
            self._until[share_id] = until

    def forget_expired(self, now: datetime) -> int:
        with self._lock:
            old = [key for key, until in self._until.items() if until < now]
            for key in old:
                del self._until[key]
            return len(old)


@dataclass(frozen=True, slots=True)
class Share:
    """An opened package: who sent what to whom, with each record's envelope as sent."""

    share_id: str
    sender: str
    recipients: tuple[str, ...]
    created_at: datetime
    expires_at: datetime
    purpose: PurposeArea | None
    records: tuple[Record, ...]
    conditions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Each record's provider attestation as it came, its digest computed here from the record
    # as it arrived (a record without one is absent; a malformed one too).
    attestations: Mapping[str, Attestation] = field(default_factory=dict)


def seal(
    records: Iterable[Record | Mapping[str, Any]],
    sender_keys: NodeKeys,
    sender_id: str,
    recipients: Sequence[Member],
    share_id: str | uuid.UUID,
    created_at: datetime,
    *,
    expires_at: datetime | None = None,
    purpose: PurposeArea | str | None = None,
    conditions: Mapping[str, Sequence[str]] | None = None,
    attestations: Mapping[str, Attestation] | None = None,
) -> bytes:
    """Encrypt `records` for `recipients` and sign the package as `sender_id` (format 2.1).

    Sealing does not apply the sharing rules: the server runs `decide` per record first and
    passes the resulting conditions here so they travel with the recipient's copy.
    `attestations` go with the records (record id -> provider's; default: the sender's own).
    """
    # A Record, or its `to_dict()` form already made (a bulk share builds it from stored rows).
    items = [r.to_dict() if isinstance(r, Record) else r for r in records]
    ids = [str(item["id"]) for item in items]
    share = share_meta(ids, sender_id, recipients, share_id, created_at, expires_at, purpose)
    conditions = dict(conditions or {})
    unknown = set(conditions) - set(ids)
    if unknown:
        raise InvalidInput(f"conditions name records not in the share: {sorted(unknown)}")
    proofs = dict(attestations) if attestations is not None else attest_own(
        sender_keys, sender_id, items)
    if set(proofs) - set(ids):
        raise InvalidInput("attestations name records not in the share")
    payload = canonical_json(
        {
            "share": share,
            "records": items,
            "conditions": {k: list(v) for k, v in sorted(conditions.items())},
            "attestations": {k: to_wire(v) for k, v in sorted(proofs.items())},
        }
    )
    content_key = ChaCha20Poly1305.generate_key()
    header_fields = {key: share[key] for key in ("share_id", "sender", "created_at")}
    header = {
        **header_fields,
        "v": VERSION,
        "suite": SUITE,
        "expires_at": share["expires_at"],
        "purpose": share["purpose"],
        "nonce": b64e(os.urandom(12)),
        "recipients": [_seal_key(content_key, member, share) for member in recipients],
    }
    header_bytes = canonical_json(header)
    ciphertext = ChaCha20Poly1305(content_key).encrypt(
        b64d(header["nonce"], "nonce"), payload, header_bytes
    )
    body = _PREAMBLE.pack(MAGIC, VERSION, len(header_bytes)) + header_bytes + ciphertext
    return body + sender_keys.signing_key.sign(SIGN_PREFIX + body)


def open_package(
    data: bytes,
    recipient_keys: NodeKeys,
    recipient_id: str,
    directory: Directory,
    seen: ReplayGuard,
    *,
    now: datetime | None = None,
) -> Share:
    """Verify, check and decrypt a package addressed to `recipient_id` (format 2, or format 1
    while it is still accepted).

    Order matters: nothing in the header is believed before the sender's signature verifies,
    and the share id is remembered only once the package has been fully opened.
    """
    now = require_aware(now, "now") if now is not None else datetime.now(UTC)
    version, body, header_bytes, ciphertext, signature = _split(data, now)
    header = _parse_header(header_bytes, version)
    sender = _signer(directory, header["sender"], _SIGN_PREFIXES[version] + body, signature)
    created_at, expires_at = header["created_at"], header["expires_at"]
    problem = sender.not_in_force(created_at) or sender.not_in_force(now)
    if problem is not None:
        raise SignatureInvalid(problem)
    if expires_at - created_at > MAX_TTL:
        raise PermissionDenied(f"share {header['share_id']} asks to live longer than {MAX_TTL}")
    if created_at > now + MAX_CLOCK_SKEW:
        raise SignatureInvalid(f"the package claims to be created in the future ({created_at})")
    entry = next((r for r in header["recipients"] if r["id"] == recipient_id), None)
    if entry is None:
        raise PermissionDenied(f"share {header['share_id']} is not addressed to {recipient_id}")
    if seen.seen(header["share_id"]):  # first: a retry of a package held here is no error
        raise ReplayDetected(f"share {header['share_id']} was already opened")
    if now >= expires_at:
        raise PackageExpired(f"share {header['share_id']} expired at {expires_at.isoformat()}")
    content_key = _open_key(entry, recipient_keys, header, version)
    try:
        plain = ChaCha20Poly1305(content_key).decrypt(header["nonce"], ciphertext, header_bytes)
    except InvalidTag:
        raise DecryptionFailed(
            f"share {header['share_id']}: the payload does not decrypt"
        ) from None
    share = _read_payload(plain, header)
    seen.remember(share.share_id, share.expires_at)
    return share


def _signer(directory: Directory, sender_id: str, signed: bytes, signature: bytes) -> Member:
    """The directory member named as sender, once its key verifies the signature."""
    sender = directory.get(sender_id)
    if sender is None:
        raise SignatureInvalid(f"sender {sender_id!r} is not in the compact directory")
    try:
        sender.verify_key().verify(signature, signed)
    except InvalidSignature:
        raise SignatureInvalid(
            f"the package signature does not verify under {sender.id}'s directory key"
        ) from None
    return sender


def key_info(share_id: str, sender: str, recipient: str) -> bytes:
    """HPKE info for one recipient's sealed content key: format, share, sender, recipient."""
    bound = {"v": VERSION, "share_id": share_id, "sender": sender, "recipient": recipient}
    return WRAP_INFO + canonical_json(bound)


def _seal_key(content_key: bytes, member: Member, share: Mapping[str, Any]) -> dict[str, str]:
    info = key_info(share["share_id"], share["sender"], member.id)
    return {"id": member.id, "sealed_key": b64e(seal_to(member, content_key, info))}


def _open_key(entry: Mapping[str, Any], keys: NodeKeys, header: Mapping[str, Any],
              version: int) -> bytes:
    share_id, sender = header["share_id"], header["sender"]
    if version == 1:
        return _format_v1.unwrap(dict(entry), keys, share_id, sender)
    info = key_info(share_id, sender, entry["id"])
    return open_sealed(keys, entry["sealed_key"], info, f"share {share_id}: the content key")


def _split(data: bytes, now: datetime) -> tuple[int, bytes, bytes, bytes, bytes]:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InvalidInput("a package is bytes")
    data = bytes(data)
    if len(data) < _PREAMBLE.size + _SIG:
        raise SignatureInvalid("the package is truncated")
    magic, version, hlen = _PREAMBLE.unpack_from(data)
    if magic != MAGIC:
        raise SignatureInvalid("not a cruce share package (bad magic)")
    if version not in _SIGN_PREFIXES:
        raise SignatureInvalid(f"unsupported package version {version}; this node reads 1 and 2")
    if version == 1:
        _format_v1.refuse_if_retired(now, "this package")
    end = _PREAMBLE.size + hlen
    if end > len(data) - _SIG:
        raise SignatureInvalid("the package is truncated (header longer than the package)")
    body = data[:-_SIG]
    return version, body, data[_PREAMBLE.size : end], data[end:-_SIG], data[-_SIG:]


def _parse_header(raw: bytes, version: int) -> dict[str, Any]:
    """Read the header into typed values; any malformation is reported as a broken signature.

    It runs before the signature check (the sender named inside picks the key), so it must be
    strict: only the canonical spelling of the header, of the version the preamble names.
    """
    try:
        header = json.loads(raw)
        if not isinstance(header, dict) or canonical_json(header) != raw:
            raise InvalidInput("the header is not canonical JSON")
        if set(header) != _HEADER_FIELDS:
            raise InvalidInput(f"the header does not have the v{version} fields")
        if type(header["v"]) is not int or header["v"] != version:
            raise InvalidInput(f"the header's version is not {version}, as the preamble says")
        if header["suite"] != _SUITES[version]:
            raise InvalidInput(f"unsupported suite for version {version}")
        if not isinstance(header["sender"], str) or not isinstance(header["share_id"], str):
            raise InvalidInput("sender and share_id must be text")
        header["created_at"] = parse_time(header["created_at"], "created_at")
        header["expires_at"] = parse_time(header["expires_at"], "expires_at")
        header["nonce"] = b64d(header["nonce"], "nonce")
        if len(header["nonce"]) != 12:
            raise InvalidInput("the nonce must be 12 bytes")
        if header["purpose"] is not None:
            header["purpose"] = PurposeArea(header["purpose"])
        if not isinstance(header["recipients"], list):
            raise InvalidInput("recipients must be a list")
        read = _format_v1.parse_recipient if version == 1 else _parse_recipient
        header["recipients"] = [read(r) for r in header["recipients"]]
    except (ValueError, TypeError, KeyError, InvalidInput) as exc:
        raise SignatureInvalid(f"the package header is malformed: {exc}") from None
    return header


def _parse_recipient(entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict) or set(entry) != {"id", "sealed_key"}:
        raise InvalidInput("a recipient entry needs exactly id and sealed_key")
    if not isinstance(entry["id"], str):
        raise InvalidInput("a recipient id must be text")
    sealed = b64d(entry["sealed_key"], "sealed_key")
    if len(sealed) != _SEALED_KEY:
        raise InvalidInput(f"a sealed key is {_SEALED_KEY} bytes")
    return {"id": entry["id"], "sealed_key": sealed}


def _read_payload(plain: bytes, header: Mapping[str, Any]) -> Share:
    """Rebuild the records; the payload's own share metadata must match the signed header."""
    try:
        payload = json.loads(plain)
        meta = payload["share"]
        same = (
            meta["share_id"] == header["share_id"]
            and meta["sender"] == header["sender"]
            and meta["recipients"] == [r["id"] for r in header["recipients"]]
            and parse_time(meta["created_at"], "created_at") == header["created_at"]
            and parse_time(meta["expires_at"], "expires_at") == header["expires_at"]
            and meta["purpose"] == (header["purpose"].value if header["purpose"] else None)
        )
        if not same:
            raise InvalidInput("the payload's share metadata differs from the signed header")
        records = read_records(payload["records"])
        conditions = {str(k): tuple(map(str, v)) for k, v in payload["conditions"].items()}
        attestations = read_attestations(payload["records"], payload.get("attestations"))
    except CruceError as exc:
        raise InvalidInput(f"share {header['share_id']}: {exc.message}") from None
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise InvalidInput(f"share {header['share_id']}: malformed payload ({exc})") from None
    return Share(
        share_id=header["share_id"],
        sender=header["sender"],
        recipients=tuple(meta["recipients"]),
        created_at=header["created_at"],
        expires_at=header["expires_at"],
        purpose=header["purpose"],
        records=records,
        conditions=conditions,
        attestations=attestations,
    )
