"""Two nodes sharing through their APIs (in-process): the rules decide on the server, the
recipient keeps each share exactly once, and both audit logs hold their side."""

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from tests.share.share_support import make_record

from cruce import Node
from cruce.api import Users, create_app
from cruce.share import Directory, Member, NodeKeys, seal

WHY = {"X-Cruce-Purpose": "gangs_organized_crime", "X-Cruce-Case": "HN-2026-0042",
       "X-Cruce-Why": "joint investigation with PNC Guatemala"}


@dataclass
class Pair:
    hn: Node
    gt: Node
    hn_client: TestClient
    gt_client: TestClient
    token: str
    down: list[bool]
    foreign: NodeKeys
    post: Callable[[str, bytes], httpx.Response]  # hn's transport to gt's inbox


def member(agency: str, country: str, keys: NodeKeys) -> Member:
    now = datetime.now(UTC)
    pub = keys.public()
    return Member(agency, country, f"http://{agency}.test/", pub.signing, pub.encryption,
                  now - timedelta(days=1), now + timedelta(days=365))


@pytest.fixture()
def pair(tmp_path: Path, agency_dir: Path) -> Iterator[Pair]:
    authority = Ed25519PrivateKey.generate()
    keys = {a: NodeKeys.generate() for a in ("hn_police", "gt_police")}
    signed = Directory.sign([member("hn_police", "HN", keys["hn_police"]),
                             member("gt_police", "GT", keys["gt_police"])],
                            authority, serial=1, issued_at=datetime.now(UTC))
    directory = Directory.load(signed, authority.public_key())
    hn = Node.open(tmp_path / "hn.duckdb", agency="hn_police", user="setup")
    gt = Node.open(tmp_path / "gt.duckdb", agency="gt_police", user="setup")
    hn.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
    hn.configure_sharing(keys["hn_police"], directory)
    gt.configure_sharing(keys["gt_police"], directory)
    down = [False]
    gt_client = TestClient(create_app(gt), raise_server_exceptions=False)

    def post(url: str, body: bytes) -> httpx.Response:
        if down[0]:
            raise ConnectionError("gt_police node is down")
        assert url == "http://gt_police.test/api/v1/shares/inbox"
        return gt_client.post("/api/v1/shares/inbox", content=body)

    hn_client = TestClient(create_app(hn, post=post), raise_server_exceptions=False)
    token = Users(hn.store).add("ana.analyst", "analyst")
    yield Pair(hn, gt, hn_client, gt_client, token, down, NodeKeys.generate(), post)
    hn.close()
    gt.close()


def ids(node: Node, *words: str) -> list[str]:
    return [str(node.store._query("SELECT id FROM records WHERE schema = 'Person' AND "
                                  "search_text LIKE ?", (f"%{w}%",))[0][0]) for w in words]


def share(p: Pair, records: list[str]) -> dict:
    response = p.hn_client.post("/api/v1/shares", headers={"Authorization": f"Bearer {p.token}", **WHY},
                                json={"records": records, "recipients": ["gt_police"]})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_share_reaches_the_recipient_with_its_envelope_and_victims_stay_home(pair: Pair) -> None:
    suspect, victim = ids(pair.hn, "tzul", "lopez de hernandez")
    result = share(pair, [suspect, victim])
    assert result["sent"] == {"gt_police": [suspect]}
    assert "victim" in result["refused"]["gt_police"][victim].lower()
    assert result["delivery"] == {"delivered": 1, "failed": 0, "refused": 0}
    [row] = pair.gt.store._query("SELECT agency, handling_code, tlp, subject_category FROM records")
    assert row == ("hn_police", "H2", "AMBER", "witness"), "the original envelope travels"
    assert not pair.gt.store._query("SELECT 1 FROM records WHERE id = ?", (victim,))


