"""Getting bytes to another node: the HTTP transport, one delivery attempt, and what its
answer means (delivered with a receipt, worth retrying, or refused for good)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from cruce.errors import InvalidInput, SignatureInvalid
from cruce.share._directory import Member
from cruce.share._requests import RECEIPT_HEADER, verify_receipt


class Answer(Protocol):
    """What a transport hands back: an HTTP response's status and headers (httpx's will do)."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def content(self) -> bytes: ...


# (url, body) -> the answer, or a bare HTTP status from a transport that has no headers (no
# receipt, so never counted as delivered).
Post = Callable[[str, bytes], "Answer | int"]
Get = Callable[[str, dict[str, str]], tuple[bytes, str]]  # (url, headers) -> (body, signature)

# Where each kind of outbox item goes on the recipient node.
INBOX = {"share": "/api/v1/shares/inbox", "erasure": "/api/v1/shares/notices",
         "message": "/api/v1/messages/inbox"}


def http_post(url: str, body: bytes) -> Answer:
    """The default transport: POST a package, notice or message to another node."""
    import httpx

    return httpx.post(url, content=body, timeout=30.0,
                      headers={"Content-Type": "application/octet-stream"})


def http_get(url: str, headers: dict[str, str]) -> tuple[bytes, str]:
    """GET a signed answer from another node: (body, answer signature)."""
    import httpx

    response = httpx.get(url, headers=headers, timeout=30.0)
    if response.status_code != 200:
        raise InvalidInput(f"{url} answered HTTP {response.status_code}: {response.text[:200]}")
    return response.content, response.headers.get("X-Cruce-Answer-Signature", "")


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a delivery failed. `refused`: the recipient turned these very bytes down (malformed,
    forged, too old, about something it does not know, a closed thread), so sending them again
    cannot help; otherwise it was down or busy and a later attempt may succeed."""

    reason: str
    refused: bool = False


@dataclass(frozen=True, slots=True)
class Attempt:
    """One delivery attempt: delivered (with the recipient's signed receipt) or a failure."""

    failure: Failure | None
    receipt: str | None = None


# Answers that are final for these bytes, when they come from cruce itself (its JSON error):
# malformed (400), about a thread or consent the recipient does not know (404), a closed thread
# (409), too old to be taken (410). Anything else may change: the recipient's directory catching
# up (401, 403, 422), load (429, 5xx), a proxy's own answer (any status without cruce's error).
_FINAL = frozenset({400, 404, 409, 410})
# ... and, whatever its status, a payload the recipient's own key cannot open (sealed for a key
# it has since replaced): no directory update will change that.
_FINAL_TYPES = frozenset({"DecryptionFailed"})


def attempt(post: Post, member: Member, kind: str, body: bytes) -> Attempt:
    """Post `body` once to the member's inbox for `kind`; delivered only if the recipient
    signed a receipt for these very bytes."""
    url = member.endpoint.rstrip("/") + INBOX[kind]
    try:
        answer = post(url, body)
    except Exception as exc:  # the recipient is down: try again later
        return Attempt(Failure(f"{type(exc).__name__}: {exc}"))
    status = answer if isinstance(answer, int) else answer.status_code
    if status not in (200, 201):
        kind, why = ("", "") if isinstance(answer, int) else _cruce_error(answer.content)
        refused = bool(why) and (status in _FINAL or kind in _FINAL_TYPES)
        return Attempt(Failure(f"HTTP {status}" + (f": {why}" if why else "")
                               + (" (refused: not sent again)" if refused else ""), refused))
    receipt = "" if isinstance(answer, int) else answer.headers.get(RECEIPT_HEADER, "")
    try:
        verify_receipt(member, hashlib.sha256(body).digest(), receipt)
    except SignatureInvalid as exc:  # taken, perhaps, but not provably: send it again
        return Attempt(Failure(f"HTTP {status} without a valid receipt: {exc.message}"))
    return Attempt(None, receipt)


def _cruce_error(content: bytes) -> tuple[str, str]:
    """(type, "type: message") of a cruce node's JSON error answer; ("", "") for anything
    else, e.g. a proxy's page."""
    try:
        error = json.loads(content)["error"]
        return str(error["type"]), f"{error['type']}: {error['message']}"[:300]
    except (ValueError, KeyError, TypeError):
        return "", ""


def backoff(attempts: int) -> timedelta:
    """How long to wait after `attempts` failed deliveries: 2 s, growing by half each time,
    at most 10 minutes (a recipient down for a day is tried about 150 times)."""
    return timedelta(seconds=min(2 * 1.5 ** max(attempts - 1, 0), 600))
