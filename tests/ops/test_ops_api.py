"""/health, /ready and /metrics (cruce.api._ops): probes that need no token and say no more
than ok or what is wrong; Prometheus metrics for admins and oversight only."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from tests.conftest import MAPPING, ROWS, write_csv

from cruce import Node
from cruce.api import Users, create_app
from cruce.api._app import bearer
from cruce.api._ops import install_ops
from cruce.api._tokens import TokenTable
from cruce.api._users import User
from cruce.api._wiring import Wiring
from cruce.share._node import http_post


def app_with_ops(node: Node) -> FastAPI:
    """The node's app with the ops routes (installed here until api/_app.py wires them)."""
    app = create_app(node, every=None)
    if any(getattr(r, "path", None) == "/health" for r in app.routes):
        return app
    tokens = TokenTable(node.store)

    def authenticated(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> User:
        return tokens.authenticate(credentials.credentials if credentials else None)

    @contextmanager
    def acting(user: User) -> Iterator[Node]:
        yield node.as_user(user.name, user.role.value)

    install_ops(app, Wiring(node, threading.Lock(), acting, authenticated, authenticated,
                            lambda: None, http_post))
    return app


@pytest.fixture()
def node(tmp_path: Path) -> Iterator[Node]:
    (tmp_path / "mapping.yml").write_text(MAPPING, encoding="utf-8")
    write_csv(tmp_path / "personas.csv", ROWS)
    with Node.open(tmp_path / "hn.duckdb", agency="hn_police") as opened:
        opened.ingest(tmp_path / "personas.csv", mapping=tmp_path / "mapping.yml")
        yield opened


def metrics(client: TestClient, token: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {f.name: [(s.labels, s.value) for s in f.samples]
            for f in text_string_to_metric_families(answer.text)}


def test_health_and_ready_answer_without_a_token(node: Node) -> None:
    client = TestClient(app_with_ops(node))
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"store": "ok", "audit_log": "ok"}}


def test_a_node_without_its_audit_log_is_not_ready() -> None:
    with Node.open(":memory:", agency="hn_police") as memory:
        ready = TestClient(app_with_ops(memory)).get("/ready")
    assert ready.status_code == 503
    assert ready.json() == {"status": "not ready",
                            "checks": {"store": "ok", "audit_log": "no audit log"}}


def test_metrics_need_an_admin_or_oversight_token(node: Node) -> None:
    users = Users(node.store)
    analyst = users.add("ana.lopez", "analyst")
    client = TestClient(app_with_ops(node))
    assert client.get("/metrics").status_code == 401
    refused = client.get("/metrics", headers={"Authorization": f"Bearer {analyst}"})
    assert refused.status_code == 403
    assert "may not read metrics" in refused.json()["error"]["message"]
    for role in ("admin", "oversight"):
        token = users.add(f"ops.{role}", role)
        assert "cruce_records" in metrics(client, token)


def test_metrics_tell_requests_records_audit_size_and_queues(node: Node) -> None:
    token = Users(node.store).add("ops", "admin")
    node.store.queue_outgoing("item-1", "gt_police", b"sealed", 3, "share")
    node.store.queue_outgoing("item-2", "gt_police", b"sealed", 1, "notice")
    client = TestClient(app_with_ops(node))
    client.get("/health")
    client.get("/no/such/route")
    found = metrics(client, token)
    assert found["cruce_records"] == [({}, 9.0)]
    assert found["cruce_audit_log_entries"][0][1] >= 1
    assert found["cruce_outbox_waiting"] == [({"recipient": "gt_police"}, 2.0)]
    assert found["cruce_outbox_retrying"] == [({"recipient": "gt_police"}, 0.0)]
    [(labels, age)] = found["cruce_outbox_oldest_waiting_seconds"]
    assert labels == {"recipient": "gt_police"} and age >= 0
    requests = {(s["route"], s["status"]): v for s, v in found["cruce_http_requests"]
                if "route" in s}
    assert requests[("/health", "200")] == 1.0
    assert requests[("unmatched", "404")] == 1.0
    assert any(s.get("route") == "/health" for s, _ in found["cruce_http_request_seconds"])


def test_ready_checks_the_directory_of_a_member(node: Node, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime, timedelta

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from cruce.share import Directory, Member, NodeKeys
    from cruce.share._keys import raw_public

    pub = NodeKeys.load_or_generate(Path(f"{node.store.url}.keys")).public()
    authority, now = Ed25519PrivateKey.generate(), datetime.now(UTC)
    hn = Member("hn_police", "HN", "https://hn.example/", pub.signing, pub.encryption,
                now - timedelta(days=1), now + timedelta(days=90))
    (tmp_path / "directory.signed").write_bytes(
        Directory.sign([hn], authority, serial=3, issued_at=now))
    (tmp_path / "authority.key").write_bytes(raw_public(authority.public_key()))
    monkeypatch.setenv("CRUCE_DIRECTORY", str(tmp_path / "directory.signed"))
    monkeypatch.setenv("CRUCE_AUTHORITY_KEY", str(tmp_path / "authority.key"))
    client = TestClient(app_with_ops(node))
    assert client.get("/ready").json()["checks"] == {"store": "ok", "audit_log": "ok",
                                                     "directory": "ok"}
    found = metrics(client, Users(node.store).add("ops", "admin"))
    assert found["cruce_directory_serial"] == [({}, 3.0)]
    [(labels, left)] = found["cruce_membership_expiry_seconds"]
    assert labels == {"member": "hn_police"} and 89 * 86400 < left <= 90 * 86400
    lapsed = Member("hn_police", "HN", "https://hn.example/", pub.signing, pub.encryption,
                    now - timedelta(days=9), now - timedelta(days=1))
    node.configure_sharing(node.sharing.keys, Directory.load(
        Directory.sign([lapsed], authority, serial=4, issued_at=now), authority.public_key()))
    ready = client.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["checks"]["directory"] == "membership not in force"


def test_an_admin_backs_up_the_serving_node_into_the_operators_folder(
    node: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cruce._backup import restore_node

    users = Users(node.store)
    admin, analyst = users.add("ops", "admin"), users.add("ana.lopez", "analyst")
    client = TestClient(app_with_ops(node))
    monkeypatch.delenv("CRUCE_BACKUP_DIR", raising=False)
    as_admin = {"Authorization": f"Bearer {admin}"}
    refused = client.post("/api/v1/node/backup", headers=as_admin)
    assert refused.status_code == 400
    assert "only into CRUCE_BACKUP_DIR" in refused.json()["error"]["message"]
    monkeypatch.setenv("CRUCE_BACKUP_DIR", str(tmp_path / "backups"))
    assert client.post("/api/v1/node/backup",
                       headers={"Authorization": f"Bearer {analyst}"}).status_code == 403
    done = client.post("/api/v1/node/backup", headers=as_admin)
    assert done.status_code == 200, done.text
    folder = Path(done.json()["folder"])
    assert folder.parent == tmp_path / "backups" and folder.name.startswith("hn_police-")
    restore_node(folder, tmp_path / "restored.duckdb", "ops")
    with Node.open(tmp_path / "restored.duckdb") as restored:
        assert restored.store.count() == 9