def test_both_audit_logs_hold_their_side_of_the_transfer(pair: Pair) -> None:
    [suspect] = ids(pair.hn, "tzul")
    result = share(pair, [suspect])
    sent = [e.event for e in pair.hn.audit.iter_events() if e.event["op"] == "disclosure"]
    assert len(sent) == 1 and sent[0]["recipients"] == ["gt_police"] and sent[0]["record_ids"] == [suspect]
    assert sent[0]["justification"]["case_reference"] == "HN-2026-0042"
    got = [e.event for e in pair.gt.audit.iter_events() if e.event["op"] == "collection"]
    assert got[0]["details"]["received_from"] == "hn_police"
    assert [got[0]["details"]["share_id"]] == result["share_ids"]["gt_police"]


def test_a_recipient_that_is_down_gets_the_share_exactly_once_when_it_returns(pair: Pair) -> None:
    [suspect] = ids(pair.hn, "tzul")
    pair.down[0] = True
    result = share(pair, [suspect])
    assert result["delivery"] == {"delivered": 0, "failed": 1, "refused": 0}
    [waiting] = pair.hn.sharing.outbox()
    assert (waiting.attempts, waiting.state) == (1, "waiting") and "down" in str(waiting.last_error)
    pair.down[0] = False
    assert pair.hn.sharing.deliver(lambda url, body: pair.gt_client.post(
        "/api/v1/shares/inbox", content=body)) == {"delivered": 1, "failed": 0, "refused": 0}
    assert pair.hn.sharing.deliver(lambda url, body: 500) == {"delivered": 0, "failed": 0, "refused": 0}
    assert pair.gt.store.count() == 1 and len(pair.gt.sharing.inbox()) == 1


def test_a_replayed_package_is_kept_only_once(pair: Pair) -> None:
    [suspect] = ids(pair.hn, "tzul")
    pair.down[0] = True
    share(pair, [suspect])
    package = __import__("base64").b64decode(pair.hn.store._query("SELECT package FROM outbox")[0][0])
    first = pair.gt_client.post("/api/v1/shares/inbox", content=package).json()
    again = pair.gt_client.post("/api/v1/shares/inbox", content=package).json()
    assert (first["status"], again["status"]) == ("received", "already received")
    assert pair.gt.store.count() == 1


