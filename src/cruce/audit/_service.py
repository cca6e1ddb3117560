"""The log as a local service: writers in other processes append to it over a Unix socket.

One process owns a node's log (the directory lock). Writers in other processes of the node's
OS user append through the owner's `LogService` with a `LogClient`, with the guarantee `append`
gives: an index comes back only once its event is fdatasync'ed. One Python process runs on one
core at a time (the GIL); with the log's hashing, framing and syncing in the owner and each
writer's event encoding in its own process, a 2-core machine uses both cores for appends.

Requests are pipelined: a client sends whatever its tasks appended during one turn of its
event loop as one request, without waiting for the previous reply, and the owner queues each
request as one group-commit ticket.

Only the log's own OS user can connect: the socket is created with mode 0600 (by default in
the log's directory, mode 0700), and each end checks the other's uid. The owner logs a
request only if every one of its events is valid (`_schema.check_encoded`: the event schema, in
canonical form); otherwise it answers -1 and logs none of it. A frame of anything else, once
signed in, would verify "ok" and break every reader of the log. One socket path serves one
log at a time (a lock beside it). The wire format is `_wire`'s; the client is `_client`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import socket
from collections import deque
from pathlib import Path

from cruce.audit._log import AuditLog
from cruce.audit._wire import (
    FAILED,
    INVALID,
    REPLY,
    ProtocolError,
    error_reply,
    peer_uid,
    read_request,
    split_request,
)
from cruce.errors import Conflict, CruceError, InvalidInput

log = logging.getLogger(__name__)

SOCKET_FILE = "append.sock"
MAX_IN_FLIGHT = 64  # requests per connection waiting in the owner before it stops reading
MAX_IN_FLIGHT_BYTES = 128 << 20
_SUN_PATH_MAX = 107  # sockaddr_un.sun_path holds 108 bytes with the terminating NUL


def default_socket(log_dir: Path) -> Path:
    """Where a log's service listens unless told otherwise: inside the log's own folder."""
    return Path(log_dir) / SOCKET_FILE


class LogService:
    """Serves `log` to writers in other processes of the same OS user, in this event loop.

    async with LogService(log) as service:   # listens on <log folder>/append.sock
        await service.serve_forever()
    """

    def __init__(self, audit_log: AuditLog, path: Path | None = None) -> None:
        self.log = audit_log
        self.path = Path(path) if path is not None else default_socket(audit_log.directory)
        if len(os.fsencode(self.path)) > _SUN_PATH_MAX:
            raise InvalidInput(
                f"socket path {self.path} is longer than {_SUN_PATH_MAX} bytes, the limit of "
                "a Unix socket address; give a shorter one"
            )
        self._server: asyncio.Server | None = None
        self._lock_fd = -1
        self._connections: dict[_Connection, asyncio.Task[None]] = {}
        self._stopping = False

    async def start(self) -> None:
        if not hasattr(socket, "SO_PEERCRED"):  # who is connecting must be known
            raise CruceError("the audit log service needs Linux (SO_PEERCRED)")
        self._lock_fd = _claim(self.path)
        try:
            self._server = await asyncio.start_unix_server(self._accept, sock=_bind(self.path))
        except BaseException:
            self._release()
            raise

    async def serve_forever(self) -> None:
        if self._server is None:
            await self.start()
        assert self._server is not None
        await self._server.serve_forever()

    async def stop(self, grace: float = 30.0) -> None:
        """Stop accepting and reading; answer every request already received, then hang up.

        A client that does not read its replies within `grace` seconds is cut off (its
        events are logged all the same).
        """
        self._stopping = True
        if self._server is not None:
            self._server.close()
        for connection in self._connections:
            connection.stop_reading()
        tasks = set(self._connections.values())
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=grace)
            for connection, task in self._connections.items():
                if task in late:
                    connection.abort()
            if late:
                await asyncio.wait(late)
        if self._server is not None:  # since Python 3.12 this waits for every connection
            await self._server.wait_closed()
            self._server = None
        self._release()

    @property
    def waiting(self) -> int:
        """Requests received and not yet answered, over every connection (each connection
        holds at most MAX_IN_FLIGHT before its owner stops reading it)."""
        return sum(connection.waiting for connection in self._connections)

    def _release(self) -> None:
        if self._lock_fd >= 0:
            self.path.unlink(missing_ok=True)  # ours: we hold its lock
            os.close(self._lock_fd)
            self._lock_fd = -1

    async def __aenter__(self) -> LogService:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._stopping:
            writer.close()
            return
        if peer_uid(writer) != os.getuid():
            log.warning("audit log service: refused a connection from another user")
            writer.close()
            return
        connection = _Connection(self.log, reader, writer)
        task = asyncio.current_task()
        assert task is not None
        self._connections[connection] = task
        try:
            await connection.run()
        finally:
            del self._connections[connection]


class _Connection:
    """One writer's connection: reads requests, queues each as one ticket, answers in order.

    At most MAX_IN_FLIGHT requests (and MAX_IN_FLIGHT_BYTES) wait for their batch at once;
    beyond that the owner stops reading, so a client that never reads its replies cannot make
    the owner hold more.
    """

    def __init__(self, audit_log: AuditLog, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:  # fmt: skip
        self.log, self.reader, self.writer = audit_log, reader, writer
        self._in_flight: deque[tuple[asyncio.Task[range], int]] = deque()
        self._bytes = 0
        self._arrived, self._freed = asyncio.Event(), asyncio.Event()
        self._reading: asyncio.Task[None] | None = None
        self._ended = False

    async def run(self) -> None:
        answering = asyncio.create_task(self._answer())
        self._reading = asyncio.create_task(self._read())
        await asyncio.wait([self._reading])  # not `await`: stop() cancels the reading only
        if not self._reading.cancelled() and (exc := self._reading.exception()) is not None:
            if not isinstance(exc, ConnectionError | ProtocolError):
                log.error("audit log service: reading a connection failed", exc_info=exc)
            log.warning("audit log service: dropped a connection (%s)", exc)
        self._ended = True
        self._arrived.set()
        try:
            await answering  # every request received is answered before hanging up
        finally:
            self.writer.close()

    @property
    def waiting(self) -> int:
        return len(self._in_flight)

    def stop_reading(self) -> None:
        if self._reading is not None:
            self._reading.cancel()  # a request read in part is neither logged nor answered

    def abort(self) -> None:
        self.writer.transport.abort()

    async def _read(self) -> None:
        while (request := await read_request(self.reader)) is not None:
            count, body = request
            while self._in_flight and (
                len(self._in_flight) >= MAX_IN_FLIGHT
                or self._bytes + len(body) > MAX_IN_FLIGHT_BYTES
            ):
                self._freed.clear()
                await self._freed.wait()
            # A task per request, started in arrival order: each queues its ticket on its
            # first step, so tickets (and indices) follow the requests' order.
            self._in_flight.append((asyncio.create_task(_append(self.log, count, body)), len(body)))
            self._bytes += len(body)
            self._arrived.set()

    async def _answer(self) -> None:
        """Write one reply per request, in request order, as each request's batch is durable."""
        writer, connected = self.writer, True
        while self._in_flight or not self._ended:
            if not self._in_flight:
                self._arrived.clear()
                await self._arrived.wait()
                continue
            task, size = self._in_flight[0]
            reply = await _reply(task)
            self._in_flight.popleft()
            self._bytes -= size
            self._freed.set()
            if not connected or writer.is_closing():
                connected = False  # gone: its events are logged, unanswered
                continue
            writer.write(reply)
            if writer.transport.get_write_buffer_size() > 1 << 20:
                try:
                    await writer.drain()
                except ConnectionError:
                    connected = False
        if connected:
            with contextlib.suppress(ConnectionError):
                await writer.drain()


