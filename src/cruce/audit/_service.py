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
log at a time (a lock beside it).

Wire format, big-endian:
    request  u32 event count, u32 body length; body: count times (u32 length, event bytes)
    reply    i64 index of the request's first event, one per request in request order;
             or a negative code (-1 invalid request, -2 the log failed or closed), then u32
             length and a UTF-8 message: none of that request's events was logged
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import socket
import struct
from collections import deque
from collections.abc import Sequence
from pathlib import Path

from cruce.audit._events import AccessEvent
from cruce.audit._files import MAX_ENTRY_BYTES
from cruce.audit._log import AuditLog
from cruce.audit._schema import check_encoded
from cruce.errors import Conflict, CruceError, InvalidInput

log = logging.getLogger(__name__)

SOCKET_FILE = "append.sock"
MAX_REQUEST_EVENTS = 65_536
MAX_REQUEST_BYTES = 64 << 20
MAX_IN_FLIGHT = 64  # requests per connection waiting in the owner before it stops reading
MAX_IN_FLIGHT_BYTES = 128 << 20
_HEAD = struct.Struct(">II")
_LENGTH = struct.Struct(">I")
_REPLY = struct.Struct(">q")
_INVALID, _FAILED = -1, -2
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
        if _peer_uid(writer) != os.getuid():
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
            if not isinstance(exc, ConnectionError | _ProtocolError):
                log.error("audit log service: reading a connection failed", exc_info=exc)
            log.warning("audit log service: dropped a connection (%s)", exc)
        self._ended = True
        self._arrived.set()
        try:
            await answering  # every request received is answered before hanging up
        finally:
            self.writer.close()

    def stop_reading(self) -> None:
        if self._reading is not None:
            self._reading.cancel()  # a request read in part is neither logged nor answered

    def abort(self) -> None:
        self.writer.transport.abort()

    async def _read(self) -> None:
        while (request := await _read_request(self.reader)) is not None:
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


class _ProtocolError(Exception):
    pass


async def _read_request(reader: asyncio.StreamReader) -> tuple[int, bytes] | None:
    """The next (event count, body), or None at a clean end of the stream."""
    try:
        head = await reader.readexactly(_HEAD.size)
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise _ProtocolError("the stream ended inside a request header") from None
        return None
    count, size = _HEAD.unpack(head)
    if count > MAX_REQUEST_EVENTS or size > MAX_REQUEST_BYTES:
        raise _ProtocolError(f"a request of {count} events and {size} bytes is too large")
    try:
        return count, await reader.readexactly(size)
    except asyncio.IncompleteReadError:
        raise _ProtocolError("the stream ended inside a request") from None


async def _append(audit_log: AuditLog, count: int, body: bytes) -> range:
    payloads = _split(count, body)
    del body  # not kept while the batch is synced
    return await audit_log.append_encoded_async(payloads)


def _split(count: int, body: bytes) -> list[bytes]:
    if count == 0:
        raise InvalidInput("a request holds no events")
    payloads: list[bytes] = []
    position, view = 0, memoryview(body)
    unpack = _LENGTH.unpack_from
    for _ in range(count):
        if position + 4 > len(body):
            raise InvalidInput("the request body ends before its last event")
        (length,) = unpack(body, position)
        position += 4
        if position + length > len(body):
            raise InvalidInput("the request body ends inside its last event")
        payload = bytes(view[position : position + length])
        try:
            check_encoded(payload)
        except InvalidInput as exc:
            number = len(payloads) + 1
            raise InvalidInput(
                f"event {number} of the request is not a valid audit event ({exc.message}); "
                "nothing of the request was logged"
            ) from None
        payloads.append(payload)
        position += length
    if position != len(body):
        raise InvalidInput("the request body's event lengths do not add up to its length")
    return payloads


async def _reply(request: asyncio.Task[range]) -> bytes:
    try:
        return _REPLY.pack((await request).start)
    except InvalidInput as exc:
        return _error(_INVALID, str(exc))
    except Exception as exc:  # the log failed or closed: nothing of it was acknowledged
        return _error(_FAILED, str(exc))


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


def _error(code: int, message: str) -> bytes:
    text = message.encode()
    return _REPLY.pack(code) + _LENGTH.pack(len(text)) + text


def _peer_uid(writer: asyncio.StreamWriter) -> int:
    return _socket_peer_uid(writer.get_extra_info("socket"))


def _socket_peer_uid(sock: socket.socket) -> int:
    """The uid of the process at the other end (Linux SO_PEERCRED: pid, uid, gid)."""
    credentials = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("iII"))
    uid: int = struct.unpack("iII", credentials)[1]
    return uid


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
        if _peer_uid(writer) != os.getuid():
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
        pack = _LENGTH.pack
        for payload in payloads:
            parts.append(pack(len(payload)))
            parts.append(payload)
        parts[0] = _HEAD.pack(len(payloads), sum(map(len, parts)))
        self._sent.append(waiters)
        self._writer.write(b"".join(parts))

    async def _read_replies(self) -> None:
        reader = self._reader
        try:
            while True:
                (first,) = _REPLY.unpack(await reader.readexactly(_REPLY.size))
                waiters = self._sent.popleft()
                if first >= 0:
                    for future, position in waiters:
                        if not future.done():
                            future.set_result(first + position)
                    continue
                (length,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
                message = (await reader.readexactly(length)).decode()
                _fail(waiters, InvalidInput if first == _INVALID else CruceError, message)
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
