"""What a node tells its operator: `/health`, `/ready` and Prometheus `/metrics`.

`/health` answers while the process can serve HTTP; `/ready` while the node can do its work:
its store answers, its audit log is open, and a member's directory holds its membership in
force. Both are for load balancers and supervisors, which hold no token: they say ok or not
and name the failing check, nothing about records, users or other agencies. `/metrics` tells
more (per-recipient queues, peers' checks): it needs an admin's or oversight's token, like
any other call. Metrics never hold case data: counts, ages and agency ids only.
"""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations, which name
# the `wiring` of install_ops (a local, not a global it could resolve from a string).
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cruce._node import Node
from cruce.api._users import Role, User
from cruce.api._wiring import Wiring
from cruce.errors import InvalidInput, PermissionDenied
from cruce.store._ops_reads import outbox_summary

MONITORING = {Role.ADMIN, Role.OVERSIGHT}


class Measured:
    """ASGI middleware counting and timing every request by route and status. Plain ASGI, not
    `@app.middleware("http")`: Starlette's BaseHTTPMiddleware wraps every request and response
    in extra tasks and streams: wired that way, it cost the authenticated no-op about a fifth of
    its rate (bench/RESULTS.md, Session 8 — serving)."""

    def __init__(self, app: ASGIApp, requests: Counter, latency: Histogram) -> None:
        self.app = app
        self.requests = requests
        self.latency = latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            # The router leaves the matched route in the request's scope (the same dict).
            route = getattr(scope.get("route"), "path", "unmatched")
            self.requests.labels(scope["method"], route, str(status)).inc()
            self.latency.labels(scope["method"], route).observe(time.perf_counter() - started)


def install_ops(app: FastAPI, wiring: Wiring) -> None:
    """The three routes, the admins' online backup, and the middleware that counts and times
    every request."""
    registry = CollectorRegistry(auto_describe=True)
    requests = Counter("cruce_http_requests", "HTTP requests answered, by route and status",
                       ["method", "route", "status"], registry=registry)
    latency = Histogram("cruce_http_request_seconds", "Time to answer, by route",
                        ["method", "route"], registry=registry)
    registry.register(NodeCollector(wiring.node))

    app.add_middleware(Measured, requests=requests, latency=latency)

    @app.get("/health", tags=["operations"])
    def health() -> dict[str, str]:
        """The process is up and answers HTTP (no token needed)."""
        return {"status": "ok"}

    @app.get("/ready", tags=["operations"], responses={503: {"description": "Not ready"}})
    def ready() -> JSONResponse:
        """The node can serve: store, audit log, directory (no token needed)."""
        checks = readiness(wiring.node)
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ready" if ok else "not ready", "checks": checks},
                            status_code=200 if ok else 503)

    @app.get("/metrics", tags=["operations"], response_class=Response)
    def metrics(user: Annotated[User, Depends(wiring.authenticated)]) -> Response:
        """Prometheus text: requests and latencies, records held, audit log size, outbox depth
        and oldest item per recipient, retry loops, peers' last checks, directory expiry."""
        if user.role not in MONITORING:
            raise PermissionDenied(f"the {user.role.value} role may not read metrics "
                                   "(allowed: admin, oversight)")
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


    @app.post("/api/v1/node/backup", tags=["operations"])
    def backup(user: Annotated[User, Depends(wiring.authenticated)]) -> dict[str, Any]:
        """An online backup (store, audit log, keys, directory) into a new folder under
        CRUCE_BACKUP_DIR on the server's host, named by the time; admins only, logged."""
        if user.role is not Role.ADMIN:
            raise PermissionDenied(f"the {user.role.value} role may not back up the node "
                                   "(allowed: admin)")
        return online_backup(wiring.node, user.name)


def online_backup(node: Node, user: str) -> dict[str, Any]:
    """Back up the serving node into CRUCE_BACKUP_DIR/<agency>-<UTC time>/ (never a path a
    caller names: the server writes only where its operator said)."""
    from cruce._backup import backup_node

    root = os.environ.get("CRUCE_BACKUP_DIR")
    if not root:
        raise InvalidInput("this node takes backups from its API only into CRUCE_BACKUP_DIR: "
                           "its operator sets it (or runs cruce node backup)")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    out = Path(root) / f"{node.agency or 'node'}-{stamp}"
    manifest = backup_node(node, out, user)
    return {"folder": str(out), **{k: manifest[k] for k in (
        "agency", "created_at", "schema_version", "audit_size")}, "files": len(manifest["files"])}


