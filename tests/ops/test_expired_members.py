"""One rule for a membership that is not in force (expired, or not yet valid), with one
wording: nothing is queued for it, nothing waiting is posted to it (kept for a renewal), and
its packages, messages and signed requests are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tests.conftest import MAPPING, ROWS, write_csv

from cruce import Node, justification
from cruce.errors import NotAuthenticated, PermissionDenied
from cruce.share import Directory, Member, NodeKeys
from cruce.share._requests import NonceCache, sign_request, verify_request

NOW = datetime.now(UTC)
WHY = justification("gangs_organized_crime", "HN-2026-0042", "expired member check")
AUTHORITY = Ed25519PrivateKey.generate()
GT_KEYS = NodeKeys.generate()


def member(agency: str, keys: NodeKeys, *, expired: bool = False) -> Member:
    pub = keys.public()
    until = NOW - timedelta(days=1) if expired else NOW + timedelta(days=365)
    return Member(agency, agency[:2].upper(), f"http://{agency}.example/", pub.signing,
                  pub.encryption, NOW - timedelta(days=30), until)


def directory(hn: NodeKeys, *, gt_expired: bool, serial: int = 1) -> Directory:
    signed = Directory.sign([member("hn_police", hn), member("gt_police", GT_KEYS,
                                                             expired=gt_expired)],
                            AUTHORITY, serial=serial, issued_at=NOW)
    return Directory.load(signed, AUTHORITY.public_key())


@pytest.fixture()
def hn(tmp_path: Path) -> Node:
    (tmp_path / "mapping.yml").write_text(MAPPING, encoding="utf-8")
    write_csv(tmp_path / "personas.csv", ROWS)
    node = Node.open(tmp_path / "hn.duckdb", agency="hn_police", user="ana", role="analyst")
    node.ingest(tmp_path / "personas.csv", mapping=tmp_path / "mapping.yml")
    yield node
    node.close()


def tzul(node: Node) -> str:
    [found] = node.search("tzul", WHY)
    return found.id


def test_nothing_is_queued_for_an_expired_member(hn: Node) -> None:
    keys = NodeKeys.generate()
    hn.configure_sharing(keys, directory(keys, gt_expired=True))
    with pytest.raises(PermissionDenied) as caught:
        hn.sharing.disclose([tzul(hn)], ["gt_police"], WHY, post=lambda url, body: 200)
    assert str(caught.value).startswith(
        "gt_police's membership of the compact is not in force at ")
    assert str(caught.value).endswith(": nothing is sent to it until the authority renews it")
    assert hn.sharing.outbox() == []


def test_what_waits_for_a_member_that_expired_is_kept_not_posted(hn: Node) -> None:
    keys = NodeKeys.generate()
    hn.configure_sharing(keys, directory(keys, gt_expired=False))
    hn.sharing.disclose([tzul(hn)], ["gt_police"], WHY, post=lambda url, body: 503)
    hn.configure_sharing(keys, directory(keys, gt_expired=True, serial=2))
    posted: list[str] = []

    def post(url: str, body: bytes) -> int:
        posted.append(url)
        return 200

    assert hn.sharing.deliver(post) == {"delivered": 0, "failed": 1, "refused": 0}
    assert posted == []
    [entry] = hn.sharing.outbox()
    assert entry.state == "waiting"
    assert "gt_police's membership of the compact is not in force" in str(entry.last_error)
    assert str(entry.last_error).endswith("held until the authority renews it")


def test_a_signed_request_from_an_expired_member_is_not_authenticated() -> None:
    hn_keys = NodeKeys.generate()
    listed = directory(hn_keys, gt_expired=True)
    headers = sign_request(GT_KEYS, "gt_police", "GET", "/api/v1/audit/peer-head",
                           target="hn_police")
    with pytest.raises(NotAuthenticated, match="gt_police's membership of the compact is not "
                                               "in force"):
        verify_request({k.lower(): v for k, v in headers.items()}, "GET",
                       "/api/v1/audit/peer-head", "", "hn_police", listed, NonceCache())
    fresh = directory(hn_keys, gt_expired=False)
    again = sign_request(GT_KEYS, "gt_police", "GET", "/api/v1/audit/peer-head",
                         target="hn_police")
    assert verify_request({k.lower(): v for k, v in again.items()}, "GET",
                          "/api/v1/audit/peer-head", "", "hn_police", fresh,
                          NonceCache()).id == "gt_police"
