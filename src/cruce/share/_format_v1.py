"""Reading format 1 (the hand-made key wrap) during the move to format 2 (RFC 9180 HPKE).

Decision: a node running this version seals only format 2, and still **accepts** format-1
packages and messages until V1_ACCEPTED_UNTIL; from then on it refuses them with
FormatRetired (410, final: the sender must seal again). Why accept for a while rather than
refuse at once:

- bytes in flight: a sender's outbox keeps sealed packages and retries them for up to 30 days
  (OUTBOX_LIMIT; a package lives at most MAX_TTL, 30 days), so packages sealed before a sender
  upgraded still arrive afterwards; refusing them would turn each into a "refused" share an
  operator must notice and send again;
- the five nodes of the compact upgrade on their own dates: until the last one has, some
  nodes still seal format 1;
- accepting it costs no security: a format-1 package is still signed by its sender over every
  byte (under its own signature prefix, so no format-2 signature can pass for it or the other
  way round), its key wrap is bound to the share id, sender and recipient, and nothing lets a
  third party turn a format-2 package into a format-1 one. What format 2 changes is who wrote
  the key agreement, not what it guarantees.

The date leaves the compact three months to upgrade every node, plus the 30 days any package
lives; the release after it deletes this module.

Format-1 key wrap (kept only to read): a fresh ephemeral X25519 key agrees a secret with the
recipient's directory key; HKDF-SHA256 (salt = epk || recipient key, info = WRAP_INFO +
canonical JSON of {share_id, sender, recipient}) gives a key-encryption key; ChaCha20-Poly1305
with a zero nonce seals the content key with that info as associated data.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from cruce.errors import DecryptionFailed, InvalidInput, PermissionDenied
from cruce.share._canon import b64d, canonical_json
from cruce.share._keys import NodeKeys, raw_public

V1_ACCEPTED_UNTIL = datetime(2027, 3, 1, tzinfo=UTC)
PACKAGE_SUITE = "X25519-HKDF-SHA256-ChaCha20Poly1305"
PACKAGE_SIGN_PREFIX = b"cruce/share/package/v1\x00"
MESSAGE_PREFIX = b"cruce/share/message/v1\x00"
MESSAGE_FIELDS = frozenset({"v", "type", "message_id", "sender", "recipient", "created_at",
                            "epk", "wrapped_key", "nonce", "ciphertext"})
_WRAP_INFO = b"cruce/share/wrap/v1\x00"
_ZERO_NONCE = bytes(12)


class FormatRetired(PermissionDenied):
    """Sealed in a format this node no longer reads: 410, these bytes will never be taken; the
    sender must seal again with its current version."""

    status = 410


def refuse_if_retired(now: datetime, what: str) -> None:
    """Called on every format-1 item before anything in it is read."""
    if now >= V1_ACCEPTED_UNTIL:
        raise FormatRetired(
            f"{what} is sealed in format 1, which nodes stopped accepting on "
            f"{V1_ACCEPTED_UNTIL.date().isoformat()}; the sender must seal it again (format 2)"
        )


def parse_recipient(entry: Any) -> dict[str, Any]:
    """A format-1 package recipient entry: id, epk, wrapped_key (bytes)."""
    if not isinstance(entry, dict) or set(entry) != {"id", "epk", "wrapped_key"}:
        raise InvalidInput("a recipient entry needs exactly id, epk, wrapped_key")
    if not isinstance(entry["id"], str):
        raise InvalidInput("a recipient id must be text")
    return {"id": entry["id"], "epk": b64d(entry["epk"], "epk"),
            "wrapped_key": b64d(entry["wrapped_key"], "wrapped_key")}


def unwrap(entry: dict[str, Any], keys: NodeKeys, item_id: str, sender: str) -> bytes:
    """The content key a format-1 recipient entry wraps for this node."""
    try:
        epk = X25519PublicKey.from_public_bytes(entry["epk"])
        secret = keys.encryption_key.exchange(epk)
        own = raw_public(keys.encryption_key.public_key())
        info = _WRAP_INFO + canonical_json(
            {"share_id": item_id, "sender": sender, "recipient": entry["id"]})
        kek = HKDF(hashes.SHA256(), 32, salt=entry["epk"] + own, info=info).derive(secret)
        return ChaCha20Poly1305(kek).decrypt(_ZERO_NONCE, entry["wrapped_key"], info)
    except (InvalidTag, ValueError):
        raise DecryptionFailed(
            f"{item_id}: the content key does not unwrap with this node's key") from None


def open_message_content(header: dict[str, Any], keys: NodeKeys, me: str) -> Any:
    """The decrypted {"kind", "fields"} of a signed, checked format-1 message header."""
    entry = {"id": me, "epk": b64d(header["epk"], "epk"),
             "wrapped_key": b64d(header["wrapped_key"], "wrapped_key")}
    key = unwrap(entry, keys, header["message_id"], header["sender"])
    bound = {k: v for k, v in header.items() if k != "ciphertext"}
    try:
        plain = ChaCha20Poly1305(key).decrypt(
            b64d(header["nonce"], "nonce"), b64d(header["ciphertext"], "ciphertext"),
            canonical_json(bound))
        return json.loads(plain)
    except (InvalidTag, ValueError, InvalidInput):
        raise DecryptionFailed(f"message {header['message_id']} does not decrypt") from None
