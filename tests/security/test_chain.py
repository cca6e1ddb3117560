"""Erasure, corrections and consents down a chain of three real nodes over HTTP (issue 10
#9, #12, #18): hn_police provides, sv_police passes on to us_border with hn's consent.

Each test failed on the code before: us_border kept what hn erased and never saw hn's
correction; a node without the directory erased with "0 recipients notified" for good; a
refusal after a grant rewrote it, and eight racing answers all got 200.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.nodes._harness import RunningNode, eventually
from tests.security._three_nodes import running_compact

from cruce.share._keys import NodeKeys
from cruce.share._notice import seal_notice

PURPOSE = "gangs_organized_crime"
WHY = {"X-Cruce-Purpose": PURPOSE, "X-Cruce-Case": "HN-2026-0042",
       "X-Cruce-Why": "joint investigation of the Choloma clique"}
AGENCIES = ("hn_police", "sv_police", "us_border")


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, RunningNode]]:
    with running_compact(tmp_path_factory, AGENCIES, "chain") as nodes:
        yield nodes


# -- helpers ------------------------------------------------------------------------------------
def call(node: RunningNode, role: str, method: str, path: str, body: Any = None,
         **headers: str) -> httpx.Response:
    with node.client(role, **headers) as client:
        return client.request(method, path, json=body)


def upload(node: RunningNode, *lines: dict[str, Any]) -> httpx.Response:
    text = "".join(json.dumps(line) + "\n" for line in lines)
    with node.client("analyst", **WHY) as client:
        return client.post("/api/v1/records", content=text.encode("utf-8"),
                           headers={"Content-Type": "application/x-ndjson"})


def suspect(key: str, *aliases: str) -> dict[str, Any]:
    """A GREEN H2 suspect of hn's: shared directly, passed on only with hn's consent."""
    properties: dict[str, list[str]] = {"name": [f"Cadena Persona {key}"]}
    if aliases:
        properties["alias"] = list(aliases)
    return {"id": key, "schema": "Person", "properties": properties,
            "envelope": {"agency": "hn_police", "dataset": "cadena", "purpose": PURPOSE,
                         "handling_code": "H2", "tlp": "GREEN", "source_reliability": "B",
                         "information_accuracy": "2", "retain_until": "2031-01-01",
                         "subject_category": "suspect"}}


def share(node: RunningNode, records: list[str], to: str) -> httpx.Response:
    return call(node, "analyst", "POST", "/api/v1/shares",
                {"records": records, "recipients": [to]}, **WHY)


def record(node: RunningNode, key: str) -> dict[str, Any] | None:
    response = call(node, "analyst", "GET", f"/api/v1/records/{key}", **WHY)
    assert response.status_code in (200, 404), response.text
    return response.json() if response.status_code == 200 else None


def consents(node: RunningNode) -> dict[str, dict[str, Any]]:
    with node.client("analyst") as client:
        return {r["request_id"]: r for r in client.get("/api/v1/consents").json()}


def ask_consent(chain: dict[str, RunningNode], key: str) -> str:
    """sv asks hn to let `key` go on to us_border; returns the request id, once hn has it."""
    hn, sv = chain["hn_police"], chain["sv_police"]
    asked = call(sv, "analyst", "POST", "/api/v1/consents",
                 {"record_id": key, "recipient": "us_border"}, **WHY)
    assert asked.status_code == 200, asked.text
    request_id = str(asked.json()["request_id"])
    eventually(lambda: request_id in consents(hn))
    return request_id


def onward_copy(chain: dict[str, RunningNode], *aliases: str) -> str:
    """A record of hn's held at hn, at sv (direct share) and at us_border (sv's onward share
    under hn's consent)."""
    hn, sv, us = (chain[a] for a in AGENCIES)
    key = f"chain-{uuid.uuid4().hex[:8]}"
    assert upload(hn, suspect(key, *aliases)).status_code == 200
    assert share(hn, [key], "sv_police").status_code == 200
    eventually(lambda: record(sv, key) is not None)
    request_id = ask_consent(chain, key)
    granted = call(hn, "supervisor", "POST", f"/api/v1/consents/{request_id}/grant",
                   {"reason": "for the joint operation"})
    assert granted.status_code == 200, granted.text
    eventually(lambda: consents(sv)[request_id]["status"] == "granted")
    onward = share(sv, [key], "us_border")
    assert onward.status_code == 200, onward.text
    eventually(lambda: record(us, key) is not None)
    return key


# -- finding 12: onward copies are erased and corrected ------------------------------------------
def test_the_providers_erasure_reaches_the_onward_copy(chain: dict[str, RunningNode]) -> None:
    hn, sv, us = (chain[a] for a in AGENCIES)
    key = onward_copy(chain)
    held = record(us, key)
    assert held is not None and held["envelope"]["agency"] == "hn_police"
    erased = call(hn, "supervisor", "POST", "/api/v1/records/erase", {"records": [key]}, **WHY)
    assert erased.status_code == 200, erased.text
    for node in (hn, sv, us):
        eventually(lambda node=node: record(node, key) is None)  # type: ignore[misc]


