"""Every input is bounded and typed (issue 10 #6, #7, #11), in-process: body caps checked before
the body is read, tokens before a user's body, uploads at once limited, long headers refused,
search terms that fold to nothing refused, no server path in an error, /me answering while
an ingest holds the store."""

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from cruce import Node
from cruce.api import Users, create_app
from cruce.api._limits import MAX_JSON, MAX_MESSAGE, MAX_NOTICE, SLOTS, USER_UPLOAD

WHY = {"X-Cruce-Purpose": "gangs_organized_crime", "X-Cruce-Case": "HN-2026-0042"}
ROLES = ["analyst", "border_officer", "supervisor", "oversight", "admin"]
ENVELOPE = {"dataset": "uploads", "purpose": "gangs_organized_crime", "handling_code": "H2",
            "tlp": "AMBER", "source_reliability": "B", "information_accuracy": 2,
            "retain_until": "2031-01-01", "subject_category": "suspect"}


def line(record_id: str, properties: dict[str, object], **envelope: object) -> bytes:
    item = {"id": record_id, "schema": "Person", "properties": properties,
            "envelope": ENVELOPE | envelope}
    return (json.dumps(item) + "\n").encode("utf-8")


@pytest.fixture()
def api(tmp_path: Path, agency_dir: Path) -> Iterator[tuple[TestClient, dict[str, str], Node]]:
    node = Node.open(tmp_path / "n.duckdb", agency="hn_police")
    node.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
    users = Users(node.store)
    tokens = {role: users.add(f"user.{role.replace('_', '-')}", role) for role in ROLES}
    with TestClient(create_app(node, every=None), raise_server_exceptions=False) as client:
        yield client, tokens, node
    node.close()


