"""Serving the node's API with uvicorn, bounded against slow and idle clients.

uvicorn closes a keep-alive connection idle between requests (`KEEP_ALIVE` seconds) but sets
no deadline on a request's head: a client that sends its request line and headers a byte a
second (slowloris) holds a connection, and a file descriptor, for as long as it likes. Here
each request's head must be complete `HEAD_TIMEOUT` seconds after its first byte (or after
the connection opened), or the connection is closed. Slow bodies are cut off by the API's
own limits (`cruce.api._limits`).

On SIGTERM (or SIGINT) uvicorn shuts down gracefully and then raises the signal again, for the
process's previous handler; for SIGTERM that is the default, which kills the process before
the node is closed: its log's final head unsigned and its pin in the store not advanced.
`stopping_gracefully` gives SIGTERM a handler that ends serving with an exception instead, so
the caller's `with open_node(...)` closes the node; once stopping, further signals wait.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import h11
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

from cruce.api._limits import MAX_HEAD

HEAD_TIMEOUT = 10.0
KEEP_ALIVE = 5


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for every request head."""

    head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)  # a TCP stream, as uvicorn serves
        super().connection_made(transport)
        self._arm_head_timer()  # a connection that never sends a byte is cut off too

    def data_received(self, data: bytes) -> None:
        if self.head_timer is None and self.conn.their_state is h11.IDLE:
            self._arm_head_timer()  # the first byte of the next request on this connection
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._cancel_head_timer()  # the head is in: the request is the app's now

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _arm_head_timer(self) -> None:
        self.head_timer = self.loop.call_later(HEAD_TIMEOUT, self._head_too_slow)

    def _cancel_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_too_slow(self) -> None:
        self.head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def serve_api(app: FastAPI, host: str, port: int) -> None:
    """Run the API until stopped (SIGINT/SIGTERM)."""
    uvicorn.run(app, host=host, port=port, log_level="warning", http=GuardedH11Protocol,
                timeout_keep_alive=KEEP_ALIVE, h11_max_incomplete_event_size=MAX_HEAD)


class Stopped(Exception):  # noqa: N818 - not an error: the operator stopped the server
    """SIGTERM or SIGINT arrived: the server has stopped serving; close the node."""


@contextmanager
def stopping_gracefully() -> Iterator[None]:
    """While serving, SIGTERM and SIGINT end serving with `Stopped` (raised at once if serving
    had not begun, or by uvicorn's re-raise after its graceful shutdown); from the first
    signal on, both are ignored until the block (the node's close) is done."""
    watched = (signal.SIGTERM, signal.SIGINT)

    def stop(signum: int, frame: FrameType | None) -> None:
        for each in watched:  # the close that follows must not be cut short by a second one
            signal.signal(each, signal.SIG_IGN)
        raise Stopped(signal.Signals(signum).name)

    previous = {each: signal.signal(each, stop) for each in watched}
    try:
        yield
    except Stopped:
        pass  # the block's own `with` closed what it opened on the way out
    finally:
        for each, handler in previous.items():
            signal.signal(each, handler)
