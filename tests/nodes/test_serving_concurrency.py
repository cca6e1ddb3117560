"""One real node over HTTP on 127.0.0.1, on DuckDB and on PostgreSQL, under many requests at once
(issue 13): every concurrent answer is the serial answer and is one consultation in the audit
log, a disabled token is refused at once by whatever serves the next request, and a SIGKILL in
the middle of the load loses no consultation that was answered."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from tests.nodes._harness import RunningNode
from tests.nodes.test_nodes_http import WHY, audit_size, verify_audit_log

CALLERS = 16  # concurrent clients, each with its own connection
ROUNDS = 6  # requests per client


@pytest.fixture(scope="module")
def node(start_nodes: Any) -> RunningNode:
    started: list[RunningNode] = start_nodes("hn_police")
    return started[0]


def search_ids(client: httpx.Client) -> list[str]:
    response = client.get("/api/v1/search", params={"q": "tzul"})
    assert response.status_code == 200, response.text
    return [hit["id"] for hit in response.json()]


def consultations_per_search(node: RunningNode) -> tuple[list[str], int]:
    """The serial answer and how many audit entries one search adds (measured, not assumed)."""
    before = audit_size(node)
    with node.client("analyst", **WHY) as client:
        ids = search_ids(client)
    return ids, audit_size(node) - before


def in_parallel(work: Any, callers: int = CALLERS) -> list[Any]:
    with ThreadPoolExecutor(callers) as pool:
        return list(pool.map(lambda _: work(), range(callers)))


def test_concurrent_searches_and_reads_are_each_right_and_each_logged(node: RunningNode) -> None:
    expected, per_search = consultations_per_search(node)
    assert expected and per_search >= 1
    before = audit_size(node)
    with node.client("analyst", **WHY) as client:
        record = client.get(f"/api/v1/records/{expected[0]}")
    assert record.status_code == 200, record.text
    per_read = audit_size(node) - before
    assert per_read >= 1

    def caller() -> list[Any]:
        answers: list[Any] = []
        with node.client("analyst", **WHY) as client:
            for _ in range(ROUNDS):
                answers.append(search_ids(client))
                read = client.get(f"/api/v1/records/{expected[0]}")
                assert read.status_code == 200, read.text
                answers.append(read.json())
        return answers

    start = audit_size(node)
    results = in_parallel(caller)
    for answers in results:
        assert answers[0::2] == [expected] * ROUNDS
        assert all(a == record.json() for a in answers[1::2])
    assert audit_size(node) - start == CALLERS * ROUNDS * (per_search + per_read)


def test_a_disabled_token_is_refused_at_once_under_load(node: RunningNode) -> None:
    """Callers hammer `/me` with the analyst's token while the admin disables them: every request
    sent after the disable was answered is refused, on fresh connections too (another worker)."""
    disabled = threading.Event()
    late_accepted: list[int] = []

    def caller() -> None:
        with node.client("border_officer") as client:
            for _ in range(40):
                was_disabled = disabled.is_set()
                status = client.get("/api/v1/me").status_code
                if was_disabled and status != 401:
                    late_accepted.append(status)
        for _ in range(4):  # new connections: whichever worker takes them must refuse too
            with node.client("border_officer") as fresh:
                if fresh.get("/api/v1/me").status_code != 401:
                    late_accepted.append(-1)

    threads = [threading.Thread(target=caller) for _ in range(8)]
    for thread in threads:
        thread.start()
    with node.client("admin") as admin:
        done = admin.post("/api/v1/users/user.border_officer/disable")
    assert done.status_code == 200, done.text
    disabled.set()
    for thread in threads:
        thread.join()
    assert late_accepted == []
    with node.client("border_officer") as client:
        assert client.get("/api/v1/me").status_code == 401


def test_a_sigkill_under_load_loses_no_answered_consultation(node: RunningNode) -> None:
    """Searches run while the node is killed: each search that was answered 200 is in the log
    after the restart, and the log verifies."""
    expected, per_search = consultations_per_search(node)
    start = audit_size(node)
    answered = 0
    count = threading.Condition()  # the callers' tally, not the node's
    killed = threading.Event()

    def caller() -> None:
        nonlocal answered
        with node.client("analyst", **WHY) as client:
            while not killed.is_set():
                try:
                    ids = search_ids(client)
                except (httpx.TransportError, AssertionError):
                    return  # the node died under this request: it was not answered
                assert ids == expected
                with count:
                    answered += 1
                    count.notify_all()

    threads = [threading.Thread(target=caller) for _ in range(8)]
    for thread in threads:
        thread.start()
    # Kill once some searches are answered (waited on, not slept for).
    with count:
        assert count.wait_for(lambda: answered >= 20, timeout=60), "no searches answered"
    node.stop(kill=True)
    killed.set()
    for thread in threads:
        thread.join()
    node.start()
    assert audit_size(node) - start >= answered * per_search
    node.stop()
    check = verify_audit_log(node)
    out, _ = check.communicate(timeout=60)
    assert check.returncode == 0, out
