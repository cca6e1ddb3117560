"""Signed node-to-node requests and answers: who is asking, when, and never twice.

A request carries the asking node's id, a timestamp and a random nonce, signed with the node's
directory key over the method, path, timestamp and nonce. The answering node checks the
signature against the compact directory, refuses a stale timestamp (more than five minutes off)
and a nonce it has already seen. Answers are signed the same way over their body.

A node that takes a delivery (a share package, a notice, a message) answers with a signed
receipt over the package's SHA-256 and the time: the sender counts a package delivered only on
a receipt that verifies under the recipient's directory key, and keeps it with the package as
proof of delivery.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature

from cruce.errors import Conflict, InvalidInput, NotAuthenticated, SignatureInvalid
from cruce.share._canon import b64d, b64e
from cruce.share._directory import Directory, Member
from cruce.share._keys import NodeKeys

REQUEST_PREFIX = b"cruce/node-request/v1\x00"
ANSWER_PREFIX = b"cruce/node-answer/v1\x00"
RECEIPT_PREFIX = b"cruce/delivery-receipt/v1\x00"
RECEIPT_HEADER = "X-Cruce-Receipt"
WINDOW_SECONDS = 300


def _message(method: str, path: str, timestamp: str, nonce: str) -> bytes:
    return REQUEST_PREFIX + f"{method.upper()}\n{path}\n{timestamp}\n{nonce}".encode()


def sign_request(keys: NodeKeys, node_id: str, method: str, path: str) -> dict[str, str]:
    """Headers that authenticate this node's request to another node."""
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    signature = keys.signing_key.sign(_message(method, path, timestamp, nonce))
    return {"X-Cruce-Node": node_id, "X-Cruce-Timestamp": timestamp, "X-Cruce-Nonce": nonce,
            "X-Cruce-Node-Signature": b64e(signature)}


class NonceCache:
    """Nonces seen within the time window (a replay inside the window is refused)."""

    def __init__(self, size: int = 100_000) -> None:
        self.seen: OrderedDict[str, float] = OrderedDict()
        self.size = size

    def remember(self, nonce: str) -> None:
        cutoff = time.time() - 2 * WINDOW_SECONDS
        while self.seen and (
            len(self.seen) >= self.size or next(iter(self.seen.values())) < cutoff
        ):
            self.seen.popitem(last=False)
        if nonce in self.seen:
            raise Conflict("this request was already received (replayed nonce)")
        self.seen[nonce] = time.time()


def verify_request(headers: Mapping[str, str], method: str, path: str, directory: Directory,
                   nonces: NonceCache) -> Member:
    """The directory member that signed this request; otherwise NotAuthenticated."""
    node, timestamp = headers.get("x-cruce-node"), headers.get("x-cruce-timestamp", "")
    nonce, signature = headers.get("x-cruce-nonce", ""), headers.get("x-cruce-node-signature", "")
    member = directory.get(node or "")
    if member is None or not timestamp.isdigit() or len(nonce) != 32:
        raise NotAuthenticated("a node request must be signed by a member of the compact")
    if abs(time.time() - int(timestamp)) > WINDOW_SECONDS:
        raise NotAuthenticated("the node request's timestamp is outside the allowed window")
    try:
        member.verify_key().verify(b64d(signature, "signature"),
                                   _message(method, path, timestamp, nonce))
    except (InvalidSignature, InvalidInput):
        raise NotAuthenticated("the node request's signature does not verify") from None
    nonces.remember(nonce)
    return member


def sign_answer(keys: NodeKeys, body: bytes) -> str:
    return b64e(keys.signing_key.sign(ANSWER_PREFIX + body))


def verify_answer(member: Member, body: bytes, signature: str) -> None:
    try:
        member.verify_key().verify(b64d(signature, "signature"), ANSWER_PREFIX + body)
    except (InvalidSignature, InvalidInput):
        raise SignatureInvalid(f"the answer is not signed by {member.id}'s directory key") from None


def _receipt_message(agency: str, digest: bytes, at: str) -> bytes:
    return RECEIPT_PREFIX + agency.encode() + b"\n" + digest + b"\n" + at.encode()


def sign_receipt(keys: NodeKeys, agency: str, package: bytes) -> str:
    """The receipt header's value: when, and the signature over who took which bytes when."""
    at = str(int(time.time()))
    digest = hashlib.sha256(package).digest()
    return f"{at}.{b64e(keys.signing_key.sign(_receipt_message(agency, digest, at)))}"


def verify_receipt(member: Member, digest: bytes, receipt: str) -> None:
    """Check that `member` signed a receipt for the package whose SHA-256 is `digest`."""
    at, _, signature = receipt.partition(".")
    if not at.isdigit() or not signature:
        raise SignatureInvalid(f"no signed receipt from {member.id}")
    if not member.is_valid_at(datetime.fromtimestamp(int(at), UTC)):
        raise SignatureInvalid(f"the receipt is dated outside {member.id}'s key validity")
    try:
        member.verify_key().verify(b64d(signature, "receipt"),
                                   _receipt_message(member.id, digest, at))
    except (InvalidSignature, InvalidInput):
        raise SignatureInvalid(
            f"the receipt is not {member.id}'s signature over this package"
        ) from None
