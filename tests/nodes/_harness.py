"""Real cruce nodes as real processes on 127.0.0.1, set up and served only through the CLI
(`python -m cruce …`), on a DuckDB file or a postgresql:// URL, and joined into one compact:
an authority key, each node's keys, a signed directory naming every node's endpoint.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from tests.conftest import MAPPING, ROWS, write_csv

ROLES = ("analyst", "border_officer", "supervisor", "oversight", "admin")
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def cruce(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> str:
    """Run `python -m cruce ARGS`; its stdout, or an AssertionError with its output."""
    done = subprocess.run(
        [sys.executable, "-m", "cruce", *args], capture_output=True, text=True,
        env=env, timeout=timeout, check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"cruce {' '.join(args)} -> {done.returncode}\n{done.stdout}{done.stderr}")
    return done.stdout


def agency_export(folder: Path, agency: str) -> Path:
    """The fixture export (tests/conftest.py MAPPING, ROWS) as `agency` would send it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mapping.yml").write_text(MAPPING.replace("hn_police", agency), encoding="utf-8")
    write_csv(folder / "personas.csv", ROWS)
    return folder / "mapping.yml"


@dataclass
class RunningNode:
    """One node process; `db` is a DuckDB file path or a postgresql:// URL."""

    agency: str
    backend: str
    db: str
    audit_dir: Path
    log_file: Path
    env: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)  # fixed: the directory names it
    extra: list[Path] = field(default_factory=list)  # JSON lines ingested after the export
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def client(self, role: str | None = None, **headers: str) -> httpx.Client:
        if role is not None:
            headers["Authorization"] = f"Bearer {self.tokens[role]}"
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=15)

    # -- set-up ---------------------------------------------------------------------------
    def prepare(self, export: Path, timeout: float = 60) -> None:
        """Init the node, ingest the export, add one user per role and keep their tokens
        (`timeout`: for each command)."""
        cruce("init", "--db", self.db, "--agency", self.agency, env=self.env, timeout=timeout)
        cruce("ingest", str(export), "--db", self.db, env=self.env, timeout=timeout)
        for path in self.extra:
            cruce("ingest", str(path), "--db", self.db, env=self.env, timeout=timeout)
        for role in ROLES:
            out = cruce("users", "add", f"user.{role}", "--role", role, "--db", self.db,
                        env=self.env, timeout=timeout)
            self.tokens[role] = out.strip().splitlines()[-1].strip()

    # -- life cycle -------------------------------------------------------------------------
    def start(self, timeout: float = 30) -> None:
        assert self.process is None, "already running"
        command = [sys.executable, "-m", "cruce", "node", "serve", "--db", self.db,
                   "--host", HOST, "--port", str(self.port)]
        log = self.log_file.open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=self.env)
        log.close()
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        headers = {"Authorization": f"Bearer {self.tokens['analyst']}"}
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"node {self.agency} exited {self.process.returncode}:\n"
                                     + self.log_file.read_text(errors="replace"))
            try:
                if httpx.get(f"{self.base_url}/api/v1/me", headers=headers, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"node {self.agency} not answering after {timeout}s:\n"
                             + self.log_file.read_text(errors="replace"))

    def stop(self, *, kill: bool = False, grace: float = 10) -> None:
        """Terminate (then kill if it lingers); `kill=True` sends SIGKILL at once, as a crash."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(grace)

    def restart(self, *, kill: bool = True) -> None:
        self.stop(kill=kill)
        self.start()


def duckdb_node(agency: str, folder: Path) -> RunningNode:
    """A node of `agency` on a DuckDB file in `folder` (its audit log beside it), not yet
    prepared nor started."""
    return RunningNode(agency=agency, backend="duckdb", db=str(folder / f"{agency}.duckdb"),
                       audit_dir=folder / f"{agency}.duckdb.audit",
                       log_file=folder / "server.log", env=make_env(None))


def eventually(check: Callable[[], bool], timeout: float = 60) -> None:
    """Wait until `check()` holds (polled every 0.2 s); an AssertionError after `timeout`."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.2)


def make_env(audit_dir: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRUCE_")}
    env["CRUCE_USER"] = "harness"
    env["PYTHONUNBUFFERED"] = "1"
    if audit_dir is not None:
        env["CRUCE_AUDIT_DIR"] = str(audit_dir)
    return env


def form_compact(nodes: Sequence[RunningNode], folder: Path) -> None:
    """What the compact authority and the agencies do before nodes talk: each node makes its
    keys (`cruce keys`), the authority signs the directory of endpoints and keys, and every
    node is given the directory and the authority's public key."""
    cruce("directory", "keygen", "--out", str(folder / "authority"))
    members = []
    for node in nodes:
        node.env["CRUCE_KEYS_DIR"] = str(folder / f"keys-{node.agency}")
        keys = json.loads(cruce("keys", "--db", node.db, env=node.env))
        members.append({"id": node.agency, "country": node.agency[:2].upper(),
                        "endpoint": node.base_url, **keys})
    (folder / "members.json").write_text(json.dumps(members), encoding="utf-8")
    cruce("directory", "sign", str(folder / "members.json"), "--key",
          str(folder / "authority" / "authority.pem"), "--out", str(folder / "directory.signed"))
    for node in nodes:
        node.env["CRUCE_DIRECTORY"] = str(folder / "directory.signed")
        node.env["CRUCE_AUTHORITY_KEY"] = str(folder / "authority" / "authority.pub.pem")


def start_all(nodes: Sequence[RunningNode]) -> None:
    """Start every node at once (their start-up is mostly the interpreter's imports)."""
    _each(nodes, RunningNode.start)


def prepare_all(nodes: Sequence[RunningNode], exports: Sequence[Path]) -> None:
    """Prepare every node at once (each one's CLI calls run one after another)."""
    by_node = dict(zip((id(n) for n in nodes), exports, strict=True))
    _each(nodes, lambda node: node.prepare(by_node[id(node)]))


def _each(nodes: Sequence[RunningNode], action: Callable[[RunningNode], object]) -> None:
    errors: list[BaseException] = []

    def run(node: RunningNode) -> None:
        try:
            action(node)
        except BaseException as exc:  # reported below, after every thread is done
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in nodes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