async def _append(audit_log: AuditLog, count: int, body: bytes) -> range:
    payloads = split_request(count, body)
    del body  # not kept while the batch is synced
    return await audit_log.append_encoded_async(payloads)


async def _reply(request: asyncio.Task[range]) -> bytes:
    try:
        return REPLY.pack((await request).start)
    except InvalidInput as exc:
        return error_reply(INVALID, str(exc))
    except Exception as exc:  # the log failed or closed: nothing of it was acknowledged
        return error_reply(FAILED, str(exc))


def _claim(path: Path) -> int:
    """Lock `path` for this service (its `.lock` beside it) and clear a stale socket there.

    Two owners given the same socket path must not take it from each other; the lock file
    stays (removing it would let a third owner lock a different file of the same name).
    """
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise Conflict(f"another audit log service listens on {path}") from None
    if path.is_socket():  # left by an owner that died: the lock is ours now
        path.unlink()
    elif path.exists() or path.is_symlink():
        os.close(fd)
        raise InvalidInput(f"{path} exists and is not a socket")
    return fd


def _bind(path: Path) -> socket.socket:
    """A listening-ready socket at `path`, created with mode 0600 (no window of a wider one)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    previous = os.umask(0o177)
    try:
        sock.bind(os.fsencode(path))
    except BaseException:
        sock.close()
        raise
    finally:
        os.umask(previous)
    return sock


