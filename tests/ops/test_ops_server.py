"""A real node server (its own process, HTTP on 127.0.0.1): the probes and metrics answer, and
a directory re-signed without a member is taken while it serves, a rollback refused."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from prometheus_client.parser import text_string_to_metric_families

from cruce import Node
from cruce.api import Users
from cruce.share import Directory, Member, NodeKeys
from cruce.share._keys import raw_public

NOW = datetime.now(UTC)
AUTHORITY = Ed25519PrivateKey.generate()
GT = NodeKeys.generate()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def member(agency: str, keys: NodeKeys) -> Member:
    pub = keys.public()
    return Member(agency, agency[:2].upper(), f"http://{agency}.example/", pub.signing,
                  pub.encryption, NOW - timedelta(days=1), NOW + timedelta(days=60))


class Server:
    def __init__(self, folder: Path) -> None:
        self.folder, self.db, self.port = folder, folder / "hn.duckdb", free_port()
        with Node.open(self.db, agency="hn_police") as node:
            self.token = Users(node.store).add("ops", "admin")
        self.keys = NodeKeys.load_or_generate(Path(f"{self.db}.keys"))
        (folder / "authority.key").write_bytes(raw_public(AUTHORITY.public_key()))
        self.publish(1, with_gt=True)
        self.log = folder / "server.log"
        env = dict(os.environ, CRUCE_DIRECTORY=str(folder / "directory.signed"),
                   CRUCE_AUTHORITY_KEY=str(folder / "authority.key"))
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cruce", "node", "serve", "--db", str(self.db),
                 "--port", str(self.port)], env=env, stdout=out, stderr=subprocess.STDOUT)
        self.wait_for(lambda: self.get("/health").status_code == 200, "the server to answer")

    def publish(self, serial: int, *, with_gt: bool) -> None:
        members = [member("hn_police", self.keys)] + ([member("gt_police", GT)] if with_gt
                                                      else [])
        signed = Directory.sign(members, AUTHORITY, serial=serial, issued_at=NOW)
        tmp = self.folder / "directory.signed.tmp"
        tmp.write_bytes(signed)
        tmp.replace(self.folder / "directory.signed")  # as an operator replaces it: whole

    def get(self, path: str, token: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}{path}", headers=headers, timeout=5)
        except httpx.TransportError:
            return httpx.Response(599)

    def metric(self, name: str) -> list[tuple[dict[str, str], float]]:
        text = self.get("/metrics", self.token).text
        return [(s.labels, s.value) for f in text_string_to_metric_families(text)
                if f.name == name for s in f.samples]

    def wait_for(self, condition: object, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited: {self.log.read_text()}")
            if condition():  # type: ignore[operator]
                return
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}: {self.log.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path)
    yield running
    running.stop()


def test_probes_and_metrics_answer_on_a_real_server(server: Server) -> None:
    assert server.get("/health").json() == {"status": "ok"}
    ready = server.get("/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"store": "ok", "audit_log": "ok", "directory": "ok"}
    assert server.get("/metrics").status_code == 401
    assert server.metric("cruce_directory_serial") == [({}, 1.0)]
    members = {labels["member"] for labels, _ in server.metric("cruce_membership_expiry_seconds")}
    assert members == {"hn_police", "gt_police"}
    served = server.metric("cruce_http_requests")
    assert any(s.get("route") == "/health" and s.get("status") == "200" for s, _ in served)


def test_a_directory_resigned_without_a_member_is_taken_while_serving(server: Server) -> None:
    server.publish(2, with_gt=False)
    server.wait_for(lambda: server.metric("cruce_directory_serial") == [({}, 2.0)],
                    "serial 2 to be taken")
    members = {labels["member"] for labels, _ in server.metric("cruce_membership_expiry_seconds")}
    assert members == {"hn_police"}
    server.publish(1, with_gt=True)  # a rollback: refused, logged, serial 2 stays
    server.wait_for(lambda: "kept the directory in force (serial 2)" in server.log.read_text(),
                    "the rollback to be refused")
    assert server.metric("cruce_directory_serial") == [({}, 2.0)]
    assert server.get("/ready").status_code == 200
