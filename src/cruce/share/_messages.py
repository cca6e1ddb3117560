"""Sealed messages between nodes: requests for information, replies, consent requests and
answers. Signed by the sender's directory key and encrypted to the one recipient (a request
names the people and the case it is about: no one but the addressee may read it).

Format 2::

    canonical JSON {"v": 2, "type": "message", "message_id", "sender", "recipient",
                    "created_at", "sealed"}
    + "\\n" + base64 Ed25519 signature over PREFIX + that JSON

`sealed` is RFC 9180 HPKE, mode base, single-shot (the suite in _hpke) to the recipient's
directory key, of {"kind": …, "fields": {…}}, with info = INFO + canonical JSON of the header
without `sealed`: the format version, message id, sender, recipient and time are bound to
the ciphertext as well as signed.

Format 1 (a content key wrapped by hand, as format-1 packages did) is still accepted until
_format_v1.V1_ACCEPTED_UNTIL, then refused as final (FormatRetired, 410): messages sealed
before a sender upgraded wait in its outbox, and the nodes upgrade on their own dates (the
reasoning is in _format_v1). This node seals format 2 only.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature

from cruce.errors import DecryptionFailed, InvalidInput, PermissionDenied, SignatureInvalid
from cruce.share import _format_v1
from cruce.share._canon import b64d, b64e, canonical_json, parse_time
from cruce.share._directory import Directory, Member
from cruce.share._hpke import open_sealed, seal_to
from cruce.share._keys import NodeKeys
from cruce.share._package import MAX_CLOCK_SKEW

VERSION = 2
PREFIX = b"cruce/share/message/v2\x00"
INFO = b"cruce/share/message-key/v2\x00"
KINDS = ("request", "reply", "close", "consent-request", "consent-answer")
# A message older than this is refused (its id would have to be remembered for ever).
MAX_AGE = timedelta(days=30)
MAX_MESSAGE = 1024 * 1024
_FIELDS = {1: _format_v1.MESSAGE_FIELDS,
           2: frozenset({"v", "type", "message_id", "sender", "recipient", "created_at",
                         "sealed"})}
_PREFIXES = {1: _format_v1.MESSAGE_PREFIX, 2: PREFIX}


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
    header = {"v": VERSION, "type": "message", "message_id": message_id or str(uuid.uuid4()),
              "sender": sender, "recipient": recipient.id,
              "created_at": datetime.now(UTC).isoformat()}
    plain = canonical_json({"kind": kind, "fields": fields})
    sealed = seal_to(recipient, plain, INFO + canonical_json(header))
    body = canonical_json({**header, "sealed": b64e(sealed)})
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
    if header["v"] == 1:
        _format_v1.refuse_if_retired(now, f"message {header['message_id']}")
    member = directory.get(header["sender"])
    if member is None:
        raise SignatureInvalid(f"sender {header['sender']!r} is not in the compact directory")
    try:
        member.verify_key().verify(b64d(signature.decode("ascii", "replace"), "signature"),
                                   _PREFIXES[header["v"]] + body)
    except (InvalidSignature, InvalidInput):
        raise SignatureInvalid("the message signature does not verify") from None
    created = parse_time(header["created_at"], "created_at")
    problem = member.not_in_force(created) or member.not_in_force(now)
    if problem is not None:
        raise SignatureInvalid(problem)
    if header["recipient"] != me:
        raise PermissionDenied("this message is addressed to another agency")
    content = _content(header, keys, me)
    try:
        kind, fields = content["kind"], content["fields"]
    except (KeyError, TypeError):
        raise DecryptionFailed(f"message {header['message_id']} does not decrypt") from None
    if kind not in KINDS or not isinstance(fields, dict):
        raise InvalidInput(f"message {header['message_id']}: unknown kind {kind!r}")
    if created > now + MAX_CLOCK_SKEW or now - created > MAX_AGE:
        raise MessageExpired(f"message {header['message_id']} is too old or from the future",
                             str(header["message_id"]))
    return Message(str(header["message_id"]), member.id, me, created, str(kind), fields)


def _content(header: dict[str, Any], keys: NodeKeys, me: str) -> Any:
    """The decrypted {"kind", "fields"} of a signed message addressed to `me`."""
    if header["v"] == 1:
        return _format_v1.open_message_content(header, keys, me)
    bound = {k: v for k, v in header.items() if k != "sealed"}
    what = f"message {header['message_id']}"
    plain = open_sealed(keys, b64d(header["sealed"], "sealed"),
                        INFO + canonical_json(bound), what)
    try:
        return json.loads(plain)
    except ValueError:
        raise DecryptionFailed(f"{what} does not decrypt") from None


def _header(body: bytes) -> dict[str, Any]:
    try:
        header = json.loads(body)
        version = header.get("v") if isinstance(header, dict) else None
        expected = _FIELDS.get(version) if type(version) is int else None
        ok = (expected is not None and set(header) == expected
              and header["type"] == "message" and canonical_json(header) == body
              and all(isinstance(header[k], str) for k in expected - {"v"}))
        ok = ok and bool(uuid.UUID(header["message_id"]))
    except ValueError:
        ok = False
    if not ok:
        raise SignatureInvalid("not a cruce message (malformed or not canonical)")
    return dict(header)
