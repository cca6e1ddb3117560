"""What one request may make the server hold, checked before its body is read.

- **Size**: each route has a cap; a `Content-Length` above it is refused (413) before a byte of
  the body is read, and a body without one (chunked) is counted as it streams and cut off at
  the cap.
- **Who**: a body sent to a user's route needs a valid bearer token before it is read (401);
  the node-to-node inboxes authenticate inside the body (a signed package or message), so
  there only size and the number of uploads at once bound what an outsider costs.
- **How many**: a large body (or one of unknown length) takes an upload slot of its route's
  pool for the whole request; past the pool's slots the answer is 429, at once. Memory spent
  on bodies is thus at most slots x cap per pool.
- **How slowly**: a body that stops arriving for `BODY_IDLE` seconds, or takes longer than
  `BODY_DEADLINE`, is cut off (408); slow request heads are the server protocol's job
  (`cruce.api._serving`).
- **Headers**: at most `MAX_HEAD` bytes in all (400).
"""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cruce.api._errors import error_response
from cruce.api._users import TOKEN_PREFIX, UNAUTHENTICATED

MAX_PACKAGE = 64 * 1024 * 1024  # a share package: up to 10,000 records, sealed
MAX_NOTICE = 2 * 1024 * 1024  # an erasure or correction notice names ids only
MAX_MESSAGE = 1024 * 1024  # a sealed message (cruce.share._messages refuses larger)
MAX_UPLOAD = 64 * 1024 * 1024  # JSON lines ingested through the API
MAX_JSON = 1024 * 1024  # any other body: a JSON object (10,000 record ids fit)
SMALL_BODY = 64 * 1024  # a body this small takes no upload slot
MAX_HEAD = 32 * 1024
BODY_IDLE = 10.0
BODY_DEADLINE = 120.0

NODE_INBOX, USER_UPLOAD = "node inbox", "user upload"
SLOTS = {NODE_INBOX: 2, USER_UPLOAD: 2}


@dataclass(frozen=True, slots=True)
class BodyRule:
    cap: int
    pool: str | None  # the upload slots a large body takes (None: none)
    needs_token: bool  # a user's bearer token, checked before the body is read


RULES = {
    ("POST", "/api/v1/shares/inbox"): BodyRule(MAX_PACKAGE, NODE_INBOX, needs_token=False),
    ("POST", "/api/v1/shares/notices"): BodyRule(MAX_NOTICE, NODE_INBOX, needs_token=False),
    ("POST", "/api/v1/messages/inbox"): BodyRule(MAX_MESSAGE, NODE_INBOX, needs_token=False),
    ("POST", "/api/v1/records"): BodyRule(MAX_UPLOAD, USER_UPLOAD, needs_token=True),
}
DEFAULT_RULE = BodyRule(MAX_JSON, None, needs_token=True)


class BodyLimits:
    """ASGI middleware enforcing the bounds above. `is_known_token` asks the server's token
    table as it stands (in memory, on the event loop); a token it does not know is asked of
    `is_valid_token` in a worker thread (it may read the store: a user added a moment ago by
    another process)."""

    def __init__(self, app: ASGIApp, is_known_token: Callable[[str], bool],
                 is_valid_token: Callable[[str], bool]) -> None:
        self.app = app
        self.is_known_token = is_known_token
        self.is_valid_token = is_valid_token
        self.in_use = dict.fromkeys(SLOTS, 0)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        rule = RULES.get((scope["method"], scope["path"]), DEFAULT_RULE)
        length, refusal = self._check(scope, headers, rule)
        if refusal is None and rule.needs_token and length != 0:
            refusal = await self._check_token(headers)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        pool = rule.pool if length is None or length > SMALL_BODY else None
        if pool is not None and self.in_use[pool] >= SLOTS[pool]:
            busy = error_response(429, "TooManyRequests",
                                  f"too many uploads at once ({SLOTS[pool]}): retry shortly",
                                  {"Retry-After": "1"})
            await busy(scope, receive, send)
            return
        if pool is not None:
            self.in_use[pool] += 1
        try:
            await self.app(scope, _bounded(receive, rule.cap), send)
        finally:
            if pool is not None:
                self.in_use[pool] -= 1

    def _check(self, scope: Scope, headers: Headers,
               rule: BodyRule) -> tuple[int | None, ASGIApp | None]:
        """The declared body length (None: streamed), or the answer refusing the request."""
        head = sum(len(k) + len(v) + 4 for k, v in scope["headers"])
        if head > MAX_HEAD:
            return None, error_response(400, "InvalidInput",
                                        f"request headers are {head} bytes: at most {MAX_HEAD}")
        declared = headers.get("content-length")
        streamed = "chunked" in headers.get("transfer-encoding", "").lower()
        if declared is not None and not declared.isdigit():
            return None, error_response(400, "InvalidInput", "Content-Length is not a number")
        length = int(declared) if declared is not None else None
        if length is None and not streamed:
            return 0, None  # no body at all
        if length is not None and length > rule.cap:
            return length, error_response(
                413, "ContentTooLarge", f"the body is {length} bytes: this route takes at "
                f"most {rule.cap}")
        return length, None

    async def _check_token(self, headers: Headers) -> ASGIApp | None:
        """None if the request carries a valid bearer token, else the 401 answer."""
        scheme, _, token = headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and token.startswith(TOKEN_PREFIX) and (
                self.is_known_token(token)
                or await run_in_threadpool(self.is_valid_token, token)):
            return None
        return error_response(401, "NotAuthenticated", UNAUTHENTICATED)


def _bounded(receive: Receive, cap: int) -> Receive:
    """`receive`, raising 413 past `cap` bytes and 408 when the body stalls or dawdles."""
    total, deadline, done = 0, time.monotonic() + BODY_DEADLINE, False

    async def bounded() -> Message:
        nonlocal total, done
        if done:
            return await receive()
        wait = min(BODY_IDLE, deadline - time.monotonic())
        try:
            message = await asyncio.wait_for(receive(), timeout=max(wait, 0.0))
        except TimeoutError:
            raise StarletteHTTPException(
                408, "the request body stopped arriving: send it at a steady pace") from None
        if message["type"] == "http.request":
            total += len(message.get("body", b""))
            if total > cap:
                raise StarletteHTTPException(
                    413, f"the body is over {cap} bytes: this route takes at most {cap}")
            done = not message.get("more_body", False)
        return message

    return bounded
