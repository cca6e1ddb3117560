"""Sealed, signed share packages: records sent from one agency to named recipient agencies.

Package format, version 1 (all integers big-endian)::

    magic      4 bytes   b"CRSH"
    version    1 byte    1
    hlen       4 bytes   length of the header
    header     hlen      canonical JSON (sorted keys, no whitespace, UTF-8), below
    ciphertext rest      ChaCha20-Poly1305(content key, header.nonce, payload, aad=header)
    signature  64 bytes  Ed25519 by the sender over SIGN_PREFIX + every byte before it

    header = {"v": 1, "suite": "X25519-HKDF-SHA256-ChaCha20Poly1305",
              "share_id": "<uuid>", "sender": "<agency id>",
              "created_at": "<ISO 8601 UTC>", "expires_at": "<ISO 8601 UTC>",
              "purpose": "<purpose area>" | null, "nonce": "<base64 12 bytes>",
              "recipients": [{"id": "<agency id>", "epk": "<base64 X25519 ephemeral key>",
                              "wrapped_key": "<base64 48 bytes>"}, ...]}

    payload (plaintext, canonical JSON) = {"share": {share_id, sender, recipients (ids),
              created_at, expires_at, purpose}, "records": [Record.to_dict() ...],
              "conditions": {"<record id>": ["<condition>", ...]}}

The payload is encrypted once under a random 32-byte content key. For each recipient the content
key is wrapped HPKE-style: a fresh ephemeral X25519 key agrees a secret with the recipient's
directory key; HKDF-SHA256 (salt = epk || recipient key, info = WRAP_INFO + canonical JSON of
{share_id, sender, recipient}) gives a single-use key-encryption key; ChaCha20-Poly1305 with a
zero nonce (the key is used once) seals the content key with that same info as associated data,
so a wrapped key cannot be moved to another share, sender or recipient.

The signature makes every byte of the package the sender's statement: opening verifies it with
the directory key of the claimed sender before anything else is trusted or decrypted.
Opening then refuses, in order: a sender whose directory entry is not valid at created_at and
now, a lifetime over MAX_TTL, a package not addressed to this node (PermissionDenied), an expired
one (PackageExpired), a share id already seen (ReplayDetected, a Conflict), a key or payload that
does not decrypt (DecryptionFailed). The share id is remembered only after a successful open.
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
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from cruce.errors import (
    Conflict,
    CruceError,
    DecryptionFailed,
    InvalidInput,
    PermissionDenied,
    SignatureInvalid,
)
from cruce.records import Envelope, PurposeArea, Record, make_entity
from cruce.records._envelope import Provenance, coerce_fields
from cruce.share._canon import b64d, b64e, canonical_json, parse_time, require_aware
from cruce.share._directory import Directory, Member
from cruce.share._keys import NodeKeys, raw_public

VERSION = 1
MAGIC = b"CRSH"
SUITE = "X25519-HKDF-SHA256-ChaCha20Poly1305"
SIGN_PREFIX = b"cruce/share/package/v1\x00"
WRAP_INFO = b"cruce/share/wrap/v1\x00"
DEFAULT_TTL = timedelta(days=7)
# Caps how far a stolen-then-expired key could push a backdated package into the future, and
# how long a replay guard has to remember an id.
MAX_TTL = timedelta(days=30)
MAX_CLOCK_SKEW = timedelta(minutes=5)
_PREAMBLE = struct.Struct(">4sBI")
_SIG = 64
_ZERO_NONCE = bytes(12)


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
) -> bytes:
    """Encrypt `records` for `recipients` and sign the package as `sender_id`.

    Sealing does not apply the sharing rules: the server runs `decide` per record first and
    passes the resulting conditions here so they travel with the recipient's copy.
    """
    # A Record, or its `to_dict()` form already made (a bulk share builds it from stored rows).
    items = [r.to_dict() if isinstance(r, Record) else r for r in records]
    ids = [str(item["id"]) for item in items]
    share = _share_meta(ids, sender_id, recipients, share_id, created_at, expires_at, purpose)
    conditions = dict(conditions or {})
    unknown = set(conditions) - set(ids)
    if unknown:
        raise InvalidInput(f"conditions name records not in the share: {sorted(unknown)}")
    payload = canonical_json(
        {
            "share": share,
            "records": items,
            "conditions": {k: list(v) for k, v in sorted(conditions.items())},
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
        "recipients": [_wrap(content_key, member, share) for member in recipients],
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
    """Verify, check and decrypt a package addressed to `recipient_id`.

    Order matters: nothing in the header is believed before the sender's signature verifies,
    and the share id is remembered only once the package has been fully opened.
    """
    now = require_aware(now, "now") if now is not None else datetime.now(UTC)
    body, header_bytes, ciphertext, signature = _split(data)
    header = _parse_header(header_bytes)
    sender = directory.get(header["sender"])
    if sender is None:
        raise SignatureInvalid(f"sender {header['sender']!r} is not in the compact directory")
    try:
        sender.verify_key().verify(signature, SIGN_PREFIX + body)
    except InvalidSignature:
        raise SignatureInvalid(
            f"the package signature does not verify under {sender.id}'s directory key"
        ) from None
    created_at, expires_at = header["created_at"], header["expires_at"]
    if not (sender.is_valid_at(created_at) and sender.is_valid_at(now)):
        raise SignatureInvalid(
            f"{sender.id}'s directory key is not valid both at {created_at} and now"
        )
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
    content_key = _unwrap(entry, recipient_keys, header)
    try:
        plain = ChaCha20Poly1305(content_key).decrypt(header["nonce"], ciphertext, header_bytes)
    except InvalidTag:
        raise DecryptionFailed(
            f"share {header['share_id']}: the payload does not decrypt"
        ) from None
    share = _read_payload(plain, header)
    seen.remember(share.share_id, share.expires_at)
    return share


def _share_meta(
    ids: list[str],
    sender_id: str,
    recipients: Sequence[Member],
    share_id: str | uuid.UUID,
    created_at: datetime,
    expires_at: datetime | None,
    purpose: PurposeArea | str | None,
) -> dict[str, Any]:
    if not ids:
        raise InvalidInput("a share needs at least one record")
    if len(set(ids)) != len(ids):
        raise InvalidInput("a share lists the same record twice")
    names = [m.id for m in recipients]
    if not names:
        raise InvalidInput("a share needs at least one recipient")
    if len(set(names)) != len(names):
        raise InvalidInput("a share names the same recipient twice")
    if sender_id in names:
        raise InvalidInput("the sender cannot be a recipient of its own share")
    try:
        share_uuid = str(uuid.UUID(str(share_id)))
    except ValueError:
        raise InvalidInput(f"share id {share_id!r} is not a UUID") from None
    created = require_aware(created_at, "created_at").astimezone(UTC)
    expires = require_aware(expires_at, "expires_at") if expires_at else created + DEFAULT_TTL
    if expires <= created:
        raise InvalidInput("expires_at must be after created_at")
    if expires - created > MAX_TTL:
        raise InvalidInput(f"a share may live at most {MAX_TTL.days} days")
    return {
        "share_id": share_uuid,
        "sender": sender_id,
        "recipients": names,
        "created_at": created.isoformat(),
        "expires_at": expires.astimezone(UTC).isoformat(),
        "purpose": PurposeArea(purpose).value if purpose is not None else None,
    }


def _wrap_info(share: Mapping[str, Any], recipient: str) -> bytes:
    bound = {"share_id": share["share_id"], "sender": share["sender"], "recipient": recipient}
    return WRAP_INFO + canonical_json(bound)


def _kek(secret: bytes, epk: bytes, recipient_pk: bytes, info: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=epk + recipient_pk, info=info).derive(secret)


def _wrap(content_key: bytes, member: Member, share: Mapping[str, Any]) -> dict[str, str]:
    ephemeral = X25519PrivateKey.generate()
    epk = raw_public(ephemeral.public_key())
    try:
        secret = ephemeral.exchange(member.encrypt_key())
    except ValueError:
        raise InvalidInput(f"{member.id}'s encryption key is not a usable X25519 key") from None
    info = _wrap_info(share, member.id)
    kek = _kek(secret, epk, member.encryption_key, info)
    wrapped = ChaCha20Poly1305(kek).encrypt(_ZERO_NONCE, content_key, info)
    return {"id": member.id, "epk": b64e(epk), "wrapped_key": b64e(wrapped)}


def _unwrap(entry: Mapping[str, Any], keys: NodeKeys, header: Mapping[str, Any]) -> bytes:
    share_id = header["share_id"]
    try:
        epk = X25519PublicKey.from_public_bytes(entry["epk"])
        secret = keys.encryption_key.exchange(epk)
        own = raw_public(keys.encryption_key.public_key())
        info = _wrap_info(header, entry["id"])
        kek = _kek(secret, entry["epk"], own, info)
        return ChaCha20Poly1305(kek).decrypt(_ZERO_NONCE, entry["wrapped_key"], info)
    except (InvalidTag, ValueError):
        raise DecryptionFailed(
            f"share {share_id}: the content key does not unwrap with this node's key"
        ) from None


def _split(data: bytes) -> tuple[bytes, bytes, bytes, bytes]:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InvalidInput("a package is bytes")
    data = bytes(data)
    if len(data) < _PREAMBLE.size + _SIG:
        raise SignatureInvalid("the package is truncated")
    magic, version, hlen = _PREAMBLE.unpack_from(data)
    if magic != MAGIC:
        raise SignatureInvalid("not a cruce share package (bad magic)")
    if version != VERSION:
        raise SignatureInvalid(f"unsupported package version {version}; this node reads 1")
    end = _PREAMBLE.size + hlen
    if end > len(data) - _SIG:
        raise SignatureInvalid("the package is truncated (header longer than the package)")
    body = data[:-_SIG]
    return body, data[_PREAMBLE.size : end], data[end:-_SIG], data[-_SIG:]


def _parse_header(raw: bytes) -> dict[str, Any]:
    """Read the header into typed values; any malformation is reported as a broken signature.

    It runs before the signature check (the sender named inside picks the key), so it must be
    strict: only the canonical spelling of the header is accepted.
    """
    try:
        header = json.loads(raw)
        if not isinstance(header, dict) or canonical_json(header) != raw:
            raise InvalidInput("the header is not canonical JSON")
        expected = {"v", "suite", "share_id", "sender", "created_at", "expires_at", "purpose",
                    "nonce", "recipients"}
        if set(header) != expected:
            raise InvalidInput("the header does not have the v1 fields")
        if header["v"] != VERSION or header["suite"] != SUITE:
            raise InvalidInput("unsupported header version or suite")
        if not isinstance(header["sender"], str) or not isinstance(header["share_id"], str):
            raise InvalidInput("sender and share_id must be text")
        header["created_at"] = parse_time(header["created_at"], "created_at")
        header["expires_at"] = parse_time(header["expires_at"], "expires_at")
        header["nonce"] = b64d(header["nonce"], "nonce")
        if len(header["nonce"]) != 12:
            raise InvalidInput("the nonce must be 12 bytes")
        if header["purpose"] is not None:
            header["purpose"] = PurposeArea(header["purpose"])
        header["recipients"] = [_parse_recipient(r) for r in header["recipients"]]
    except (ValueError, TypeError, KeyError, InvalidInput) as exc:
        raise SignatureInvalid(f"the package header is malformed: {exc}") from None
    return header


def _parse_recipient(entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict) or set(entry) != {"id", "epk", "wrapped_key"}:
        raise InvalidInput("a recipient entry needs exactly id, epk, wrapped_key")
    if not isinstance(entry["id"], str):
        raise InvalidInput("a recipient id must be text")
    return {
        "id": entry["id"],
        "epk": b64d(entry["epk"], "epk"),
        "wrapped_key": b64d(entry["wrapped_key"], "wrapped_key"),
    }


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
        envelopes: dict[tuple[Any, ...], Envelope] = {}
        records = tuple(_record(item, envelopes) for item in payload["records"])
        conditions = {str(k): tuple(map(str, v)) for k, v in payload["conditions"].items()}
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
    )


_STAMPS = ("provenance", "created_at", "updated_at")


def _record(item: Any, envelopes: dict[tuple[Any, ...], Envelope]) -> Record:
    if not isinstance(item, dict) or not isinstance(item.get("envelope"), dict):
        raise InvalidInput("a shared record must be a JSON object with its envelope")
    entity = make_entity({k: v for k, v in item.items() if k != "envelope"}, where="record")
    # The envelope comes back exactly as the provider set it, provenance and timestamps
    # included; records with the same handling share one checked envelope.
    fields = item["envelope"]
    policy = tuple(sorted((k, v) for k, v in fields.items() if k not in _STAMPS))
    checked = envelopes.get(policy)
    if checked is None:
        checked = envelopes[policy] = Envelope.build(**dict(policy))
    stamps = coerce_fields({k: fields[k] for k in _STAMPS if k in fields})
    return Record(entity, checked.restamped(stamps.get("provenance", Provenance()),
                                            stamps.get("created_at"), stamps.get("updated_at")))
