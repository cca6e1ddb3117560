"""Signed node-to-node requests and answers: who is asking whom, for what, when, and never twice.

A request carries the asking node's id, the id of the node it is meant for, a timestamp and a
random nonce, signed with the asking node's directory key over (format 2)::

    REQUEST_PREFIX + "\n".join([METHOD, asking node, target node, path, canonical query,
                                 timestamp, nonce])

The canonical query is the full query string decoded and re-encoded with its parameters sorted
by name (a repeated name keeps the order of its values, which is part of what it means), so
any added, dropped or changed parameter breaks the signature. None of the parts can hold a
newline (node ids are slugs, the path and query are percent-encoded), so the join is
unambiguous. The answering node rebuilds these bytes with its own id as the target: a request
replayed to another node, or with another query, does not verify (401); one meant for another
node is refused as such (403). It also refuses a stale timestamp (more than five minutes off)
and a nonce it has already seen (409). Answers are signed the same way over their body.

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
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, urlencode

from cryptography.exceptions import InvalidSignature

from cruce.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    PermissionDenied,
    SignatureInvalid,
)
from cruce.share._canon import b64d, b64e
from cruce.share._directory import Directory, Member
from cruce.share._keys import NodeKeys

REQUEST_PREFIX = b"cruce/node-request/v2\x00"
ANSWER_PREFIX = b"cruce/node-answer/v1\x00"
RECEIPT_PREFIX = b"cruce/delivery-receipt/v1\x00"
RECEIPT_HEADER = "X-Cruce-Receipt"
WINDOW_SECONDS = 300


MAX_QUERY_FIELDS = 64
NODE_HEADER, TARGET_HEADER = "X-Cruce-Node", "X-Cruce-Target"


@dataclass(frozen=True, slots=True)
class NodeRequest:
    """What a node request's signature covers (timestamp and nonce aside)."""

    method: str
    sender: str
    target: str
    path: str
    query: str  # the raw query string, without "?"

    def signed_bytes(self, timestamp: str, nonce: str) -> bytes:
        parts = [self.method.upper(), self.sender, self.target, self.path,
                 canonical_query(self.query), timestamp, nonce]
        return REQUEST_PREFIX + "\n".join(parts).encode("utf-8")


def canonical_query(query: str) -> str:
    """The query string with its parameters sorted by name (stable: repeats keep their order)."""
    try:
        pairs = parse_qsl(query, keep_blank_values=True, max_num_fields=MAX_QUERY_FIELDS)
    except ValueError:
        raise NotAuthenticated(
            f"a node request has at most {MAX_QUERY_FIELDS} parameters") from None
    return urlencode(sorted(pairs, key=lambda pair: pair[0]), quote_via=quote)


def sign_request(keys: NodeKeys, node_id: str, method: str, url: str, *,
                 target: str) -> dict[str, str]:
    """Headers that authenticate this node's request for `url` (path and query, as sent) to
    the node `target`."""
    path, _, query = url.partition("?")
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    request = NodeRequest(method, node_id, target, path, query)
    signature = keys.signing_key.sign(request.signed_bytes(timestamp, nonce))
    return {NODE_HEADER: node_id, TARGET_HEADER: target, "X-Cruce-Timestamp": timestamp,
            "X-Cruce-Nonce": nonce, "X-Cruce-Node-Signature": b64e(signature)}


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


def verify_request(headers: Mapping[str, str], method: str, path: str, query: str, me: str,
                   directory: Directory, nonces: NonceCache) -> Member:
    """The directory member that signed this request for this node (`me`): otherwise
    NotAuthenticated, or PermissionDenied for a request meant for another node."""
    node, timestamp = headers.get("x-cruce-node"), headers.get("x-cruce-timestamp", "")
    nonce, signature = headers.get("x-cruce-nonce", ""), headers.get("x-cruce-node-signature", "")
    member = directory.get(node or "")
    if member is None or not timestamp.isdigit() or len(nonce) != 32:
        raise NotAuthenticated("a node request must be signed by a member of the compact")
    target = headers.get("x-cruce-target", "")
    if target != me:
        raise PermissionDenied(f"this node request is meant for {target[:64]!r}, not {me}")
    if abs(time.time() - int(timestamp)) > WINDOW_SECONDS:
        raise NotAuthenticated("the node request's timestamp is outside the allowed window")
    problem = member.not_in_force(datetime.now(UTC))
    if problem is not None:
        raise NotAuthenticated(problem)
    signed = NodeRequest(method, member.id, me, path, query).signed_bytes(timestamp, nonce)
    try:
        member.verify_key().verify(b64d(signature, "signature"), signed)
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
