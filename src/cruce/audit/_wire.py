"""The wire format of the log's local service (`_service` serves it, `_client` speaks it).

Big-endian:
    request  u32 event count, u32 body length; body: count times (u32 length, event bytes)
    reply    i64 index of the request's first event, one per request in request order;
             or a negative code (-1 invalid request, -2 the log failed or closed), then u32
             length and a UTF-8 message: none of that request's events was logged

Both ends check the other's uid (SO_PEERCRED): events name records and users.
"""

from __future__ import annotations

import asyncio
import socket
import struct

from cruce.audit._schema import check_encoded
from cruce.errors import InvalidInput

MAX_REQUEST_EVENTS = 65_536
MAX_REQUEST_BYTES = 64 << 20
HEAD = struct.Struct(">II")
LENGTH = struct.Struct(">I")
REPLY = struct.Struct(">q")
INVALID, FAILED = -1, -2


class ProtocolError(Exception):
    """The stream is not in the wire format: the connection is dropped."""


async def read_request(reader: asyncio.StreamReader) -> tuple[int, bytes] | None:
    """The next (event count, body), or None at a clean end of the stream."""
    try:
        head = await reader.readexactly(HEAD.size)
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise ProtocolError("the stream ended inside a request header") from None
        return None
    count, size = HEAD.unpack(head)
    if count > MAX_REQUEST_EVENTS or size > MAX_REQUEST_BYTES:
        raise ProtocolError(f"a request of {count} events and {size} bytes is too large")
    try:
        return count, await reader.readexactly(size)
    except asyncio.IncompleteReadError:
        raise ProtocolError("the stream ended inside a request") from None


def split_request(count: int, body: bytes) -> list[bytes]:
    """A request's events, each checked to be a valid event in canonical form."""
    if count == 0:
        raise InvalidInput("a request holds no events")
    payloads: list[bytes] = []
    position, view = 0, memoryview(body)
    unpack = LENGTH.unpack_from
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


def error_reply(code: int, message: str) -> bytes:
    text = message.encode()
    return REPLY.pack(code) + LENGTH.pack(len(text)) + text


def peer_uid(writer: asyncio.StreamWriter) -> int:
    return socketpeer_uid(writer.get_extra_info("socket"))


def socketpeer_uid(sock: socket.socket) -> int:
    """The uid of the process at the other end (Linux SO_PEERCRED: pid, uid, gid)."""
    credentials = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("iII"))
    uid: int = struct.unpack("iII", credentials)[1]
    return uid