def test_forged_and_altered_packages_are_rejected_with_the_error_shape(pair: Pair) -> None:
    record = make_record("x-1", tlp="GREEN")
    gt = pair.gt.sharing.directory.member("gt_police")
    forged = seal([record], pair.foreign, "hn_police", [gt], "00000000-0000-4000-8000-000000000001",
                  datetime.now(UTC))
    response = pair.gt_client.post("/api/v1/shares/inbox", content=forged)
    assert response.status_code == 422
    assert response.json()["error"]["type"] == "SignatureInvalid"
    [suspect] = ids(pair.hn, "tzul")
    pair.down[0] = True
    share(pair, [suspect])
    package = bytearray(__import__("base64").b64decode(pair.hn.store._query("SELECT package FROM outbox")[0][0]))
    package[len(package) // 2] ^= 0x01
    response = pair.gt_client.post("/api/v1/shares/inbox", content=bytes(package))
    assert response.status_code == 422 and pair.gt.store.count() == 0


def test_only_consulting_roles_may_share(pair: Pair) -> None:
    token = Users(pair.hn.store).add("bo.officer", "border_officer")
    response = pair.hn_client.post("/api/v1/shares", headers={"Authorization": f"Bearer {token}", **WHY},
                                   json={"records": ["x"], "recipients": ["gt_police"]})
    assert response.status_code == 403 and response.json()["error"]["type"] == "PermissionDenied"


def deliver(pair: Pair) -> dict[str, int]:
    def post(url: str, body: bytes) -> httpx.Response:
        path = url.removeprefix("http://gt_police.test")
        return pair.gt_client.post(path, content=body)

    return pair.hn.sharing.deliver(post)


def gt_record(pair: Pair, record_id: str) -> list[tuple]:
    return pair.gt.store._query("SELECT properties FROM records WHERE id = ?", (record_id,))


def test_a_correction_replaces_every_recipients_copy(pair: Pair, agency_dir: Path) -> None:
    [suspect] = ids(pair.hn, "tzul")
    share(pair, [suspect])
    assert '"1970-03"' in gt_record(pair, suspect)[0][0]
    text = (agency_dir / "personas.csv").read_text().replace("03/1970", "04/1971")
    (agency_dir / "personas.csv").write_text(text)
    # The re-ingest itself queues the correction, in its transaction (as the API's does).
    done = pair.hn.ingest(agency_dir / "personas.csv", mapping=agency_dir / "mapping.yml")
    assert done.follow["corrections"] == {"corrected": 1, "recipients": 1}
    assert deliver(pair) == {"delivered": 1, "failed": 0, "refused": 0}
    [(props,)] = gt_record(pair, suspect)
    assert '"1971-04"' in props and '"1970-03"' not in props, "replaced, not added to"


def test_an_erasure_reaches_every_recipient_once_and_both_sides_log_it(pair: Pair) -> None:
    [suspect] = ids(pair.hn, "tzul")
    share(pair, [suspect])
    from cruce import justification

    result = pair.hn.sharing.erase([suspect], justification("gangs_organized_crime", "HN-2026-0042",
                                                            "court ordered erasure"))
    assert result == {"erased": 1, "notices": 1}
    notice = __import__("base64").b64decode(pair.hn.store._query(
        "SELECT package FROM outbox WHERE kind = 'erasure'")[0][0])
    assert deliver(pair) == {"delivered": 1, "failed": 0, "refused": 0}
    assert gt_record(pair, suspect) == []
    again = pair.gt_client.post("/api/v1/shares/notices", content=notice)
    assert again.json() == {"status": "applied", "erased": 0}, "a replayed notice changes nothing"
    for node in (pair.hn, pair.gt):
        erasures = [e.event for e in node.audit.iter_events() if e.event["op"] == "erasure"]
        assert [e["record_ids"] for e in erasures] == [[suspect]]
        assert "Tzul" not in str(erasures), "an erasure event never copies the content"


def test_a_notice_not_signed_by_the_provider_erases_nothing(pair: Pair) -> None:
    from cruce.share._notice import seal_notice

    [suspect] = ids(pair.hn, "tzul")
    share(pair, [suspect])
    forged = seal_notice(pair.foreign, "hn_police", "gt_police", [suspect], "forged")
    response = pair.gt_client.post("/api/v1/shares/notices", content=forged)
    assert response.status_code == 422 and response.json()["error"]["type"] == "SignatureInvalid"
    assert gt_record(pair, suspect) != []


def peer_get(client: TestClient):
    def get(url: str, headers: dict[str, str]) -> tuple[bytes, str]:
        response = client.get(url.removeprefix("http://hn_police.test"), headers=headers)
        assert response.status_code == 200, response.text
        return response.content, response.headers["X-Cruce-Answer-Signature"]

    return get


def test_a_peer_checks_that_each_audit_head_extends_the_last_it_saw(pair: Pair) -> None:
    first = pair.gt.sharing.check_peer("hn_police", peer_get(pair.hn_client))
    [suspect] = ids(pair.hn, "tzul")
    share(pair, [suspect])  # hn's log grows
    second = pair.gt.sharing.check_peer("hn_police", peer_get(pair.hn_client))
    assert second["previous_size"] == first["tree_size"] < second["tree_size"]


def test_a_peer_that_changed_its_log_key_is_caught(pair: Pair) -> None:
    from cruce.errors import AuditChainBroken

    pair.gt.sharing.check_peer("hn_police", peer_get(pair.hn_client))
    pair.gt.store._execute("UPDATE peer_heads SET log_key = 'another key'")
    with pytest.raises(AuditChainBroken, match="another key"):
        pair.gt.sharing.check_peer("hn_police", peer_get(pair.hn_client))


def test_peer_head_requests_must_be_signed_by_a_member_and_never_replayed(pair: Pair) -> None:
    from cruce.share._requests import sign_request

    unsigned = pair.hn_client.get("/api/v1/audit/peer-head")
    assert unsigned.status_code == 401 and unsigned.json()["error"]["type"] == "NotAuthenticated"
    forged = sign_request(pair.foreign, "gt_police", "GET", "/api/v1/audit/peer-head",
                          target="hn_police")
    assert pair.hn_client.get("/api/v1/audit/peer-head", headers=forged).status_code == 401
    signed = sign_request(pair.gt.sharing.keys, "gt_police", "GET", "/api/v1/audit/peer-head",
                          target="hn_police")
    assert pair.hn_client.get("/api/v1/audit/peer-head", headers=signed).status_code == 200
    replay = pair.hn_client.get("/api/v1/audit/peer-head", headers=signed)
    assert replay.status_code == 409 and replay.json()["error"]["type"] == "Conflict"


def test_the_outbox_backs_off_from_a_recipient_that_stays_down(pair: Pair) -> None:
    from cruce._why import justification
    from cruce.share._node import backoff

    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [2, 3, 4.5]
    assert backoff(40) == timedelta(minutes=10)
    hn_id, = ids(pair.hn, "tzul")
    posted: list[str] = []

    def down(url: str, body: bytes) -> int:
        posted.append(url)
        raise ConnectionError("gt_police node is down")

    why = justification("gangs_organized_crime", "HN-2026-0042", "back-off")
    before = datetime.now(UTC)
    pair.hn.sharing.disclose([hn_id], ["gt_police"], why, post=down)
    after = datetime.now(UTC)
    [waiting] = pair.hn.sharing.outbox()
    assert waiting.state == "waiting" and waiting.attempts == 1
    assert waiting.next_attempt_at is not None
    assert before + timedelta(seconds=2) <= waiting.next_attempt_at <= after + timedelta(seconds=2)
    # The server's rounds (every 2 s, and after each API call) leave it alone until then ...
    assert pair.hn.sharing.deliver(down, due_only=True) == {"delivered": 0, "failed": 0, "refused": 0}
    assert len(posted) == 1
    # ... while an operator's explicit retry sends it at once, and each failure waits longer.
    before = datetime.now(UTC)
    assert pair.hn.sharing.deliver(down) == {"delivered": 0, "failed": 1, "refused": 0}
    after = datetime.now(UTC)
    [waiting] = pair.hn.sharing.outbox()
    assert waiting.attempts == 2 and len(posted) == 2
    assert waiting.next_attempt_at is not None
    assert before + timedelta(seconds=3) <= waiting.next_attempt_at <= after + timedelta(seconds=3)


def cruce_error(status: int, kind: str = "Refused") -> httpx.Response:
    return httpx.Response(status, json={"error": {"type": kind, "message": "no"}})


@pytest.mark.parametrize(("answer", "outcome"), [
    (cruce_error(400), "refused"), (cruce_error(404), "refused"), (cruce_error(409), "refused"),
    (cruce_error(410), "refused"),
    (cruce_error(422, "DecryptionFailed"), "refused"),  # sealed for a key it no longer has
    (cruce_error(401), "failed"), (cruce_error(403), "failed"),
    (cruce_error(422, "SignatureInvalid"), "failed"),  # its directory may not list us yet
    (cruce_error(429), "failed"), (cruce_error(500), "failed"), (cruce_error(503), "failed"),
    (httpx.Response(404, text="<html>maintenance</html>"), "failed"),
    (httpx.Response(413, text="Request Entity Too Large"), "failed"),
    (400, "failed"),
])
def test_what_a_recipients_node_refuses_outright_is_not_sent_again(
    pair: Pair, answer: httpx.Response | int, outcome: str
) -> None:
    """Final only when the recipient's node itself says so (its JSON error) about the package:
    malformed, unknown thread or consent, a closed thread, too old. Its directory catching up,
    load, and any answer that is not cruce's own (a proxy's, a bare status) may change."""
    from cruce._why import justification

    hn_id, = ids(pair.hn, "tzul")
    posted: list[bytes] = []

    def answers(url: str, body: bytes) -> httpx.Response | int:
        posted.append(body)
        return answer

    why = justification("gangs_organized_crime", "HN-2026-0042", "refusals")
    done = pair.hn.sharing.disclose([hn_id], ["gt_police"], why, post=answers)
    assert done.delivery == {"delivered": 0, "failed": 0, "refused": 0, outcome: 1}
    [entry] = pair.hn.sharing.outbox()
    assert entry.state == ("refused" if outcome == "refused" else "waiting")
    status = answer if isinstance(answer, int) else answer.status_code
    assert f"HTTP {status}" in str(entry.last_error)
    again = pair.hn.sharing.deliver(answers)
    assert len(posted) == (1 if outcome == "refused" else 2)
    assert again == {"delivered": 0, "failed": int(outcome == "failed"), "refused": 0}


def test_an_item_not_delivered_within_30_days_is_given_up_and_frees_the_queue(
    pair: Pair,
) -> None:
    from cruce._why import justification

    two = ids(pair.hn, "tzul", "mejia")
    why = justification("gangs_organized_crime", "HN-2026-0042", "given up")
    pair.hn.sharing.disclose(two[:1], ["gt_police"], why, post=lambda url, body: 503)
    pair.hn.sharing.disclose(two[1:], ["gt_police"], why, post=lambda url, body: 503)
    old = datetime.now(UTC) - timedelta(days=31)
    first = pair.hn.sharing.outbox()[0].share_id
    pair.hn.store._execute("UPDATE outbox SET created_at = ? WHERE share_id = ?", (old, first))
    posted: list[bytes] = []

    def post(url: str, body: bytes) -> httpx.Response:
        posted.append(body)
        return pair.post(url, body)

    assert pair.hn.sharing.deliver(post) == {"delivered": 1, "failed": 0, "refused": 1}
    given_up, delivered = pair.hn.sharing.outbox()
    assert given_up.state == "refused" and "within 30 days" in str(given_up.last_error)
    assert delivered.state == "delivered" and len(posted) == 1


def test_each_recipient_gets_its_items_in_order_so_a_notice_never_overtakes_its_share(
    pair: Pair,
) -> None:
    """A share backing off from a recipient that was down holds back the erasure notice queued
    after it: sent first, the notice would erase nothing and the share then outlive it."""
    from cruce._why import justification

    hn_id, = ids(pair.hn, "tzul")
    why = justification("gangs_organized_crime", "HN-2026-0042", "ordering")
    pair.down[0] = True
    pair.hn.sharing.disclose([hn_id], ["gt_police"], why, post=pair.post)
    assert pair.hn.erase([hn_id], why)["notices"] == 1
    pair.down[0] = False
    sent: list[str] = []

    def post(url: str, body: bytes) -> httpx.Response:
        sent.append(url.rsplit("/", 1)[-1])
        path = "/api/v1/shares/" + url.rsplit("/", 1)[-1]
        return pair.gt_client.post(path, content=body)

    # The server's round: the share is backing off, so nothing for gt goes yet.
    assert pair.hn.sharing.deliver(post, due_only=True)["delivered"] == 0 and sent == []
    assert pair.hn.sharing.deliver(post) == {"delivered": 2, "failed": 0, "refused": 0}
    assert sent == ["inbox", "notices"]
    assert pair.gt.store.count() == 0  # received, then erased: the provider's erasure holds


def test_a_package_the_recipient_took_before_the_answer_was_lost_counts_as_delivered(
    pair: Pair,
) -> None:
    from cruce._why import justification

    hn_id, = ids(pair.hn, "tzul")
    why = justification("gangs_organized_crime", "HN-2026-0042", "lost answer")

    def answer_lost(url: str, body: bytes) -> httpx.Response:
        pair.post(url, body)
        raise ConnectionError("connection reset after the request was sent")

    pair.hn.sharing.disclose([hn_id], ["gt_police"], why, post=answer_lost)
    assert pair.hn.sharing.outbox()[0].state == "waiting"
    assert pair.gt.store.count() == 1
    assert pair.hn.sharing.deliver(pair.post) == {"delivered": 1, "failed": 0, "refused": 0}
    [entry] = pair.hn.sharing.outbox()
    assert entry.state == "delivered" and entry.receipt  # "already received", with a receipt
    assert pair.gt.store.count() == 1 and len(pair.gt.sharing.inbox()) == 1


def test_an_agency_that_left_the_compact_gets_nothing_more_and_holds_up_no_one(
    pair: Pair,
) -> None:
    from cruce._why import justification

    hn_id, = ids(pair.hn, "tzul")
    why = justification("gangs_organized_crime", "HN-2026-0042", "left the compact")
    pair.hn.sharing.disclose([hn_id], ["gt_police"], why, post=lambda url, body: 503)
    authority = Ed25519PrivateKey.generate()
    alone = Directory.sign([member("hn_police", "HN", pair.hn.sharing.keys)], authority,
                           serial=2, issued_at=datetime.now(UTC))
    pair.hn.configure_sharing(pair.hn.sharing.keys, Directory.load(alone, authority.public_key()))
    assert pair.hn.sharing.deliver(pair.post) == {"delivered": 0, "failed": 0, "refused": 1}
    [entry] = pair.hn.sharing.outbox()
    assert entry.state == "refused"
    assert "no longer in the compact directory" in str(entry.last_error)


def backdated(keys: NodeKeys, body: bytes) -> str:
    """gt's receipt as its key would have signed it 30 days ago (before its validity)."""
    import hashlib
    import time

    from cruce.share._canon import b64e
    from cruce.share._requests import _receipt_message

    at = str(int(time.time()) - 30 * 86400)
    message = _receipt_message("gt_police", hashlib.sha256(body).digest(), at)
    return f"{at}.{b64e(keys.signing_key.sign(message))}"


def test_a_delivery_counts_only_with_the_recipients_signed_receipt_of_those_bytes(
    pair: Pair,
) -> None:
    """A 200 alone proves nothing (a proxy or an impostor can send one): the sender keeps
    trying until the recipient's directory key signs a receipt for the very package, and keeps
    that receipt as proof of delivery."""
    import base64
    import hashlib

    from cruce._why import justification
    from cruce.share._requests import sign_receipt, verify_receipt

    hn_id, = ids(pair.hn, "tzul")
    why = justification("gangs_organized_crime", "HN-2026-0042", "receipts")

    def answered(headers: dict[str, str]) -> httpx.Response:
        return httpx.Response(200, headers=headers, json={"status": "received"})

    fakes = {
        "no receipt": lambda url, body: answered({}),
        "an outsider's": lambda url, body: answered(
            {"X-Cruce-Receipt": sign_receipt(pair.foreign, "gt_police", body)}),
        "for other bytes": lambda url, body: answered(
            {"X-Cruce-Receipt": pair.gt.sharing.receipt(body + b"x")}),
        "another member's": lambda url, body: answered(
            {"X-Cruce-Receipt": pair.hn.sharing.receipt(body)}),
        "dated before gt's key was valid": lambda url, body: answered(
            {"X-Cruce-Receipt": backdated(pair.gt.sharing.keys, body)}),
        "a bare 200": lambda url, body: 200,
    }
    pair.hn.sharing.disclose([hn_id], ["gt_police"], why, post=fakes.pop("no receipt"))
    for fake in fakes.values():
        assert pair.hn.sharing.deliver(fake) == {"delivered": 0, "failed": 1, "refused": 0}
        [entry] = pair.hn.sharing.outbox()
        assert entry.state == "waiting" and "without a valid receipt" in str(entry.last_error)
    assert pair.gt.store.count() == 0  # (the fakes never reached gt)

    assert pair.hn.sharing.deliver(pair.post) == {"delivered": 1, "failed": 0, "refused": 0}
    [entry] = pair.hn.sharing.outbox()
    assert entry.state == "delivered" and entry.receipt and entry.last_error is None
    [(package,)] = pair.hn.store._query("SELECT package FROM outbox")
    digest = hashlib.sha256(base64.b64decode(str(package))).digest()
    verify_receipt(pair.hn.sharing.directory.member("gt_police"), digest, entry.receipt)


def test_disclose_posts_nothing_ahead_of_what_already_waits_for_that_agency(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`cruce share` posts each package as it is sealed; once one fails, or while older items
    wait for that agency, the rest stay queued behind them and go in order later."""
    import cruce.share._disclosure as sharing_module
    from cruce._why import justification

    monkeypatch.setattr(sharing_module, "PACKAGE_RECORDS", 1)  # one record per package
    two = ids(pair.hn, "tzul", "mejia")
    why = justification("gangs_organized_crime", "HN-2026-0042", "in order")
    posted: list[bytes] = []

    def flaky(url: str, body: bytes) -> httpx.Response:
        posted.append(body)
        if len(posted) == 1:
            raise ConnectionError("gt_police node is down")
        return pair.post(url, body)

    done = pair.hn.sharing.disclose(two, ["gt_police"], why, post=flaky)
    assert done.delivery == {"delivered": 0, "failed": 2, "refused": 0}
    assert len(posted) == 1  # the second package was not posted past the failed first
    done = pair.hn.sharing.disclose(two[:1], ["gt_police"], why, post=flaky)
    assert done.delivery == {"delivered": 0, "failed": 1, "refused": 0} and len(posted) == 1
    assert [e.attempts for e in pair.hn.sharing.outbox()] == [1, 0, 0]
    assert pair.hn.sharing.deliver(flaky) == {"delivered": 3, "failed": 0, "refused": 0}
    assert posted[1:] == [base64.b64decode(str(r[0])) for r in pair.hn.store._query(
        "SELECT package FROM outbox ORDER BY created_at, queued")]


def test_disclose_posts_each_package_as_it_is_sealed_and_keeps_failures(pair: Pair) -> None:
    from cruce._why import justification

    why = justification("gangs_organized_crime", "HN-2026-0042", "courier")
    hn_id, = ids(pair.hn, "tzul")
    posted: list[str] = []

    def post(url: str, body: bytes) -> httpx.Response:
        posted.append(url)
        if pair.down[0]:
            raise ConnectionError("gt_police node is down")
        return pair.gt_client.post("/api/v1/shares/inbox", content=body)

    done = pair.hn.sharing.disclose([hn_id], ["gt_police"], why, post=post)
    assert done.delivery == {"delivered": 1, "failed": 0, "refused": 0}
    assert posted == ["http://gt_police.test/api/v1/shares/inbox"]
    assert pair.hn.sharing.outbox()[-1].state == "delivered"
    assert pair.hn.sharing.deliver(post) == {"delivered": 0, "failed": 0, "refused": 0}

    pair.down[0] = True
    done = pair.hn.sharing.disclose([hn_id], ["gt_police"], why, post=post)
    assert done.delivery == {"delivered": 0, "failed": 1, "refused": 0}
    waiting = pair.hn.sharing.outbox()[-1]
    assert waiting.state == "waiting" and "down" in str(waiting.last_error)
    pair.down[0] = False
    assert pair.hn.sharing.deliver(post) == {"delivered": 1, "failed": 0, "refused": 0}


def test_a_bulk_share_sends_records_exactly_as_the_store_holds_them(pair: Pair) -> None:
    from cruce.store import RecordQuery
    from cruce.store._base import parse_properties, row_to_payload, row_to_record

    rows = pair.hn.store._select(RecordQuery())
    assert rows
    envelopes: dict = {}
    payloads = [row_to_payload(row, envelopes)[0] for row in rows]
    parse_properties(payloads)
    assert payloads == [row_to_record(row).to_dict() for row in rows]


def test_the_server_erases_expired_records_tells_recipients_and_checks_peers_by_itself(
    pair: Pair,
) -> None:
    import time
    from datetime import date

    from cruce.api import create_app
    from cruce.api._messaging import Housekeeping

    hn_id, = ids(pair.hn, "tzul")
    assert share(pair, [hn_id])["delivery"] == {"delivered": 1, "failed": 0, "refused": 0}
    pair.hn.store._execute("UPDATE records SET retain_until = ? WHERE id = ?",
                           (date.today() - timedelta(days=1), hn_id))

    def post(url: str, body: bytes) -> httpx.Response:
        return pair.gt_client.post(url.replace("http://gt_police.test", ""),
                                   content=body)

    peer_asks: list[str] = []

    def get(url: str, headers: dict[str, str]) -> tuple[bytes, str]:
        peer_asks.append(url)
        answer = pair.gt_client.get(url.replace("http://gt_police.test", ""), headers=headers)
        return answer.content, answer.headers.get("X-Cruce-Answer-Signature", "")

    gt_token = Users(pair.gt.store).add("gabriel.analyst", "analyst")

    def held(client: TestClient, token: str) -> bool:  # through the API: the store is busy
        answer = client.get(f"/api/v1/records/{hn_id}",
                            headers={"Authorization": f"Bearer {token}", **WHY})
        return answer.status_code == 200

    app = create_app(pair.hn, post=post, get=get, every=Housekeeping(0.1, 0.1, 0.1))
    with TestClient(app) as hn_client:
        deadline = time.monotonic() + 20
        # A second ask for gt's head means the first peer check (the head stored) is over:
        # housekeeping runs its tasks one after another in one thread.
        while held(hn_client, pair.token) or held(pair.gt_client, gt_token) or len(peer_asks) < 2:
            assert time.monotonic() < deadline, "housekeeping did not run"
            time.sleep(0.1)
    assert pair.hn.store._query("SELECT agency FROM peer_heads")[0] == ("gt_police",)
    erasures = [e.event for e in pair.gt.audit.iter_events(None)
                if e.event["op"] == "erasure" and hn_id in e.event["record_ids"]]
    assert len(erasures) == 1 and erasures[0]["actor"]["user"] == "node:hn_police"


def test_the_outbox_through_the_api_shows_each_delivery_in_order_and_its_receipt(
    pair: Pair,
) -> None:
    """A running DuckDB node holds its file: its users see the outbox through the API. A share
    made while an older one to the same agency waits is queued behind it, not posted ahead."""
    [suspect] = ids(pair.hn, "tzul")
    auth = {"Authorization": f"Bearer {pair.token}"}

    def listed() -> list[dict]:
        response = pair.hn_client.get("/api/v1/shares/outbox", headers=auth)
        assert response.status_code == 200, response.text
        return list(response.json())

    pair.down[0] = True
    share(pair, [suspect])
    pair.down[0] = False
    assert share(pair, [suspect])["delivery"] == {"delivered": 0, "failed": 0, "refused": 0}
    first, second = listed()
    assert (first["state"], first["attempts"]) == ("waiting", 1)  # backing off
    assert (second["state"], second["attempts"]) == ("waiting", 0)  # held behind it
    assert set(first) == {"id", "kind", "recipient", "records", "attempts", "state", "since",
                          "last_error", "receipt"}  # ids, counts and answers: no content

    assert pair.hn.sharing.deliver(pair.post) == {"delivered": 2, "failed": 0, "refused": 0}
    first, second = listed()
    assert first["state"] == second["state"] == "delivered"
    assert first["receipt"] and second["receipt"] and first["recipient"] == "gt_police"
    for role in ("oversight", "border_officer", "admin"):
        token = Users(pair.hn.store).add(f"someone.{role.replace('_', '-')}", role)
        refused = pair.hn_client.get("/api/v1/shares/outbox",
                                     headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 403
    assert pair.hn_client.get("/api/v1/shares/outbox").status_code == 401
