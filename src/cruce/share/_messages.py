"""Sealed messages between nodes: requests for information, replies, consent requests and
answers. Signed by the sender's directory key and encrypted to the one recipient (a request
names the people and the case it is about: no one but the addressee may read it).

    canonical JSON {"v": 1, "type": "message", "message_id", "sender", "recipient",
                    "created_at", "epk", "wrapped_key", "nonce", "ciphertext"}
    + "\\n" + base64 Ed25519 signature over PREFIX + that JSON

The ciphertext (ChaCha20-Poly1305, the header without the ciphertext as associated data)
holds {"kind": …, "fields": {…}}; the content key is wrapped to the recipient exactly as a
share package's is (`_package._wrap`), bound to this message id, sender and recipient.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from cruce.errors import DecryptionFailed, InvalidInput, PermissionDenied, SignatureInvalid
from cruce.share._canon import b64d, b64e, canonical_json, parse_time
from cruce.share._directory import Directory, Member
from cruce.share._keys import NodeKeys
from cruce.share._package import MAX_CLOCK_SKEW, _unwrap, _wrap

PREFIX = b"cruce/share/message/v1\x00"
KINDS = ("request", "reply", "close", "consent-request", "consent-answer")
# A message older than this is refused (its id would have to be remembered for ever).
MAX_AGE = timedelta(days=30)
MAX_MESSAGE = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Message:
    message_id: str
    sender: str
    recipient: str
    created_at: datetime
    kind: str
    fields: dict[str, Any]


def seal_message(keys: NodeKeys, sender: str, recipient: Member, kind: str,
                 fields: dict[str, Any], message_id: str | None = None) -> bytes:
    """Encrypt `fields` of a `kind` message to `recipient` and sign it as `sender`."""
    if kind not in KINDS:
        raise InvalidInput(f"message kind {kind!r} is not one of {', '.join(KINDS)}")
    message_id = message_id or str(uuid.uuid4())
    content_key = ChaCha20Poly1305.generate_key()
    binding = {"share_id": message_id, "sender": sender}
    wrapped = _wrap(content_key, recipient, binding)
    header = {"v": 1, "type": "message", "message_id": message_id, "sender": sender,
              "recipient": recipient.id, "created_at": datetime.now(UTC).isoformat(),
              "epk": wrapped["epk"], "wrapped_key": wrapped["wrapped_key"],
              "nonce": b64e(os.urandom(12))}
    plain = canonical_json({"kind": kind, "fields": fields})
    ciphertext = ChaCha20Poly1305(content_key).encrypt(
        b64d(header["nonce"], "nonce"), plain, canonical_json(header))
    body = canonical_json({**header, "ciphertext": b64e(ciphertext)})
    if len(body) > MAX_MESSAGE:
        raise InvalidInput(f"a message is at most {MAX_MESSAGE} bytes sealed")
    return body + b"\n" + b64e(keys.signing_key.sign(PREFIX + body)).encode("ascii")


class MessageExpired(PermissionDenied):
    """Too old (or from the future) to be taken: 410, these bytes will never be taken."""

    status = 410

    def __init__(self, message: str, message_id: str) -> None:
        super().__init__(message)
        self.message_id = message_id


def open_message(data: bytes, keys: NodeKeys, me: str, directory: Directory,
                 now: datetime | None = None) -> Message:
    """Verify (sender's directory key), check it is ours and fresh, and decrypt.

    Raises MessageExpired last, after every other check: a message already taken may be
    sent again after its age limit (the answer was lost) and is then no error."""
    now = now or datetime.now(UTC)
    body, _, signature = bytes(data).rpartition(b"\n")
    header = _header(body)
    member = directory.get(header["sender"])
    if member is None:
        raise SignatureInvalid(f"sender {header['sender']!r} is not in the compact directory")
    try:
        member.verify_key().verify(b64d(signature.decode("ascii", "replace"), "signature"),
                                   PREFIX + body)
    except (InvalidSignature, InvalidInput):
        raise SignatureInvalid("the message signature does not verify") from None
    created = parse_time(header["created_at"], "created_at")
    if not member.is_valid_at(created) or not member.is_valid_at(now):
        raise SignatureInvalid(f"{member.id}'s directory key is not valid now")
    if header["recipient"] != me:
        raise PermissionDenied("this message is addressed to another agency")
    entry = {"id": me, "epk": b64d(header["epk"], "epk"),
             "wrapped_key": b64d(header["wrapped_key"], "wrapped_key")}
    key = _unwrap(entry, keys, {"share_id": header["message_id"], "sender": member.id})
    ciphertext = b64d(header.pop("ciphertext"), "ciphertext")
    try:
        plain = ChaCha20Poly1305(key).decrypt(b64d(header["nonce"], "nonce"), ciphertext,
                                              canonical_json(header))
        content = json.loads(plain)
        kind, fields = content["kind"], content["fields"]
    except (InvalidTag, ValueError, KeyError, TypeError):
        raise DecryptionFailed(f"message {header['message_id']} does not decrypt") from None
    if kind not in KINDS or not isinstance(fields, dict):
        raise InvalidInput(f"message {header['message_id']}: unknown kind {kind!r}")
    if created > now + MAX_CLOCK_SKEW or now - created > MAX_AGE:
        raise MessageExpired(f"message {header['message_id']} is too old or from the future",
                             str(header["message_id"]))
    return Message(str(header["message_id"]), member.id, me, created, str(kind), fields)


def _header(body: bytes) -> dict[str, Any]:
    expected = {"v", "type", "message_id", "sender", "recipient", "created_at", "epk",
                "wrapped_key", "nonce", "ciphertext"}
    try:
        header = json.loads(body)
        ok = (isinstance(header, dict) and set(header) == expected and header["v"] == 1
              and header["type"] == "message" and canonical_json(header) == body
              and all(isinstance(header[k], str) for k in expected - {"v"}))
        ok = ok and bool(uuid.UUID(header["message_id"]))
    except ValueError:
        ok = False
    if not ok:
        raise SignatureInvalid("not a cruce message (malformed or not canonical)")
    return dict(header)
