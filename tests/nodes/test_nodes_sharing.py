"""Three agency nodes (hn_police, gt_police, sv_police) as real processes on 127.0.0.1, joined
by a signed compact directory, sharing over real HTTP, on DuckDB files and on PostgreSQL.

hn_police holds, besides its export, one person for every TLP label x handling code (and the
victims): the authorisation matrix runs every role against every one of them for every
operation, and checks what each side then holds. Then: forged, altered and replayed packages,
a recipient killed and restarted, corrections and erasure reaching every recipient, H2 onward
sharing locked until the provider's supervisor consents, and a request-for-information thread.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.nodes._harness import ROLES, RunningNode, cruce, eventually
from tests.share.share_support import make_record

from cruce.share import Directory, NodeKeys, seal

AGENCIES = ("hn_police", "gt_police", "sv_police")
PURPOSE = "gangs_organized_crime"
WHY = {"X-Cruce-Purpose": PURPOSE, "X-Cruce-Case": "HN-2026-0042",
       "X-Cruce-Why": "joint investigation of the Choloma clique"}
TLPS = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
CODES = ("H0", "H1", "H2", "H3")
CONSULTING = {"analyst", "supervisor"}


# -- what the rules say, written out from the compact's text (not from cruce's code) ----------
def direct_share_allowed(tlp: str, code: str, category: str) -> bool:
    """The provider itself shares: never a victim (without release), never TLP:RED."""
    del code  # H0-H3 all allow the provider's own, direct share (with conditions)
    return category != "victim" and tlp != "RED"


def onward_share_allowed(tlp: str, code: str, category: str) -> bool:
    """A recipient passes it on: not AMBER/AMBER+STRICT, not H2/H3, without consent."""
    return (direct_share_allowed(tlp, code, category) and tlp in ("CLEAR", "GREEN")
            and code in ("H0", "H1"))


def matrix_lines() -> list[dict[str, Any]]:
    lines = []
    for category in ("suspect", "victim"):
        for tlp in TLPS:
            for code in CODES:
                if category == "victim" and tlp != "RED":
                    continue  # a victim's record is always RED
                key = f"mtx-{category}-{tlp.replace('+', '-').lower()}-{code.lower()}"
                envelope = {"agency": "hn_police", "dataset": "matriz", "purpose": PURPOSE,
                            "handling_code": code, "tlp": tlp, "source_reliability": "B",
                            "information_accuracy": "2", "retain_until": "2031-01-01",
                            "subject_category": category}
                if code == "H3":
                    envelope["handling_restriction"] = "not to be shown to the suspect's family"
                lines.append({"id": key, "schema": "Person",
                              "properties": {"name": [f"Matriz Persona {key}"],
                                             "idNumber": [key.upper()]},
                              "envelope": envelope})
    return lines


@pytest.fixture(scope="module")
def nodes(start_nodes: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, RunningNode]:
    folder = tmp_path_factory.mktemp("matrix")
    matrix = folder / "matriz.jsonl"
    matrix.write_text("".join(json.dumps(line) + "\n" for line in matrix_lines()),
                      encoding="utf-8")
    running = start_nodes(*AGENCIES, extra={"hn_police": [matrix]})
    return {node.agency: node for node in running}


@pytest.fixture(scope="module")
def matrix(nodes: dict[str, RunningNode]) -> dict[str, tuple[str, str, str]]:
    """record id -> (tlp, handling code, subject category), as hn_police holds them."""
    with nodes["hn_police"].client("analyst", **WHY) as client:
        hits = client.get("/api/v1/search", params={"q": "matriz", "limit": 100}).json()
    out = {h["id"]: (h["envelope"]["tlp"], h["envelope"]["handling_code"],
                     h["envelope"]["subject_category"]) for h in hits}
    assert len(out) == len(matrix_lines())
    return out


def call(node: RunningNode, role: str, method: str, path: str, body: Any = None,
         **headers: str) -> httpx.Response:
    with node.client(role, **headers) as client:
        return client.request(method, path, json=body)


def share(node: RunningNode, role: str, records: list[str], to: list[str],
          **extra: Any) -> httpx.Response:
    return call(node, role, "POST", "/api/v1/shares",
                {"records": records, "recipients": to, **extra}, **WHY)


def holds(node: RunningNode, record_id: str) -> bool:
    response = call(node, "analyst", "GET", f"/api/v1/records/{record_id}", **WHY)
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


def assert_denied(response: httpx.Response, status: int, *secrets: str) -> None:
    """The refusal is the error shape only: no record, no name, no id leaks."""
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error"}
    for secret in secrets:
        assert secret.lower() not in response.text.lower()


# -- the authorisation matrix -------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_reading_every_record_by_role(nodes: dict[str, RunningNode],
                                      matrix: dict[str, tuple[str, str, str]], role: str) -> None:
    hn = nodes["hn_police"]
    for record_id in matrix:
        response = call(hn, role, "GET", f"/api/v1/records/{record_id}", **WHY)
        if role in CONSULTING:
            assert response.status_code == 200, response.text
            assert response.json()["id"] == record_id
        else:
            assert_denied(response, 403, "Matriz Persona")


@pytest.mark.parametrize("role", ROLES)
def test_direct_and_onward_shares_by_role_tlp_and_handling_code(
    nodes: dict[str, RunningNode], matrix: dict[str, tuple[str, str, str]], role: str,
) -> None:
    hn, gt, sv = (nodes[a] for a in AGENCIES)
    ids = sorted(matrix)
    response = share(hn, role, ids, ["gt_police"])
    if role not in CONSULTING:
        assert_denied(response, 403, "Matriz Persona")
        return
    assert response.status_code == 200, response.text
    done = response.json()
    sent = set(done["sent"]["gt_police"])
    assert sent == {i for i, v in matrix.items() if direct_share_allowed(*v)}
    refused = done["refused"]["gt_police"]
    for record_id, (_, _, category) in matrix.items():
        if record_id in refused:
            assert ("victim" if category == "victim" else "TLP:RED") in refused[record_id]
    assert done["delivery"]["failed"] == 0  # (the outbox loop may have delivered it first)
    for record_id in ids:  # the recipient holds exactly what the rules let through
        assert holds(gt, record_id) == (record_id in sent)

    # gt passes on what it received, to sv: only CLEAR/GREEN with H0/H1 go without consent.
    onward = share(gt, role, sorted(sent), ["sv_police"])
    assert onward.status_code == 200, onward.text
    passed = set(onward.json()["sent"]["sv_police"])
    assert passed == {i for i in sent if onward_share_allowed(*matrix[i])}
    for record_id in sent - passed:
        reason = onward.json()["refused"]["sv_police"][record_id]
        assert "consent" in reason
    for record_id in ids:
        assert holds(sv, record_id) == (record_id in passed)


def test_a_share_for_another_purpose_is_refused_for_every_record(
    nodes: dict[str, RunningNode], matrix: dict[str, tuple[str, str, str]],
) -> None:
    hn = nodes["hn_police"]
    response = call(hn, "analyst", "POST", "/api/v1/shares",
                    {"records": sorted(matrix), "recipients": ["sv_police"]},
                    **{**WHY, "X-Cruce-Purpose": "border_security"})
    assert_denied(response, 403, "Matriz Persona")
    assert "purpose limitation" in response.json()["error"]["message"]


@pytest.mark.parametrize("role", ROLES)
def test_victims_go_only_with_a_supervisors_release(
    nodes: dict[str, RunningNode], matrix: dict[str, tuple[str, str, str]], role: str,
) -> None:
    hn, gt = nodes["hn_police"], nodes["gt_police"]
    victims = sorted(i for i, v in matrix.items() if v[2] == "victim")
    response = share(hn, role, victims, ["gt_police"],
                     release="victim identification requested by PNC Guatemala, case GT-77")
    if role != "supervisor":
        assert_denied(response, 403, "Matriz Persona")
        return
    assert response.status_code == 200, response.text
    assert set(response.json()["sent"]["gt_police"]) == set(victims)
    assert all(holds(gt, v) for v in victims)
    # A released victim record is never passed on, whatever anyone asks.
    onward = share(gt, "supervisor", victims, ["sv_police"], release="onward")
    assert_denied(onward, 403)
    with hn.client("oversight", **WHY) as client:
        events = client.get("/api/v1/audit/who-saw/" + victims[0]).json()
    released = [e for e in events if e["op"] == "disclosure" and "released" in e["details"]]
    assert released and released[-1]["details"]["released"]["by"] == "user.supervisor"


def test_without_a_release_no_role_shares_a_victim(
    nodes: dict[str, RunningNode], matrix: dict[str, tuple[str, str, str]],
) -> None:
    hn = nodes["hn_police"]
    victim = next(i for i, v in matrix.items() if v[2] == "victim")
    for role in ("analyst", "supervisor"):
        response = share(hn, role, [victim], ["sv_police"])
        assert_denied(response, 403, "Matriz Persona")
        assert "victim" in response.json()["error"]["message"]


OPERATIONS: dict[str, tuple[str, str, Any, set[str], int]] = {
    # name: (method, path, body, roles allowed, status for an allowed role)
    "stats": ("GET", "/api/v1/stats", None, set(ROLES), 200),
    "search": ("GET", "/api/v1/search?q=matriz", None, CONSULTING, 200),
    "request": ("POST", "/api/v1/messages",
                {"to": "gt_police", "subject": "Matrix check", "text": "Do you know him?"},
                CONSULTING, 200),
    "threads": ("GET", "/api/v1/messages", None, CONSULTING, 200),
    "consents": ("GET", "/api/v1/consents", None, CONSULTING, 200),
    "grant": ("POST", f"/api/v1/consents/{uuid.uuid4()}/grant", {"reason": ""},
              {"supervisor"}, 404),
    "erase": ("POST", "/api/v1/records/erase", {"records": ["no-such-record"]},
              {"supervisor"}, 404),
    "received": ("GET", "/api/v1/shares/received", None, CONSULTING, 200),
    "audit-head": ("GET", "/api/v1/audit/head", None, {"oversight"}, 200),
    "audit-events": ("GET", "/api/v1/audit/events?limit=5", None, {"oversight"}, 200),
    "who-saw": ("GET", "/api/v1/audit/who-saw/mtx-suspect-green-h0", None, {"oversight"}, 200),
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@pytest.mark.parametrize("role", ROLES)
def test_every_role_against_every_other_operation(
    nodes: dict[str, RunningNode], role: str, operation: str,
) -> None:
    method, path, body, allowed, status = OPERATIONS[operation]
    response = call(nodes["hn_police"], role, method, path, body, **WHY)
    if role in allowed:
        assert response.status_code == status, response.text
    else:
        assert_denied(response, 403, "Matriz Persona", "mtx-")


# -- packages from outside ------------------------------------------------------------------------
def compact_keys(node: RunningNode) -> tuple[NodeKeys, Directory]:
    from cruce._node import authority_key

    keys = NodeKeys.load_or_generate(Path(node.env["CRUCE_KEYS_DIR"]))
    directory = Directory.load(Path(node.env["CRUCE_DIRECTORY"]),
                               authority_key(Path(node.env["CRUCE_AUTHORITY_KEY"])))
    return keys, directory


def post_package(node: RunningNode, data: bytes) -> httpx.Response:
    return httpx.post(f"{node.base_url}/api/v1/shares/inbox", content=data, timeout=15)


def test_forged_altered_and_replayed_packages_are_rejected(nodes: dict[str, RunningNode]) -> None:
    hn, gt = nodes["hn_police"], nodes["gt_police"]
    keys, directory = compact_keys(hn)
    gt_member = directory.member("gt_police")
    tag = uuid.uuid4().hex[:8]

    def package(signer: NodeKeys, record_id: str) -> bytes:
        record = make_record(record_id, name="Paquete Prueba", tlp="GREEN", handling_code="H0")
        return seal([record], signer, "hn_police", [gt_member], uuid.uuid4(), datetime.now(UTC))

    genuine = package(keys, f"pkg-genuine-{tag}")
    assert post_package(gt, genuine).json()["status"] == "received"
    replay = post_package(gt, genuine)
    assert replay.status_code == 200 and replay.json() == {
        "status": "already received", "share_id": None, "records": 0}

    forged = package(NodeKeys.generate(), f"pkg-forged-{tag}")  # not hn_police's key
    altered = bytearray(package(keys, f"pkg-altered-{tag}"))
    altered[len(altered) // 2] ^= 0x01
    for bad in (forged, bytes(altered), genuine[:-1], b"not a package"):
        response = post_package(gt, bad)
        assert 400 <= response.status_code < 500, response.text
        assert set(response.json()) == {"error"}
    assert holds(gt, f"pkg-genuine-{tag}")
    assert not holds(gt, f"pkg-forged-{tag}") and not holds(gt, f"pkg-altered-{tag}")
    with gt.client("analyst") as client:
        received = client.get("/api/v1/shares/received").json()
    assert sum(1 for r in received if r["records"] == 1 and r["sender"] == "hn_police") >= 1


# -- corrections, erasure, consent, requests ------------------------------------------------------
def test_corrections_and_erasure_reach_every_recipient_and_both_audit_logs(
    nodes: dict[str, RunningNode],
) -> None:
    hn, gt, sv = (nodes[a] for a in AGENCIES)
    key = f"corr-{uuid.uuid4().hex[:8]}"
    line = matrix_lines()[1] | {"id": key}
    line["properties"] = {"name": ["Corregir Nombre Uno"]}
    upload = call_raw(hn, "analyst", "/api/v1/records", json.dumps(line) + "\n")
    assert upload.status_code == 200, upload.text
    done = share(hn, "analyst", [key], ["gt_police", "sv_police"]).json()
    assert set(done["sent"]) == {"gt_police", "sv_police"}

    line["properties"] = {"name": ["Corregido Nombre Dos"]}
    upload = call_raw(hn, "analyst", "/api/v1/records", json.dumps(line) + "\n")
    assert upload.status_code == 200, upload.text
    assert upload.json()["updated"] == 1
    assert upload.json()["corrections"] == {"corrected": 1, "recipients": 2}
    for node in (gt, sv):
        record = call(node, "analyst", "GET", f"/api/v1/records/{key}", **WHY).json()
        assert record["properties"]["name"] == ["Corregido Nombre Dos"]

    erased = call(hn, "supervisor", "POST", "/api/v1/records/erase", {"records": [key]}, **WHY)
    assert erased.status_code == 200, erased.text
    assert erased.json()["erased"] == 1 and erased.json()["notices"] == 2
    for node in (hn, gt, sv):
        eventually(lambda node=node: not holds(node, key))  # type: ignore[misc]
        with node.client("oversight", **WHY) as client:
            events = client.get("/api/v1/audit/events", params={"limit": 10000}).json()
        erasures = [e for e in events if e["op"] == "erasure" and key in e["record_ids"]]
        assert len(erasures) == 1, (node.agency, erasures)
        assert "Corregido" not in json.dumps(erasures)  # names the id, never the content


def call_raw(node: RunningNode, role: str, path: str, text: str) -> httpx.Response:
    with node.client(role, **WHY) as client:
        return client.post(path, content=text.encode("utf-8"),
                           headers={"Content-Type": "application/x-ndjson"})


def consent_rows(node: RunningNode) -> dict[str, dict[str, Any]]:
    with node.client("analyst") as client:
        return {r["request_id"]: r for r in client.get("/api/v1/consents").json()}


def test_h2_onward_sharing_is_refused_until_the_provider_consents(
    nodes: dict[str, RunningNode], matrix: dict[str, tuple[str, str, str]],
) -> None:
    hn, gt, sv = (nodes[a] for a in AGENCIES)
    h2 = sorted(i for i, v in matrix.items() if v == ("GREEN", "H2", "suspect"))[0]
    h2_other = sorted(i for i, v in matrix.items() if v == ("CLEAR", "H2", "suspect"))[0]
    assert share(hn, "analyst", [h2, h2_other], ["gt_police"]).status_code == 200
    refused = share(gt, "analyst", [h2], ["sv_police"])
    assert_denied(refused, 403, "Matriz Persona")
    assert "H2" in refused.json()["error"]["message"]

    asked = call(gt, "analyst", "POST", "/api/v1/consents",
                 {"record_id": h2, "recipient": "sv_police"}, **WHY)
    assert asked.status_code == 200, asked.text
    request_id = asked.json()["request_id"]
    assert asked.json()["provider"] == "hn_police"
    asked_other = call(gt, "analyst", "POST", "/api/v1/consents",
                       {"record_id": h2_other, "recipient": "sv_police"}, **WHY).json()

    assert consent_rows(hn)[request_id]["status"] == "pending"  # arrived at the provider
    assert_denied(share(gt, "analyst", [h2], ["sv_police"]), 403)  # still locked
    not_supervisor = call(hn, "analyst", "POST", f"/api/v1/consents/{request_id}/grant",
                          {"reason": ""})
    assert_denied(not_supervisor, 403)
    wrong_side = call(gt, "supervisor", "POST", f"/api/v1/consents/{request_id}/grant",
                      {"reason": "I grant myself"})
    assert_denied(wrong_side, 403)  # only the provider answers
    granted = call(hn, "supervisor", "POST", f"/api/v1/consents/{request_id}/grant",
                   {"reason": "for the joint operation only"})
    assert granted.status_code == 200, granted.text
    refused_other = call(hn, "supervisor", "POST",
                         f"/api/v1/consents/{asked_other['request_id']}/refuse",
                         {"reason": "source protection"})
    assert refused_other.status_code == 200, refused_other.text

    eventually(lambda: consent_rows(gt)[request_id]["status"] == "granted")
    assert consent_rows(gt)[asked_other["request_id"]]["status"] == "refused"
    onward = share(gt, "analyst", [h2], ["sv_police"])
    assert onward.status_code == 200, onward.text
    assert onward.json()["sent"] == {"sv_police": [h2]}
    assert holds(sv, h2)
    still = share(gt, "analyst", [h2_other], ["sv_police"])
    assert_denied(still, 403)
    assert "consent does not count: it was refused" in still.json()["error"]["message"]
    # The consent is for sv_police and this purpose only.
    assert_denied(call(gt, "analyst", "POST", "/api/v1/shares",
                       {"records": [h2], "recipients": ["sv_police"]},
                       **{**WHY, "X-Cruce-Purpose": "intelligence"}), 403)


def test_a_request_for_information_thread_between_two_agencies(
    nodes: dict[str, RunningNode],
) -> None:
    hn, gt = nodes["hn_police"], nodes["gt_police"]
    deadline = (date.today() + timedelta(days=3)).isoformat()
    opened = call(hn, "analyst", "POST", "/api/v1/messages",
                  {"to": "gt_police", "subject": "Alias El Flaco", "priority": "urgent",
                   "deadline": deadline, "text": "Do you hold a José Luis Hernández García?"},
                  **WHY)
    assert opened.status_code == 200, opened.text
    thread = opened.json()["thread_id"]
    assert_denied(call(gt, "analyst", "GET", "/api/v1/messages"), 400)  # listing is justified
    with gt.client("analyst", **WHY) as client:
        listed = {t["thread_id"]: t for t in client.get("/api/v1/messages").json()}
    assert listed[thread]["status"] == "open" and listed[thread]["priority"] == "urgent"
    assert listed[thread]["requester"] == "hn_police"
    assert listed[thread]["case_reference"] == "HN-2026-0042"
    assert listed[thread]["deadline"] == deadline
    no_why = call(gt, "analyst", "GET", f"/api/v1/messages/{thread}")
    assert_denied(no_why, 400, "Flaco")  # reading a thread is a justified consultation

    replied = call(gt, "analyst", "POST", f"/api/v1/messages/{thread}/reply",
                   {"text": "Yes: one record, shared with you now.", "share_ids": ["s-1"]})
    assert replied.status_code == 200, replied.text
    seen = call(hn, "analyst", "GET", f"/api/v1/messages/{thread}", **WHY).json()
    assert seen["status"] == "answered"
    assert [(m["kind"], m["sender"]) for m in seen["messages"]] == [
        ("request", "hn_police"), ("reply", "gt_police")]
    assert seen["messages"][1]["share_ids"] == ["s-1"]

    assert_denied(call(gt, "analyst", "POST", f"/api/v1/messages/{thread}/close", {}), 403)
    closed = call(hn, "analyst", "POST", f"/api/v1/messages/{thread}/close",
                  {"reason": "identified"})
    assert closed.status_code == 200, closed.text
    eventually(lambda: call(gt, "analyst", "GET", f"/api/v1/messages/{thread}",
                            **WHY).json()["status"] == "closed")
    late = call(gt, "analyst", "POST", f"/api/v1/messages/{thread}/reply", {"text": "more"})
    assert_denied(late, 409)


def test_the_cli_sends_and_answers_requests_through_the_node(
    nodes: dict[str, RunningNode],
) -> None:
    hn, gt = nodes["hn_police"], nodes["gt_police"]

    def run(node: RunningNode, role: str, *args: str) -> str:
        env = {**node.env, "CRUCE_NODE": node.base_url, "CRUCE_TOKEN": node.tokens[role],
               "CRUCE_PURPOSE": PURPOSE, "CRUCE_CASE": "HN-2026-0042", "COLUMNS": "250"}
        return cruce(*args, env=env)

    out = run(hn, "analyst", "request", "send", "--to", "gt_police", "--subject",
              "Vehicle P-123", "--text", "Owner of plate P-123?", "--priority", "high")
    thread = out.split()[1]
    assert thread in run(gt, "analyst", "request", "list", "--status", "open")
    run(gt, "supervisor", "request", "reply", thread, "--text", "Registered to a company")
    shown = run(hn, "analyst", "request", "show", thread)
    assert "Registered to a company" in shown and "answered" in shown
    denied = run_failing(gt, "oversight", "request", "list")
    assert "oversight role may not" in denied


def test_cruce_share_through_the_running_node_and_a_supervisors_release(
    nodes: dict[str, RunningNode], matrix: dict[str, tuple[str, str, str]],
) -> None:
    hn, gt = nodes["hn_police"], nodes["gt_police"]
    green = sorted(i for i, v in matrix.items() if v == ("GREEN", "H0", "suspect"))[0]
    victim = sorted(i for i, v in matrix.items() if v[2] == "victim")[0]
    env = {**hn.env, "CRUCE_NODE": hn.base_url, "CRUCE_PURPOSE": PURPOSE,
           "CRUCE_CASE": "HN-2026-0042", "COLUMNS": "250"}
    out = cruce("share", green, victim, "--to", "gt_police",
                env={**env, "CRUCE_TOKEN": hn.tokens["analyst"]})
    assert "gt_police: 1 records in share" in out and f"refused {victim}" in out
    out = cruce("share", victim, "--to", "gt_police", "--release", "identification, GT-77",
                env={**env, "CRUCE_TOKEN": hn.tokens["supervisor"]})
    assert "gt_police: 1 records in share" in out
    assert holds(gt, green) and holds(gt, victim)


def run_failing(node: RunningNode, role: str, *args: str) -> str:
    import subprocess
    import sys

    env = {**node.env, "CRUCE_NODE": node.base_url, "CRUCE_TOKEN": node.tokens[role],
           "CRUCE_PURPOSE": PURPOSE, "CRUCE_CASE": "HN-2026-0042"}
    done = subprocess.run([sys.executable, "-m", "cruce", *args], capture_output=True,
                          text=True, env=env, timeout=60, check=False)
    assert done.returncode != 0
    return done.stderr


def test_a_recipient_killed_and_restarted_gets_its_share_exactly_once(
    nodes: dict[str, RunningNode], matrix: dict[str, tuple[str, str, str]],
) -> None:
    hn, sv = nodes["hn_police"], nodes["sv_police"]
    record = sorted(i for i, v in matrix.items() if v == ("AMBER", "H1", "suspect"))[0]
    sv.stop(kill=True)
    done = share(hn, "analyst", [record], ["sv_police"])
    assert done.status_code == 200, done.text
    share_id = done.json()["share_ids"]["sv_police"][0]
    assert done.json()["delivery"]["failed"] >= 1  # sv is down: the package waits
    sv.start()
    # hn's outbox loop retries on its own, backing off (each wait half as long again as the
    # last: at most about half the time sv was down, plus a round); sv keeps the share once.
    with sv.client("analyst") as client:
        eventually(lambda: any(r["share_id"] == share_id
                               for r in client.get("/api/v1/shares/received").json()), 90)
        # Delivered only once hn holds sv's receipt: from then on no round sends it again, and
        # sv, which may have taken it more than once before, keeps it once.
        with hn.client("analyst") as sender:
            eventually(lambda: any(
                e["id"] == share_id and e["state"] == "delivered" and e["receipt"]
                for e in sender.get("/api/v1/shares/outbox").json()), 90)
        received = [r for r in client.get("/api/v1/shares/received").json()
                    if r["share_id"] == share_id]
    assert len(received) == 1 and received[0]["records"] == 1
    assert holds(sv, record)
