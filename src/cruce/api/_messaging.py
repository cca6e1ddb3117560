"""The API's requests for information, consent flow and outbox delivery.

Users (analysts, supervisors) open, read, answer and close request threads and ask for or
answer consents; other member nodes deliver sealed messages to /api/v1/messages/inbox (signed
by their directory key, encrypted to this node). A background loop retries the outbox.
"""

import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request, Response
from pydantic import BaseModel
from pydantic import Field as PydanticField
from starlette.concurrency import run_in_threadpool

from cruce._node import Node
from cruce.api._limits import MAX_MESSAGE
from cruce.api._users import Role, User
from cruce.api._wiring import Wiring
from cruce.audit import Justification
from cruce.errors import CruceError, InvalidInput, PermissionDenied
from cruce.share._directory_watch import DirectoryWatch
from cruce.share._node import Get, Post
from cruce.share._requests import RECEIPT_HEADER
from cruce.share._threads import Priority, ThreadStatus

log = logging.getLogger("cruce.api")


class NewRequest(BaseModel):
    to: str = PydanticField(min_length=1, max_length=64, description="The agency asked")
    subject: str = PydanticField(min_length=1, max_length=200)
    text: str = PydanticField(min_length=1, max_length=20_000)
    priority: Priority = Priority.NORMAL
    deadline: date | None = None


class Reply(BaseModel):
    text: str = PydanticField(min_length=1, max_length=20_000)
    share_ids: list[str] = PydanticField(default_factory=list, max_length=100)


class Closing(BaseModel):
    reason: str = PydanticField(default="", max_length=2000)


class NewConsent(BaseModel):
    record_id: str = PydanticField(min_length=1, max_length=64)
    recipient: str = PydanticField(min_length=1, max_length=64,
                                   description="The agency the record would go on to")


class Answer(BaseModel):
    reason: str = PydanticField(default="", max_length=2000)


def install_messaging(app: FastAPI, wiring: Wiring) -> None:
    node, inbound, acting, consulting, why, deliver = (
        wiring.node, wiring.inbound, wiring.acting, wiring.consulting, wiring.why, wiring.deliver)

    def supervising(user: Annotated[User, Depends(consulting)]) -> User:
        if user.role is not Role.SUPERVISOR:
            raise PermissionDenied(f"the {user.role.value} role may not answer consent "
                                   "requests (allowed: supervisor)")
        return user

    @app.post("/api/v1/messages", tags=["messages"])
    def new_request(
        body: NewRequest,
        user: Annotated[User, Depends(consulting)],
        reason: Annotated[Justification, Depends(why)],
    ) -> dict[str, Any]:
        """Send a request for information on a case (purpose and case from the headers)."""
        with acting(user) as acting_node:
            thread_id = acting_node.sharing.requests.ask(
                body.to, body.subject, body.text, reason, body.priority, body.deadline)
        return {"thread_id": thread_id, "delivery": deliver()}

    @app.get("/api/v1/messages", tags=["messages"])
    def threads(
        user: Annotated[User, Depends(consulting)],
        reason: Annotated[Justification, Depends(why)],
        status: Annotated[ThreadStatus | None, Query()] = None,
    ) -> list[dict[str, Any]]:
        """Request threads (subject, parties, status, deadline), newest activity first; a
        logged consultation (subjects name people)."""
        with acting(user) as acting_node:
            return [t.to_dict() for t in acting_node.sharing.requests.threads(status, reason)]

    @app.get("/api/v1/messages/{thread_id}", tags=["messages"])
    def thread(
        thread_id: str,
        user: Annotated[User, Depends(consulting)],
        reason: Annotated[Justification, Depends(why)],
    ) -> dict[str, Any]:
        """One thread with every message; a logged consultation."""
        with acting(user) as acting_node:
            return acting_node.sharing.requests.thread(thread_id, reason).to_dict()

    @app.post("/api/v1/messages/{thread_id}/reply", tags=["messages"])
    def reply(
        thread_id: str, body: Reply, user: Annotated[User, Depends(consulting)],
    ) -> dict[str, Any]:
        """Answer a thread (the reply may name shares sent with it)."""
        with acting(user) as acting_node:
            message_id = acting_node.sharing.requests.reply(thread_id, body.text,
                                                            body.share_ids)
        return {"message_id": message_id, "delivery": deliver()}

    @app.post("/api/v1/messages/{thread_id}/close", tags=["messages"])
    def close(
        thread_id: str, body: Closing, user: Annotated[User, Depends(consulting)],
    ) -> dict[str, Any]:
        """The requesting agency closes its request."""
        with acting(user) as acting_node:
            acting_node.sharing.requests.close(thread_id, body.reason)
        return {"status": "closed", "delivery": deliver()}

    @app.post("/api/v1/messages/inbox", tags=["messages"])
    async def message_inbox(request: Request, response: Response) -> dict[str, Any]:
        """Another node delivers a sealed message (request, reply, consent request/answer);
        the answer carries this node's signed receipt of it (X-Cruce-Receipt)."""
        data = await request.body()
        if not data or len(data) > MAX_MESSAGE:
            raise InvalidInput(f"a message is 1 to {MAX_MESSAGE} bytes")

        def take() -> dict[str, Any]:  # in a worker thread, off the event loop
            with inbound:
                status = node.sharing.receive_message(data)
            response.headers[RECEIPT_HEADER] = node.sharing.receipt(data)
            return {"status": status}

        return await run_in_threadpool(take)

    @app.post("/api/v1/consents", tags=["consent"])
    def ask_consent(
        body: NewConsent,
        user: Annotated[User, Depends(consulting)],
        reason: Annotated[Justification, Depends(why)],
    ) -> dict[str, Any]:
        """Ask a record's provider to let it go on to another agency (for the stated purpose)."""
        text = f"case {reason.case_reference}: {reason.text}".rstrip(": ")
        with acting(user) as acting_node:
            request = acting_node.sharing.consents.ask(body.record_id, body.recipient,
                                                       reason.purpose, text)
        return {**request.to_dict(), "status": "pending", "delivery": deliver()}

    @app.get("/api/v1/consents", tags=["consent"])
    def consents(user: Annotated[User, Depends(consulting)]) -> list[dict[str, Any]]:
        """Every consent request this node asked or was asked, with its latest answer."""
        with acting(user) as acting_node:
            return acting_node.sharing.consents.listing()  # with history and what went out

    def answer_route(grant: bool) -> Callable[..., dict[str, Any]]:
        def answer(
            request_id: str, body: Answer, user: Annotated[User, Depends(supervising)],
        ) -> dict[str, Any]:
            with acting(user) as acting_node:
                consent = acting_node.sharing.consents.answer(request_id, grant, body.reason)
            return {"request_id": request_id, "status": consent.status.value,
                    "delivery": deliver()}
        return answer

    app.post("/api/v1/consents/{request_id}/grant", tags=["consent"],
             summary="A supervisor grants a consent request")(answer_route(True))
    app.post("/api/v1/consents/{request_id}/refuse", tags=["consent"],
             summary="A supervisor refuses a consent request (with a reason)")(
        answer_route(False))

    @app.post("/api/v1/consents/{request_id}/revoke", tags=["consent"])
    def revoke_consent(
        request_id: str, body: Answer, user: Annotated[User, Depends(supervising)],
    ) -> dict[str, Any]:
        """A supervisor withdraws a grant: a new entry in the request's history; the grant and
        what went out under it stay listed (a second grant or refusal is 409)."""
        with acting(user) as acting_node:
            consent = acting_node.sharing.consents.revoke(request_id, body.reason)
        return {"request_id": request_id, "status": consent.status.value,
                "delivery": deliver()}


