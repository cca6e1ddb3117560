"""Writers in other processes append to the node's log through its owner (`LogService`).

The client pipelines: whatever its tasks append during one turn of its event loop goes as one
request, without waiting for the previous reply (wire format: `_wire`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import deque
from collections.abc import Sequence
from pathlib import Path

from cruce.audit._events import AccessEvent
from cruce.audit._files import MAX_ENTRY_BYTES
from cruce.audit._wire import (
    HEAD,
    INVALID,
    LENGTH,
    MAX_REQUEST_BYTES,
    MAX_REQUEST_EVENTS,
    REPLY,
    peer_uid,
)
from cruce.errors import CruceError, InvalidInput


class LogClient:
    """Appends to a log served by `LogService`, from the asyncio tasks of one event loop.

        client = await LogClient.connect(Path("node.duckdb.audit/append.sock"))
        index = await client.append_async(event)      # durable, as with AuditLog.append
        await client.aclose()

    Everything appended during one turn of the loop goes in one request, without waiting for
    earlier replies. A lost connection fails every unanswered append with `CruceError`: those
    events may or may not have been logged.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer
        self._loop = asyncio.get_running_loop()
        self._payloads: list[bytes] = []  # of the request being gathered
        self._size = 0  # its body's bytes
        self._waiters: list[tuple[asyncio.Future[int], int]] = []  # (future, first's position)
        self._sent: deque[list[tuple[asyncio.Future[int], int]]] = deque()
        self._flush_due = False
        self._failure: CruceError | None = None
        self._closing = False
        self._replies = asyncio.create_task(self._read_replies())

    @classmethod
    async def connect(cls, path: Path) -> LogClient:
        """Connect to the service at `path`; it must run as this process's OS user (events
        name records and users: they go to no one else)."""
        try:
            reader, writer = await asyncio.open_unix_connection(path)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise CruceError(f"no audit log service at {path} ({reason})") from None
        if peer_uid(writer) != os.getuid():
            writer.close()
            raise CruceError(f"the process listening on {path} runs as another user")
        return cls(reader, writer)

    async def append_async(self, event: AccessEvent) -> int:
        """Log `event`; returns its index once it is durable in the served log."""
        index: int = await self._queue([event.encode()])
        return index

    async def append_encoded_async(self, payloads: Sequence[bytes]) -> range:
        """Log already-encoded events; returns their indices once all are durable."""
        if not payloads:
            return range(0)
        first = await self._queue(payloads)
        return range(first, first + len(payloads))

    def _queue(self, payloads: Sequence[bytes]) -> asyncio.Future[int]:
        if self._failure is not None:
            raise CruceError(str(self._failure))
        if self._closing:
            raise CruceError("the audit log client is closed")
        size = 0
        for payload in payloads:
            if len(payload) > MAX_ENTRY_BYTES:
                raise InvalidInput(f"audit event of {len(payload)} bytes exceeds the maximum")
            size += 4 + len(payload)
        if len(payloads) > MAX_REQUEST_EVENTS or size > MAX_REQUEST_BYTES:
            raise InvalidInput(
                f"{len(payloads)} events of {size} bytes in one call: the limit is "
                f"{MAX_REQUEST_EVENTS} events and {MAX_REQUEST_BYTES} bytes; split them"
            )
        if (
            len(self._payloads) + len(payloads) > MAX_REQUEST_EVENTS
            or self._size + size > MAX_REQUEST_BYTES
        ):
            self._flush()
        future = self._loop.create_future()
        self._waiters.append((future, len(self._payloads)))
        self._payloads += payloads
        self._size += size
        if not self._flush_due:
            self._flush_due = True
            self._loop.call_soon(self._flush)
        return future

    def _flush(self) -> None:
        self._flush_due = False
        payloads, self._payloads, self._size = self._payloads, [], 0
        if not payloads:
            return
        waiters, self._waiters = self._waiters, []
        if self._failure is not None:
            _fail(waiters, CruceError, str(self._failure))
            return
        parts = [b""]
        pack = LENGTH.pack
        for payload in payloads:
            parts.append(pack(len(payload)))
            parts.append(payload)
        parts[0] = HEAD.pack(len(payloads), sum(map(len, parts)))
        self._sent.append(waiters)
        self._writer.write(b"".join(parts))

    async def _read_replies(self) -> None:
        reader = self._reader
        try:
            while True:
                (first,) = REPLY.unpack(await reader.readexactly(REPLY.size))
                waiters = self._sent.popleft()
                if first >= 0:
                    for future, position in waiters:
                        if not future.done():
                            future.set_result(first + position)
                    continue
                (length,) = LENGTH.unpack(await reader.readexactly(LENGTH.size))
                message = (await reader.readexactly(length)).decode()
                _fail(waiters, InvalidInput if first == INVALID else CruceError, message)
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            self._lost(f"the audit log service closed the connection ({exc.__class__.__name__})")
        except Exception as exc:  # a reply that makes no sense: trust none that follow
            self._lost(f"the audit log service sent a reply out of protocol ({exc!r})")

    def _lost(self, reason: str) -> None:
        message = f"{reason}: unanswered events may or may not be logged"
        self._failure = CruceError(message)
        while self._sent:
            _fail(self._sent.popleft(), CruceError, message)

    async def aclose(self) -> None:
        """Wait for every reply still due, then close the connection. Appends from now on
        raise; cancelling `aclose` leaves other tasks' appends alone."""
        self._closing = True
        self._flush()
        pending = [future for waiters in self._sent for future, _ in waiters]
        if pending and self._failure is None:
            await asyncio.wait(pending)
        self._replies.cancel()
        self._writer.close()
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()
        self._lost("the audit log client was closed")  # nothing is left; should anything be


def _fail(
    waiters: list[tuple[asyncio.Future[int], int]], kind: type[CruceError], message: str
) -> None:
    """An exception each: waiters raising one instance concurrently would share a traceback."""
    for future, _ in waiters:
        if not future.done():
            future.set_exception(kind(message))
