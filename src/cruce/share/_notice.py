"""Erasure notices: a provider tells every agency it shared records with to erase them.

A notice names record ids only (an erasure never copies the erased content), is signed by the
provider's directory key, and carries a unique id so a replayed notice changes nothing.

    {"v": 1, "kind": "erasure", "notice_id": …, "sender": …, "recipient": …,
     "created_at": …, "record_ids": [...], "reason": …}  +  "\\n"  +  base64 Ed25519 signature
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature

from cruce.errors import InvalidInput, PermissionDenied, SignatureInvalid
from cruce.share._canon import b64d, b64e, canonical_json
from cruce.share._directory import Directory
from cruce.share._keys import NodeKeys

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


def seal_notice(keys: NodeKeys, sender: str, recipient: str, record_ids: list[str],
                reason: str) -> bytes:
    body = canonical_json({
        "v": 1, "kind": "erasure", "notice_id": str(uuid.uuid4()), "sender": sender,
        "recipient": recipient, "created_at": datetime.now(UTC).isoformat(),
        "record_ids": sorted(record_ids), "reason": reason,
    })
    return body + b"\n" + b64e(keys.signing_key.sign(PREFIX + body)).encode("ascii")


def open_notice(data: bytes, recipient: str, directory: Directory) -> Notice:
    """Verify a notice against the sender's directory key; it must be addressed to us."""
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
    if fields.get("recipient") != recipient:
        raise PermissionDenied("this notice is addressed to another agency")
    ids = fields.get("record_ids")
    if not isinstance(ids, list) or len(ids) > MAX_IDS or not all(isinstance(i, str) for i in ids):
        raise InvalidInput("a notice lists record ids")
    return Notice(str(fields["notice_id"]), member.id, recipient, str(fields["created_at"]),
                  tuple(ids), str(fields.get("reason", "")))