def test_the_providers_correction_reaches_the_onward_copy(chain: dict[str, RunningNode]) -> None:
    hn, sv, us = (chain[a] for a in AGENCIES)
    key = onward_copy(chain)
    corrected = upload(hn, suspect(key, "El Cadenas"))
    assert corrected.status_code == 200, corrected.text

    def has_alias(node: RunningNode) -> bool:
        copy = record(node, key)
        return copy is not None and "El Cadenas" in copy["properties"].get("alias", [])

    eventually(lambda: has_alias(sv))
    eventually(lambda: has_alias(us))


def test_a_notice_from_a_member_that_never_sent_the_record_erases_nothing(
    chain: dict[str, RunningNode],
) -> None:
    """A notice applies only where its sender provided the record or brought it: us_border,
    a member that holds hn's record but never sent it to sv, cannot erase sv's copy."""
    hn, sv, us = (chain[a] for a in AGENCIES)
    key = onward_copy(chain)
    keys = NodeKeys.load(Path(us.env["CRUCE_KEYS_DIR"]))
    notice = seal_notice(keys, "us_border", "sv_police", [key], "not mine to erase")
    answer = httpx.post(f"{sv.base_url}/api/v1/shares/notices", content=notice, timeout=15)
    assert answer.status_code == 200, answer.text
    assert answer.json()["erased"] == 0
    assert record(sv, key) is not None and record(hn, key) is not None


# -- findings 9 and 18: consent history is append-only, answers do not race -------------------
def test_a_refusal_after_a_grant_is_refused_and_a_revocation_keeps_what_went_out(
    chain: dict[str, RunningNode],
) -> None:
    hn, sv, us = (chain[a] for a in AGENCIES)
    key = onward_copy(chain)
    [request_id] = [i for i, r in consents(hn).items() if r["record_id"] == key]
    refused = call(hn, "supervisor", "POST", f"/api/v1/consents/{request_id}/refuse",
                   {"reason": "changed my mind"})
    assert refused.status_code == 409, refused.text
    assert consents(hn)[request_id]["status"] == "granted"

    revoked = call(hn, "supervisor", "POST", f"/api/v1/consents/{request_id}/revoke",
                   {"reason": "the operation is over"})
    assert revoked.status_code == 200, revoked.text
    assert [e["kind"] for e in consents(hn)[request_id]["history"]] == [
        "requested", "granted", "revoked"]
    eventually(lambda: consents(sv)[request_id]["status"] == "revoked")
    at_sv = consents(sv)[request_id]
    assert [e["kind"] for e in at_sv["history"]] == ["requested", "granted", "revoked"]
    assert [d["record_id"] for d in at_sv["delivered"]] == [key]  # still visible
    again = share(sv, [key], "us_border")
    assert again.status_code == 403, again.text  # the grant no longer counts


def test_eight_racing_answers_one_wins_the_others_get_409(chain: dict[str, RunningNode]) -> None:
    hn, sv = chain["hn_police"], chain["sv_police"]
    key = f"race-{uuid.uuid4().hex[:8]}"
    assert upload(hn, suspect(key)).status_code == 200
    assert share(hn, [key], "sv_police").status_code == 200
    eventually(lambda: record(sv, key) is not None)
    request_id = ask_consent(chain, key)
    statuses: list[int] = []
    start = threading.Barrier(8)

    def answer(verdict: str) -> None:
        start.wait()
        response = call(hn, "supervisor", "POST", f"/api/v1/consents/{request_id}/{verdict}",
                        {"reason": f"{verdict} in the race"})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=answer, args=("grant" if i % 2 else "refuse",))
               for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [409] * 7, statuses
    history = consents(hn)[request_id]["history"]
    assert [e["kind"] for e in history][0] == "requested" and len(history) == 2


# -- finding 9: erasure notices are queued with the erasure, directory or not --------------------
def test_notices_survive_a_kill_and_a_node_without_the_directory(
    chain: dict[str, RunningNode],
) -> None:
    """sv is down: hn erases one record, is killed (-9), restarts without the directory and
    erases another, is killed again; with the directory back and sv up, both notices arrive."""
    hn, sv = chain["hn_police"], chain["sv_police"]
    first, second = (f"kill-{uuid.uuid4().hex[:8]}" for _ in range(2))
    assert upload(hn, suspect(first), suspect(second)).status_code == 200
    assert share(hn, [first, second], "sv_police").status_code == 200
    eventually(lambda: record(sv, first) is not None and record(sv, second) is not None)
    sv.stop()

    erased = call(hn, "supervisor", "POST", "/api/v1/records/erase", {"records": [first]},
                  **WHY)
    assert erased.status_code == 200 and erased.json()["notices"] == 1, erased.text
    hn.stop(kill=True)
    compact = {k: hn.env.pop(k) for k in ("CRUCE_DIRECTORY", "CRUCE_AUTHORITY_KEY")}
    try:
        hn.start()
        erased = call(hn, "supervisor", "POST", "/api/v1/records/erase",
                      {"records": [second]}, **WHY)
        assert erased.status_code == 200, erased.text
        assert erased.json()["erased"] == 1 and erased.json()["notices"] == 1, erased.text
        hn.stop(kill=True)
    finally:
        hn.env.update(compact)
    sv.start()
    hn.start()
    # Tried while sv was down, the notices wait out their back-off (at most a minute here).
    eventually(lambda: record(sv, first) is None and record(sv, second) is None, timeout=180)