def readiness(node: Node) -> dict[str, str]:
    """Each check's state: "ok", or a few words saying what is wrong (no detail)."""
    checks: dict[str, str] = {}
    try:
        checks["store"] = "ok" if node.store.get_setting("agency") else "no agency"
    except Exception:  # noqa: BLE001 - any failure of the store is "not ready", never a 500
        checks["store"] = "unreachable"
    checks["audit_log"] = "ok" if node.audit is not None else "no audit log"
    if _is_unreconciled(node):
        checks["restore"] = "restored from a backup, not reconciled with its providers"
    if node.is_sharing:
        checks["directory"] = _directory_state(node)
    return checks


def _is_unreconciled(node: Node) -> bool:
    from cruce._backup import restored_state

    try:
        return restored_state(node) is not None
    except Exception:  # noqa: BLE001 - the store check above reports an unreachable store
        return False


def _directory_state(node: Node) -> str:
    try:
        own = node.sharing.directory.get(node.agency or "")
    except Exception:  # noqa: BLE001 - a directory that cannot be loaded is "not ready"
        return "unusable"
    if own is None:
        return "does not list this node"
    return "ok" if own.is_valid_at(datetime.now(UTC)) else "membership not in force"


class NodeCollector(Collector):
    """The node's state, read at each scrape."""

    def __init__(self, node: Node) -> None:
        self.node = node

    def collect(self) -> Iterator[GaugeMetricFamily]:
        node, now = self.node, datetime.now(UTC)
        yield _gauge("cruce_records", "Records held", node.store.count())
        if node.audit is not None:
            yield _gauge("cruce_audit_log_entries", "Entries in the audit log", node.audit.size)
        yield from _queues(node, now)
        yield from _peers(node, now)
        if node.is_sharing:
            yield from _directory(node, now)


def _queues(node: Node, now: datetime) -> Iterator[GaugeMetricFamily]:
    names = {"waiting": "Outbox items waiting, by recipient",
             "retrying": "Outbox items waiting after a failed attempt (a retry loop)",
             "refused": "Outbox items the recipient refused for good"}
    families = {k: GaugeMetricFamily(f"cruce_outbox_{k}", text, labels=["recipient"])
                for k, text in names.items()}
    oldest = GaugeMetricFamily("cruce_outbox_oldest_waiting_seconds",
                               "Age of the oldest item waiting, by recipient",
                               labels=["recipient"])
    for queue in outbox_summary(node.store):
        for key, family in families.items():
            family.add_metric([queue.recipient], getattr(queue, key))
        if queue.oldest_waiting is not None:
            oldest.add_metric([queue.recipient], _age(now, queue.oldest_waiting))
    yield from families.values()
    yield oldest


def _peers(node: Node, now: datetime) -> Iterator[GaugeMetricFamily]:
    checked = GaugeMetricFamily("cruce_peer_check_age_seconds",
                                "Time since the last cross-check of a peer's audit log",
                                labels=["agency", "outcome"])
    for peer in node.store.peer_states():
        checked.add_metric([peer.agency, peer.outcome], _age(now, peer.checked_at))
    yield checked


def _directory(node: Node, now: datetime) -> Iterator[GaugeMetricFamily]:
    directory = node.sharing.directory
    yield _gauge("cruce_directory_serial", "Serial of the directory in force", directory.serial)
    left = GaugeMetricFamily("cruce_membership_expiry_seconds",
                             "Time left before each membership expires (negative: expired)",
                             labels=["member"])
    for member in directory:
        left.add_metric([member.id], (member.valid_until - now).total_seconds())
    yield left


def _gauge(name: str, text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, text, value=value)


def _age(now: datetime, then: datetime) -> float:
    at = then if then.tzinfo is not None else then.replace(tzinfo=UTC)
    return max(0.0, (now - at).total_seconds())
