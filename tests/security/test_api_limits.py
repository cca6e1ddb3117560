"""Hostile inputs against a real node process (issue 10 #6, #7, #11): bodies an outsider sends
without a token, slow clients, malformed ingest lines. Memory is the server process's own
resident set (/proc/PID/status VmRSS), sampled while the attack runs."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from tests.nodes._harness import HOST, RunningNode
from tests.security._api_node import api_node, rss_bytes  # noqa: F401  (the fixture)

from cruce.api._serving import HEAD_TIMEOUT

MB = 1024 * 1024
CHUNK = b"x" * MB  # one buffer, sent many times: the test itself holds almost nothing
WHY = {"X-Cruce-Purpose": "gangs_organized_crime", "X-Cruce-Case": "HN-2026-0042"}
# 16 concurrent 50 MB posts took the server from 380 MB to 1.6 GB. Now at most two bodies
# (the node inbox's upload slots) are read at once; the others are refused unread.
CEILING = 320 * MB


def _body(megabytes: int) -> Iterator[bytes]:
    for _ in range(megabytes):
        yield CHUNK


class PeakRss:
    """The highest VmRSS of a process seen while the block runs (sampled continuously)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, rss_bytes(pid), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            self._stop.wait(0.01)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _post_hostile(url: str, declared: bool, statuses: list[int | str]) -> None:
    headers = {"Content-Length": str(50 * MB)} if declared else {}
    try:
        response = httpx.post(url, content=_body(50), headers=headers, timeout=120)
        statuses.append(response.status_code)
    except httpx.TransportError as exc:  # the server answered and closed before the upload ended
        statuses.append(type(exc).__name__)


def test_hostile_bodies_without_a_token_keep_the_server_under_a_memory_ceiling(
    api_node: RunningNode,  # noqa: F811
) -> None:
    assert api_node.process is not None
    with api_node.client("analyst") as client:  # warm up every code path the attack reaches
        for path in ("/api/v1/shares/inbox", "/api/v1/shares/notices", "/api/v1/messages/inbox"):
            client.post(path, content=b"{}")
    baseline = rss_bytes(api_node.process.pid)
    paths = ["/api/v1/shares/inbox", "/api/v1/shares/notices", "/api/v1/messages/inbox",
             "/api/v1/records"]
    statuses: list[int | str] = []
    threads = [threading.Thread(target=_post_hostile, args=(
        api_node.base_url + paths[i % len(paths)], i % 2 == 0, statuses)) for i in range(32)]
    with PeakRss(api_node.process.pid) as rss:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(180)
    grown = rss.peak - baseline
    print(f"\nserver RSS {baseline / MB:.0f} MB -> peak {rss.peak / MB:.0f} MB under 32 hostile "
          f"50 MB posts (grew {grown / MB:.0f} MB); answers {sorted(map(str, statuses))}")
    assert len(statuses) == 32
    assert grown < CEILING, f"the server grew by {grown / MB:.0f} MB"
    assert not [s for s in statuses if isinstance(s, int) and s >= 500], statuses
    with api_node.client("analyst") as client:
        assert client.get("/api/v1/me").status_code == 200


def test_a_client_dribbling_its_request_head_is_cut_off(api_node: RunningNode) -> None:  # noqa: F811
    """Slowloris: a byte a second of a request head that never ends; the server must close
    the connection (waited for, up to a bound well past the head timeout)."""
    with socket.create_connection((HOST, api_node.port), timeout=5) as sock:
        sock.sendall(b"GET /api/v1/me HTTP/1.1\r\nHost: x\r\n")
        closed, sent, deadline = False, 0, time.monotonic() + HEAD_TIMEOUT * 3
        while time.monotonic() < deadline and not closed:
            try:
                sock.sendall(b"X")
                sent += 1
                sock.settimeout(1.0)
                closed = sock.recv(1024) == b""
            except TimeoutError:
                continue
            except OSError:  # reset: closed too
                closed = True
        assert closed, f"still open after {sent} bytes of a request head"


def test_a_connection_that_never_sends_is_cut_off(api_node: RunningNode) -> None:  # noqa: F811
    with (socket.create_connection((HOST, api_node.port), timeout=HEAD_TIMEOUT * 3) as sock,
          contextlib.suppress(ConnectionResetError)):  # reset is closed too
        assert sock.recv(1024) == b""