def auth(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def assert_error(response: httpx.Response, status: int, kind: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["status"] == status and error["type"] == kind, error
    return dict(error)


@pytest.mark.parametrize(("path", "cap"), [("/api/v1/shares/notices", MAX_NOTICE),
                                           ("/api/v1/messages/inbox", MAX_MESSAGE),
                                           ("/api/v1/shares", MAX_JSON)])
def test_a_declared_length_over_the_routes_cap_is_refused(api, path: str, cap: int) -> None:
    client, tokens, _ = api
    body = b"x" * (cap + 1)
    error = assert_error(client.post(path, content=body, headers=auth(tokens["analyst"])),
                         413, "ContentTooLarge")
    assert str(cap) in str(error["message"])


def test_a_streamed_body_is_cut_off_at_the_cap(api) -> None:
    client, _, _ = api

    def chunks() -> Iterator[bytes]:
        for _ in range(4):
            yield b"{" * (MAX_MESSAGE // 2)

    assert_error(client.post("/api/v1/messages/inbox", content=chunks()), 413, "ContentTooLarge")


def test_a_body_for_a_users_route_needs_a_token_before_it_is_read(api) -> None:
    client, _, _ = api
    for path in ("/api/v1/records", "/api/v1/shares", "/api/v1/users"):
        assert_error(client.post(path, content=b'{"a": 1}'), 401, "NotAuthenticated")
        assert_error(client.post(path, content=b'{"a": 1}', headers=auth("cruce_forged")),
                     401, "NotAuthenticated")


@pytest.mark.parametrize(("header", "most"), [("X-Cruce-Why", 2000), ("X-Cruce-Case", 64),
                                              ("X-Cruce-Purpose", 64)])
def test_justification_headers_are_bounded(api, header: str, most: int) -> None:
    client, tokens, _ = api
    headers = auth(tokens["analyst"], **WHY) | {header: "a" * (most + 1)}
    error = assert_error(client.get("/api/v1/search?q=tzul", headers=headers), 400,
                         "InvalidInput")
    assert error["message"] == f"{header} is {most + 1} characters: at most {most}"


def test_request_headers_are_bounded_in_all(api) -> None:
    client, tokens, _ = api
    headers = auth(tokens["analyst"]) | {f"X-Filler-{i}": "b" * 1000 for i in range(40)}
    assert_error(client.get("/api/v1/me", headers=headers), 400, "InvalidInput")


@pytest.mark.parametrize("q", ["_", "%00", "%", "%25", "---", "%_%"])
def test_a_search_term_that_folds_to_nothing_is_refused(api, q: str) -> None:
    client, tokens, _ = api
    response = client.get(f"/api/v1/search?q={q}", headers=auth(tokens["analyst"], **WHY))
    if response.status_code == 200:
        assert response.json() == [], f"{q!r} matched {len(response.json())} records"
    else:
        assert_error(response, 400, "InvalidInput")


def test_stats_by_dataset_and_subject_category_are_only_for_consulting_roles(api) -> None:
    client, tokens, _ = api
    for role in ("admin", "border_officer", "oversight"):
        for by in ("subject_category", "dataset", "purpose"):
            assert_error(client.get(f"/api/v1/stats?by={by}", headers=auth(tokens[role])),
                         403, "PermissionDenied")
    for role in ("analyst", "supervisor"):
        answer = client.get("/api/v1/stats?by=subject_category", headers=auth(tokens[role]))
        assert answer.status_code == 200 and answer.json(), answer.text


def test_duplicate_recipients_make_one_package(api) -> None:
    from tests.api._compact import join_compact

    client, tokens, node = api
    join_compact(node)
    rid = str(node.store._query(
        "SELECT id FROM records WHERE search_text LIKE '%tzul%'")[0][0])
    answer = client.post("/api/v1/shares", json={"records": [rid], "recipients": [
        "gt_police", "gt_police"], "deliver": False}, headers=auth(tokens["analyst"], **WHY))
    if answer.status_code != 200:
        assert_error(answer, 400, "InvalidInput")
        return
    outbox = client.get("/api/v1/shares/outbox", headers=auth(tokens["analyst"])).json()
    assert [item["recipient"] for item in outbox] == ["gt_police"], outbox


class HeldIngest:
    """Node.ingest made to wait until released: an ingest that holds the store lock as long
    as a test needs (a 50 MB upload held every request for 6.3 s)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started = threading.Semaphore(0)
        self.release = threading.Event()
        real = Node.ingest

        def held(node: Node, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
            self.started.release()
            assert self.release.wait(30), "never released"
            return real(node, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(Node, "ingest", held)


def _ingest(client: TestClient, token: str, out: list[int]) -> threading.Thread:
    body = line("x-1", {"name": ["Ana Tzul"]}) + b" " * (100 * 1024)  # takes an upload slot

    def post() -> None:
        out.append(client.post("/api/v1/records", content=body,
                               headers=auth(token, **WHY)).status_code)

    thread = threading.Thread(target=post)
    thread.start()
    return thread


def test_me_answers_while_an_ingest_holds_the_store(api, monkeypatch: pytest.MonkeyPatch) -> None:
    client, tokens, _ = api
    held, statuses = HeldIngest(monkeypatch), []
    thread = _ingest(client, tokens["analyst"], statuses)
    try:
        assert held.started.acquire(timeout=30), "the ingest did not start"
        answers: list[httpx.Response] = []
        asking = threading.Thread(target=lambda: answers.append(
            client.get("/api/v1/me", headers=auth(tokens["supervisor"]))))
        asking.start()
        asking.join(15)  # bounded: on a server that waits for the store, it never answers
        assert answers, "/me did not answer while the ingest held the store"
        assert answers[0].status_code == 200 and answers[0].json()["user"] == "user.supervisor"
        assert not statuses, "the ingest was still running"
    finally:
        held.release.set()
        thread.join(30)
    assert statuses == [200]


def test_uploads_past_the_slots_are_refused_with_429(api, monkeypatch: pytest.MonkeyPatch) -> None:
    client, tokens, _ = api
    held, statuses = HeldIngest(monkeypatch), []
    slots = SLOTS[USER_UPLOAD]
    threads = []
    try:
        for _ in range(slots):
            threads.append(_ingest(client, tokens["analyst"], statuses))
        # The first holds the store lock inside ingest; the others wait for it, in their slot.
        assert held.started.acquire(timeout=30)
        extra: list[int] = []
        deadline_thread = _ingest(client, tokens["supervisor"], extra)
        deadline_thread.join(30)
        assert extra == [429]
    finally:
        held.release.set()
        for thread in threads:
            thread.join(30)
    assert statuses == [200] * slots


def test_a_bad_line_is_a_400_naming_line_and_field_without_a_server_path(api) -> None:
    client, tokens, _ = api
    body = line("ok-1", {"name": ["Ana"]}) + line("bad-2", {"name": ["Eva"]},
                                                  purpose="no_such_purpose")
    error = assert_error(client.post("/api/v1/records", content=body,
                                     headers=auth(tokens["analyst"], **WHY)),
                         400, "BadRow")
    message = str(error["message"])
    assert message.startswith("line 2, field "), message
    assert "/tmp" not in message and "upload.jsonl" not in message, message
