"""Five agency nodes on 127.0.0.1, as real server processes, joined into one compact.

What the compact authority and each agency would do, done for the demo on one machine: each
node makes its keys, the authority signs the directory of endpoints and keys, each node gets a
few users, and `cruce node serve` runs for each. Used by `cruce demo`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cruce.errors import CruceError
from cruce.share import Directory, Member, NodeKeys

HOST = "127.0.0.1"
DEMO_ROLES = ("analyst", "supervisor", "oversight")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalNode:
    agency: str
    db: Path
    port: int = field(default_factory=free_port)
    tokens: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def client(self, role: str, **headers: str) -> httpx.Client:
        headers["Authorization"] = f"Bearer {self.tokens[role]}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


class LocalCompact:
    """Form the compact for nodes stored in `folder` (one DuckDB file per agency) and serve
    them; a context manager that stops every server on exit."""

    def __init__(self, folder: Path, agencies: list[str]) -> None:
        self.folder = folder
        self.nodes = {a: LocalNode(a, folder / f"{a}.duckdb") for a in agencies}
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CRUCE_")}

    def form(self) -> None:
        """Keys for every node, the signed directory, and demo users with their tokens."""
        from cruce._node import Node
        from cruce.api import Users

        authority = Ed25519PrivateKey.generate()
        now = datetime.now(UTC)
        members = []
        for node in self.nodes.values():
            pub = NodeKeys.load_or_generate(Path(f"{node.db}.keys")).public()
            members.append(Member(node.agency, node.agency[:2].upper(), node.url, pub.signing,
                                  pub.encryption, now - timedelta(minutes=5),
                                  now + timedelta(days=30)))
            with Node.open(node.db, user="demo") as opened:
                users = Users(opened.store)
                existing = {name for name, _, _ in users.list()}
                for role in DEMO_ROLES:
                    name = f"demo.{role}"
                    if name in existing:
                        users.disable(name)
                        name = f"{name}.{int(time.time())}"
                    node.tokens[role] = users.add(name, role)
        directory = self.folder / "directory.signed"
        directory.write_bytes(Directory.sign(members, authority, serial=1, issued_at=now))
        public = self.folder / "authority.pub.pem"
        public.write_bytes(authority.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        self.env |= {"CRUCE_DIRECTORY": str(directory), "CRUCE_AUTHORITY_KEY": str(public)}

    def start(self, timeout: float = 60) -> None:
        for node in self.nodes.values():
            log = (self.folder / f"{node.agency}.server.log").open("ab")
            node.process = subprocess.Popen(
                [sys.executable, "-m", "cruce", "node", "serve", "--db", str(node.db),
                 "--host", HOST, "--port", str(node.port)],
                stdout=log, stderr=subprocess.STDOUT, env=self.env)
            log.close()
        deadline = time.monotonic() + timeout
        for node in self.nodes.values():
            self._wait(node, deadline)

    def _wait(self, node: LocalNode, deadline: float) -> None:
        while time.monotonic() < deadline:
            assert node.process is not None
            if node.process.poll() is not None:
                raise CruceError(f"the {node.agency} node stopped: see "
                                 f"{self.folder / (node.agency + '.server.log')}")
            try:
                with node.client("analyst") as client:
                    if client.get("/api/v1/me").status_code == 200:
                        return
            except httpx.TransportError:
                time.sleep(0.2)
        raise CruceError(f"the {node.agency} node did not answer in time")

    def stop(self) -> None:
        for node in self.nodes.values():
            if node.process is not None and node.process.poll() is None:
                node.process.terminate()
        for node in self.nodes.values():
            if node.process is not None:
                try:
                    node.process.wait(10)
                except subprocess.TimeoutExpired:
                    node.process.kill()
                node.process = None

    def __enter__(self) -> LocalCompact:
        self.form()
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