@dataclass(frozen=True, slots=True)
class Housekeeping:
    """Seconds between rounds of each background task (None: never)."""

    deliver: float | None = 2.0
    expire: float | None = 3600.0
    check_peers: float | None = 600.0


DEFAULT_HOUSEKEEPING = Housekeeping()


def housekeeping(node: Node, send: Post, get: Get, every: Housekeeping) -> Any:
    """A lifespan that, while the server runs, retries the outbox (a recipient that was down
    gets its packages when it is back, and keeps each once), erases records past their
    retention (telling their recipients), and cross-checks every peer's signed audit head.
    A failed round is retried next time and never stops the server."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        # (period, needs the compact, task): retention applies to every node.
        # The directory is watched from the start (loaded and verified by create_app): a
        # changed, valid file is taken without a restart.
        watch = DirectoryWatch(node)
        tasks = [(every.deliver, True,
                  lambda: node.sharing.deliver(send, due_only=True)),
                 (every.expire, False, lambda: _expire(node)),
                 (every.check_peers, True, lambda: _check_peers(node, get)),
                 (every.deliver, True, watch.refresh)]
        due = [0.0] * len(tasks)
        tick = min((period for period, _, _ in tasks if period), default=3600.0)

        def run() -> None:
            while not stop.wait(tick):
                now = time.monotonic()
                for i, (period, compact, task) in enumerate(tasks):
                    if period and now >= due[i] and (node.is_sharing or not compact):
                        due[i] = now + period
                        _quietly(task)

        worker = threading.Thread(target=run, name="cruce-housekeeping", daemon=True)
        worker.start()
        try:
            yield
        finally:
            stop.set()
            worker.join(timeout=10)

    return lifespan


def _quietly(task: Callable[[], object]) -> None:
    try:
        task()
    except Exception:  # noqa: BLE001 - logged; the next round tries again
        log.warning("background task failed", exc_info=True)


def _expire(node: Node) -> None:
    from cruce._why import justification

    why = justification("intelligence", "retention", "retention period over (automatic)")
    done = node.as_user("retention", "system").expire(why)
    if done["erased"]:
        log.warning("retention: erased %d records, %d recipients notified",
                    done["erased"], done["notices"])


def _check_peers(node: Node, get: Get) -> None:
    """Cross-check every peer's audit log. Each outcome is kept in the store and logged by
    `cruce.audit._peers` (a broken log at ERROR); only a peer that cannot be reached is taken
    for one that is down, and one peer's failure never keeps the others from being checked."""
    sharing = node.sharing
    for member in sharing.directory.members:
        if member.id != sharing.agency:
            try:
                sharing.check_peer(member.id, get)
            except CruceError:
                continue  # kept in the store and logged by the check itself
            except Exception:  # noqa: BLE001 - a bug: loud, and the other peers still checked
                log.error("cross-checking peer %s's audit log failed", member.id, exc_info=True)