def test_a_body_that_stops_arriving_is_cut_off_and_frees_its_slot(
    api_node: RunningNode,  # noqa: F811
) -> None:
    token = api_node.tokens["analyst"]
    stalled = []
    for _ in range(3):  # more than the upload slots: each must give its slot back
        sock = socket.create_connection((HOST, api_node.port), timeout=60)
        sock.sendall(b"POST /api/v1/records HTTP/1.1\r\nHost: x\r\n"
                     b"Authorization: Bearer " + token.encode() + b"\r\n"
                     b"X-Cruce-Purpose: gangs_organized_crime\r\nX-Cruce-Case: HN-1\r\n"
                     b"Content-Length: 1000000\r\n\r\n" + b"{" * 1000)
        stalled.append(sock)
    answers = []
    for sock in stalled:
        with sock:
            answers.append(sock.recv(4096).split(b"\r\n", 1)[0])
    assert sorted(answers) == sorted([b"HTTP/1.1 408 Request Timeout"] * 2
                                     + [b"HTTP/1.1 429 Too Many Requests"]), answers
    with api_node.client("analyst", **WHY) as client:
        line = {"id": "ok-1", "schema": "Person", "properties": {"name": ["Ana Tzul"]}}
        answer = client.post("/api/v1/records", content=json.dumps(line).encode() + b"\n")
        assert answer.status_code != 429, answer.text


ENVELOPE = json.dumps({
    "dataset": "uploads", "purpose": "gangs_organized_crime", "handling_code": "H2",
    "tlp": "AMBER", "source_reliability": "B", "information_accuracy": 2,
    "retain_until": "2031-01-01", "subject_category": "suspect"}).encode()


def _line(record_id: bytes, schema: bytes, properties: bytes, envelope: bytes = ENVELOPE) -> bytes:
    return (b'{"id": ' + record_id + b', "schema": "' + schema + b'", "properties": '
            + properties + b', "envelope": ' + envelope + b"}")


BAD_LINES = {
    "invalid UTF-8": _line(b'"b-1"', b"Person", b'{"name": ["\xff\xfe"]}'),
    "nesting 100k deep": _line(b'"b-1"', b"Person", b'{"name": ' + b"[" * 100_000
                               + b"]" * 100_000 + b"}"),
    "a number as a property value": _line(b'"b-1"', b"Person", b'{"name": [42]}'),
    "an object as a property value": _line(b'"b-1"', b"Person", b'{"name": [{"a": 1}]}'),
    "a lone surrogate": _line(b'"b-1"', b"Person", b'{"name": ["\\ud800"]}'),
    "handling_restriction of the wrong type": _line(
        b'"b-1"', b"Person", b'{"name": ["Ana"]}',
        ENVELOPE[:-1] + b', "handling_restriction": ["a", 1]}'),
    "an envelope that is a list": _line(b'"b-1"', b"Person", b'{"name": ["Ana"]}', b"[1, 2]"),
    "an id that is a list": _line(b'["a", "b"]', b"Person", b'{"name": ["Ana"]}'),
    "a 1 MB id": _line(b'"' + b"a" * MB + b'"', b"Person", b'{"name": ["Ana"]}'),
    "the abstract schema Thing": _line(b'"b-1"', b"Thing", b'{"name": ["Ana"]}'),
}


@pytest.mark.parametrize("what", sorted(BAD_LINES))
def test_a_bad_ingest_line_over_http_is_one_400_naming_its_line(
    api_node: RunningNode, what: str,  # noqa: F811
) -> None:
    good = _line(b'"fine-1"', b"Person", b'{"name": ["Eva Mejia"]}') + b"\n"
    with api_node.client("analyst", **WHY) as client:
        answer = client.post("/api/v1/records", content=good + BAD_LINES[what] + b"\n")
    assert answer.status_code == 400, f"{what}: {answer.status_code} {answer.text[:300]}"
    error = answer.json()["error"]
    assert error["status"] == 400 and error["message"].startswith("line 2"), error
    assert "/tmp" not in error["message"] and ".jsonl" not in error["message"], error
