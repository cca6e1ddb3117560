"""The node's HTTP API. Every call is authenticated; the server, never the client, decides.

Roles: analysts and supervisors consult records (always with a stated purpose and case); the
oversight role, and only it, reads the audit log (its reads are logged too); admins manage users
but read no case data; border officers will use the checks endpoints.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel
from pydantic import Field as PydanticField
from starlette.concurrency import run_in_threadpool

from cruce._node import Node
from cruce._why import justification
from cruce.api._admin import install_users
from cruce.api._changes import install_changes
from cruce.api._checks import install_checks
from cruce.api._errors import install_error_handlers
from cruce.api._export import install_export
from cruce.api._limits import MAX_NOTICE, MAX_PACKAGE, BodyLimits
from cruce.api._linkage import install_linkage
from cruce.api._messaging import (
    DEFAULT_HOUSEKEEPING,
    Housekeeping,
    housekeeping,
    install_messaging,
)
from cruce.api._network import install_network
from cruce.api._ops import install_ops
from cruce.api._stats import install_stats
from cruce.api._tokens import TokenTable
from cruce.api._users import Role, User
from cruce.api._wiring import Wiring
from cruce.audit import Justification
from cruce.errors import InvalidInput, NotFound, PermissionDenied
from cruce.records._search import fold
from cruce.share._node import Get, Post, http_get, http_post
from cruce.share._requests import RECEIPT_HEADER, NonceCache, sign_answer, verify_request

bearer = HTTPBearer(auto_error=False, description="A node user's API token")
CONSULTING = {Role.ANALYST, Role.SUPERVISOR}
# What any role may count by: how much the node holds at each protection level, no more.
HOLDINGS_FIELDS = {"schema", "tlp", "handling_code"}


def create_app(
    node: Node, post: Post | None = None, every: Housekeeping | None = DEFAULT_HOUSEKEEPING,
    get: Get | None = None,
) -> FastAPI:
    """The API of one node. Requests are served at once, each on the store's own terms: the
    store serialises what must be (DuckDB: one writer's transaction at a time; PostgreSQL:
    its transactions), never a lock around every request.

    `post` sends a package or message to another node, `get` asks one for its audit head
    (default: HTTP with httpx). While the server runs, background rounds retry the outbox,
    erase what is past retention and cross-check peers' audit heads (`every`; None: none).
    """
    if node.is_sharing:  # a directory that does not verify stops the server here, once
        node.sharing.directory  # noqa: B018 - loads (and verifies) keys and directory
    send = post or http_post
    lifespan = housekeeping(node, send, get or http_get, every) if every else None
    # /docs and /redoc from assets installed with the package (fastapi-offline), not a CDN:
    # a node's network may have no way out.
    app = FastAPIOffline(title="cruce node", version="1", description=__doc__,
                         lifespan=lifespan, swagger_ui_parameters={"validatorUrl": None})
    tokens = TokenTable(node.store)
    app.add_middleware(BodyLimits, is_known_token=tokens.is_known,
                       is_valid_token=tokens.is_valid)

    @contextmanager
    def acting(user: User) -> Iterator[Node]:
        yield node.as_user(user.name, user.role.value)

    def current_user(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> User:
        # In memory: a long ingest must not hold up every request.
        return tokens.authenticate(credentials.credentials if credentials else None)

    def consulting(user: Annotated[User, Depends(current_user)]) -> User:
        return _require(user, CONSULTING)

    def overseeing(user: Annotated[User, Depends(current_user)]) -> User:
        return _require(user, {Role.OVERSIGHT})

    def why(
        purpose: Annotated[
            str | None, Header(alias="X-Cruce-Purpose", description="Purpose area")
        ] = None,
        case: Annotated[
            str | None, Header(alias="X-Cruce-Case", description="Case reference")
        ] = None,
        text: Annotated[
            str, Header(alias="X-Cruce-Why", description="Free-text justification")
        ] = "",
    ) -> Justification:
        for name, value, most in (("X-Cruce-Purpose", purpose, 64),
                                  ("X-Cruce-Case", case, 64), ("X-Cruce-Why", text, 2000)):
            if value is not None and len(value) > most:
                raise InvalidInput(f"{name} is {len(value)} characters: at most {most}")
        return justification(purpose, case, text)

    wiring = Wiring(node, threading.Lock(), acting, current_user, consulting, why, send)

    @app.get("/api/v1/me", tags=["node"])
    def me(user: Annotated[User, Depends(current_user)]) -> dict[str, str | None]:
        """Who the token belongs to, and the node's agency."""
        return {"user": user.name, "role": user.role.value, "agency": node.agency}

    @app.get("/api/v1/records/{record_id}", tags=["records"])
    def get_record(
        record_id: str,
        user: Annotated[User, Depends(consulting)],
        reason: Annotated[Justification, Depends(why)],
    ) -> dict[str, Any]:
        """One record with its envelope; a logged consultation."""
        with acting(user) as acting_node:
            return acting_node.get(record_id, reason).to_dict()

    @app.get("/api/v1/search", tags=["records"])
    def search(
        user: Annotated[User, Depends(consulting)],
        reason: Annotated[Justification, Depends(why)],
        q: Annotated[str, Query(min_length=1, max_length=200, description="Name words")],
        response: Response,
        schema: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> list[dict[str, Any]]:
        """Records whose names, aliases or identifiers hold every word, among those the stated
        purpose may read; a logged consultation. The `X-Cruce-Withheld` header counts the
        matches withheld as collected for a purpose not compatible with it."""
        if not fold(q).split():  # '_', '%' or '%00' would otherwise select every record
            raise InvalidInput("search needs letters or digits to look for (punctuation and "
                               "control characters are ignored)")
        with acting(user) as acting_node:
            found = acting_node.search(q, reason, schema=schema, limit=limit)
            response.headers["X-Cruce-Withheld"] = str(found.withheld)
            return [r.to_dict() for r in found]

    @app.get("/api/v1/stats", tags=["records"])
    def stats(
        user: Annotated[User, Depends(current_user)],
        by: Annotated[list[str] | None, Query(description="Group by these envelope fields")] = None,
    ) -> list[dict[str, Any]]:
        """Aggregate counts only: no record is read. Counts by case-data fields (dataset,
        purpose, subject category, agency) are for the consulting roles only."""
        groups = by or ["schema"]
        if user.role not in CONSULTING and not set(groups) <= HOLDINGS_FIELDS:
            _require(user, CONSULTING)
        with acting(user) as acting_node:
            try:
                rows = acting_node.stats(*groups)
            except ValueError as exc:
                raise InvalidInput(str(exc)) from None
        return [{**dict(zip(groups, row[:-1], strict=True)), "records": row[-1]} for row in rows]

    @app.get("/api/v1/audit/head", tags=["audit"])
    def audit_head(user: Annotated[User, Depends(overseeing)]) -> dict[str, Any]:
        """The node's latest signed tree head."""
        with acting(user):
            head: dict[str, Any] = _log(node).head().to_dict()
        return head

    @app.get("/api/v1/audit/events", tags=["audit"])
    def audit_events(
        user: Annotated[User, Depends(overseeing)],
        reason: Annotated[Justification, Depends(why)],
        since: datetime | None = None,
        limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
    ) -> list[dict[str, Any]]:
        """Logged events, oldest first; the read is itself logged."""
        if since is not None and since.tzinfo is None:
            raise InvalidInput("since needs a time zone (e.g. 2026-01-01T00:00:00Z)")
        with acting(user) as acting_node:
            acting_node.log_audit_read("events", reason)
            entries = []
            for entry in _log(node).iter_events(since):
                entries.append({"index": entry.index, **entry.event})
                if len(entries) >= limit:
                    break
            return entries

    @app.get("/api/v1/audit/who-saw/{record_id}", tags=["audit"])
    def who_saw(
        record_id: str,
        user: Annotated[User, Depends(overseeing)],
        reason: Annotated[Justification, Depends(why)],
    ) -> list[dict[str, Any]]:
        """Every consultation and disclosure of one record; the read is itself logged."""
        with acting(user) as acting_node:
            acting_node.log_audit_read(f"who-saw {record_id}", reason)
            return [{"index": e.index, **e.event} for e in _log(node).who_saw(record_id)]

    @app.post("/api/v1/shares", tags=["sharing"])
    def share(
        body: ShareRequest,
        user: Annotated[User, Depends(consulting)],
        reason: Annotated[Justification, Depends(why)],
    ) -> dict[str, Any]:
        """Disclose records to other agencies under their envelopes' rules (checked here, per
        record and recipient); refused records are listed with the rule that refused them."""
        with acting(user) as acting_node:
            # A recipient or record named twice is one disclosure (one package each).
            done = acting_node.sharing.disclose(
                list(dict.fromkeys(body.records)), list(dict.fromkeys(body.recipients)),
                reason, release=body.release)
        delivery = wiring.deliver() if body.deliver else {}
        return {
            "share_ids": done.share_ids,
            "sent": done.sent,
            "refused": done.refused,
            "delivery": delivery,
        }

    @app.post("/api/v1/shares/inbox", tags=["sharing"])
    async def inbox(request: Request, response: Response) -> dict[str, Any]:
        """Another node delivers a share package: authenticated by its signature against the
        compact directory, decrypted with this node's key, kept once (retries are harmless).
        The answer carries this node's signed receipt of the package (X-Cruce-Receipt)."""
        data = await request.body()
        if not data or len(data) > MAX_PACKAGE:
            raise InvalidInput(f"a share package is 1 to {MAX_PACKAGE} bytes")

        def take() -> dict[str, Any]:  # in a worker thread: decrypting and storing block
            with wiring.inbound:
                share, status = node.sharing.receive(data)
            response.headers[RECEIPT_HEADER] = node.sharing.receipt(data)
            return {
                "status": status,
                "share_id": share.share_id if share else None,
                "records": len(share.records) if share else 0,
            }

        return await run_in_threadpool(take)

    @app.post("/api/v1/shares/notices", tags=["sharing"])
    async def notices(request: Request, response: Response) -> dict[str, Any]:
        """A providing agency tells this node to erase records it shared (a signed notice
        naming ids only); applied once, logged as an erasure here; answered with a receipt."""
        data = await request.body()
        if not data or len(data) > MAX_NOTICE:
            raise InvalidInput(f"a notice is 1 to {MAX_NOTICE} bytes")

        def apply() -> int:  # in a worker thread, off the event loop
            with wiring.inbound:
                erased = node.sharing.receive_notice(data)
            response.headers[RECEIPT_HEADER] = node.sharing.receipt(data)
            return erased

        erased = await run_in_threadpool(apply)
        return {"status": "applied", "erased": erased}

    nonces = NonceCache()
    nonce_lock = threading.Lock()  # the cache's check and remember are one step

    @app.get("/api/v1/audit/peer-head", tags=["audit"])
    def peer_head(request: Request, known_size: Annotated[int, Query(ge=0)] = 0) -> Response:
        """For another member node only (a signed node request): this node's signed audit head
        and the proof that it extends the one that node saw before; the answer is signed."""
        with nonce_lock:
            verify_request(request.headers, "GET", "/api/v1/audit/peer-head",
                           request.url.query, node.sharing.agency, node.sharing.directory,
                           nonces)
        body = node.sharing.peer_head_answer(known_size)
        signature = sign_answer(node.sharing.keys, body)
        return Response(body, media_type="application/json",
                        headers={"X-Cruce-Answer-Signature": signature})

    @app.get("/api/v1/shares/received", tags=["sharing"])
    def received(user: Annotated[User, Depends(consulting)]) -> list[dict[str, Any]]:
        """Shares this node has received (who sent how many records, when)."""
        with acting(user) as acting_node:  # from the store: a node outside the compact has none
            rows = acting_node.store.shares_received()
        return [
            {"share_id": i, "sender": s, "records": n, "received_at": at.isoformat()}
            for i, s, n, at in rows
        ]

    @app.get("/api/v1/shares/outbox", tags=["sharing"])
    def outbox(user: Annotated[User, Depends(consulting)]) -> list[dict[str, Any]]:
        """What this node sent or is sending: state (delivered with the recipient's signed
        receipt, waiting with its next attempt, or refused), attempts, the last answer."""
        with acting(user) as acting_node:  # erasure notices queue even without the directory
            return [entry.to_dict() for entry in acting_node.store.outbox_entries()]

    install_messaging(app, wiring)
    install_users(app, wiring, tokens)
    install_changes(app, wiring)
    install_export(app, wiring)
    install_linkage(app, wiring)
    install_network(app, wiring)
    install_checks(app, wiring)
    install_ops(app, wiring)
    install_stats(app, wiring)
    install_error_handlers(app)
    return app


class ShareRequest(BaseModel):
    records: list[str] = PydanticField(min_length=1, max_length=10_000)
    recipients: list[str] = PydanticField(min_length=1, max_length=10)
    deliver: bool = True
    release: str | None = PydanticField(
        default=None, max_length=2000,
        description="A supervisor's justification for releasing victim records to these "
                    "recipients (supervisors only)")



def _require(user: User, roles: set[Role]) -> User:
    if user.role not in roles:
        allowed = ", ".join(sorted(r.value for r in roles))
        raise PermissionDenied(f"the {user.role.value} role may not do this (allowed: {allowed})")
    return user


def _log(node: Node) -> Any:
    if node.audit is None:
        raise NotFound("this node keeps no audit log")
    return node.audit
