"""The API's requests for information, consent flow and outbox delivery.

Users (analysts, supervisors) open, read, answer and close request threads and ask for or
answer consents; other member nodes deliver sealed messages to /api/v1/messages/inbox (signed
by their directory key, encrypted to this node). A background loop retries the outbox.
"""

import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager, asynccontextmanager
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from pydantic import BaseModel
from pydantic import Field as PydanticField

from cruce._node import Node
from cruce.api._users import Role, User
from cruce.audit._events import Justification
from cruce.errors import InvalidInput, PermissionDenied
from cruce.share._node import Post
from cruce.share._threads import Priority, ThreadStatus

MAX_MESSAGE = 1024 * 1024
Acting = Callable[[User], AbstractContextManager[Node]]


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


def install_messaging(
    app: FastAPI,
    node: Node,
    lock: threading.Lock,
    acting: Acting,
    consulting: Callable[..., User],
    why: Callable[..., Justification],
    send: Post,
) -> None:
    def deliver() -> dict[str, int]:
        return node.sharing.deliver(send, lambda: lock)

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
        status: Annotated[ThreadStatus | None, Query()] = None,
    ) -> list[dict[str, Any]]:
        """Request threads (subject, parties, status, deadline), newest activity first."""
        with acting(user) as acting_node:
            return [t.to_dict() for t in acting_node.sharing.requests.threads(status)]

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
    async def message_inbox(request: Request) -> dict[str, Any]:
        """Another node delivers a sealed message (request, reply, consent request/answer)."""
        data = await request.body()
        if not data or len(data) > MAX_MESSAGE:
            raise InvalidInput(f"a message is 1 to {MAX_MESSAGE} bytes")
        with lock:
            status = node.sharing.receive_message(data)
        return {"status": status}

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
            rows = acting_node.sharing.consents.book.all()
        return [{**req.to_dict(), "status": answer.status.value if answer else "pending",
                 "answered_by": answer.by if answer else None,
                 "reason": answer.reason if answer else None} for req, answer in rows]

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


def delivery_loop(node: Node, send: Post, lock: threading.Lock, every: float) -> Any:
    """A lifespan that retries the outbox every `every` seconds while the server runs (a
    recipient that was down gets its packages when it is back; it keeps each once)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()

        def run() -> None:
            while not stop.wait(every):
                try:
                    if node.is_sharing:
                        node.sharing.deliver(send, lambda: lock)
                except Exception:  # noqa: BLE001 - a failed round is retried next time
                    continue

        worker = threading.Thread(target=run, name="cruce-outbox", daemon=True)
        worker.start()
        try:
            yield
        finally:
            stop.set()
            worker.join(timeout=5)

    return lifespan
