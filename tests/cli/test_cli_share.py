"""Sharing between two real nodes over HTTP on 127.0.0.1: the compact authority signs the
directory, hn_police shares with gt_police's running server, which is killed and restarted."""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from cruce import Node
from cruce.cli import app

runner = CliRunner()
JUSTIFY = ["--purpose", "gangs_organized_crime", "--case", "HN-2026-0042", "--why", "joint case"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def serve(db: str, port: int) -> subprocess.Popen[bytes]:
    """`cruce node serve` in its own process, once it answers."""
    cmd = [sys.executable, "-m", "cruce", "node", "serve", "--db", db, "--port", str(port)]
    server = subprocess.Popen(cmd, env=dict(os.environ), stderr=subprocess.PIPE)
    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=0.5)
            return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise AssertionError(f"the node at {db} did not start")


@pytest.fixture()
def compact(tmp_path: Path, agency_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    hn, gt = str(tmp_path / "hn.duckdb"), str(tmp_path / "gt.duckdb")
    ok("init", "--db", hn, "--agency", "hn_police")
    ok("init", "--db", gt, "--agency", "gt_police")
    ok("ingest", str(agency_dir / "mapping.yml"), "--db", hn)
    port = free_port()
    members = []
    for agency, country, db, endpoint in (("hn_police", "HN", hn, "http://127.0.0.1:1/"),
                                          ("gt_police", "GT", gt, f"http://127.0.0.1:{port}/")):
        entry = json.loads(ok("keys", "--db", db, "--country", country, "--endpoint", endpoint))
        assert list(entry) == ["id", "country", "endpoint", "signing_key", "encryption_key"]
        assert entry["id"] == agency
        members.append(entry)
    (tmp_path / "members.json").write_text(json.dumps(members))
    ok("directory", "keygen", "--out", str(tmp_path / "authority"))
    ok("directory", "sign", str(tmp_path / "members.json"), "--key",
       str(tmp_path / "authority" / "authority.pem"), "--out", str(tmp_path / "directory.json"))
    monkeypatch.setenv("CRUCE_DIRECTORY", str(tmp_path / "directory.json"))
    monkeypatch.setenv("CRUCE_AUTHORITY_KEY", str(tmp_path / "authority" / "authority.pub.pem"))
    token = ok("users", "add", "gabriela", "--role", "analyst", "--db", gt).strip().splitlines()[-1]
    servers: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        servers.append(serve(gt, port))

    def stop() -> None:
        servers[-1].kill()
        servers[-1].wait()

    start()
    yield {"hn": hn, "start": start, "stop": stop, "port": port, "token": token}
    for server in servers:
        server.kill()
        server.wait()


def received(compact: dict) -> list[dict]:
    response = httpx.get(f"http://127.0.0.1:{compact['port']}/api/v1/shares/received",
                         headers={"Authorization": f"Bearer {compact['token']}"})
    assert response.status_code == 200, response.text
    return list(response.json())


def person(db: str, word: str) -> str:
    with Node.open(db) as node:
        return str(node.store._query("SELECT id FROM records WHERE schema = 'Person' AND "
                                     "search_text LIKE ?", (f"%{word}%",))[0][0])


@pytest.mark.slow
def test_a_share_crosses_to_a_running_node_and_survives_its_restart(compact: dict) -> None:
    suspect, victim = person(compact["hn"], "tzul"), person(compact["hn"], "lopez de")
    out = ok("share", suspect, victim, "--to", "gt_police", "--db", compact["hn"], *JUSTIFY)
    text = " ".join(out.split())
    assert "gt_police: 1 records in share" in text and f"refused {victim}:" in text
    assert "delivered 1, waiting 0" in text
    assert [r["records"] for r in received(compact)] == [1]

    compact["stop"]()
    out = ok("share", suspect, "--to", "gt_police", "--db", compact["hn"], *JUSTIFY)
    assert "delivered 0, waiting 1" in " ".join(out.split())
    listed = ok("outbox", "--db", compact["hn"])
    assert "delivered" in listed and "waiting" in listed
    compact["start"]()
    out = ok("outbox", "--deliver", "--db", compact["hn"])
    assert "delivered 1, still waiting 0" in out
    ok("outbox", "--deliver", "--db", compact["hn"])
    assert [r["records"] for r in received(compact)] == [1, 1], "each share arrived exactly once"
    with Node.open(compact["hn"]) as node:
        disclosures = [e.event for e in node.audit.iter_events() if e.event["op"] == "disclosure"]
    assert [d["recipients"] for d in disclosures] == [["gt_police"], ["gt_police"]]


@pytest.mark.slow
def test_a_node_cross_checks_a_running_peers_audit_log(compact: dict) -> None:
    first = ok("audit", "check-peer", "gt_police", "--db", compact["hn"])
    assert "gt_police: audit log consistent, 0 ->" in first
    ok("share", person(compact["hn"], "tzul"), "--to", "gt_police", "--db", compact["hn"], *JUSTIFY)
    second = " ".join(ok("audit", "check-peer", "gt_police", "--db", compact["hn"]).split())
    before = int(first.split("0 ->")[1].split()[0])
    after = int(second.split("->")[1].split()[0])
    assert after > before, (first, second)


@pytest.fixture()
def serving(tmp_path: Path, agency_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    """hn_police's node (its own gang records) served on 127.0.0.1, outside any compact."""
    monkeypatch.delenv("CRUCE_DIRECTORY", raising=False)
    db = str(tmp_path / "hn.duckdb")
    ok("init", "--db", db, "--agency", "hn_police")
    ok("ingest", str(agency_dir / "mapping.yml"), "--db", db)
    token = ok("users", "add", "gabriela", "--role", "analyst", "--db", db).strip().splitlines()[-1]
    port = free_port()
    server = serve(db, port)
    yield {"db": db, "server": server, "remote": ["--node", f"http://127.0.0.1:{port}",
                                                  "--token", token]}
    server.kill()
    server.wait()


def test_read_commands_ask_the_running_node_whose_store_is_locked(
    serving: dict, tmp_path: Path
) -> None:
    """While the node serves, its store is the server's: search, show, export and stats go
    through its API with the user's token, and the server logs them as that user."""
    db, remote = serving["db"], serving["remote"]
    locked = runner.invoke(app, ["search", "tzul", "--db", db, *JUSTIFY])
    assert locked.exit_code != 0  # the server holds the store
    found = json.loads(ok("search", "tzul", *remote, *JUSTIFY, "--json"))
    [suspect] = [r["id"] for r in found["records"]]
    assert found["withheld"] == 0
    elsewhere = json.loads(ok("search", "tzul", *remote, "--purpose", "border_security",
                              "--case", "GT-1", "--json"))
    assert (elsewhere["records"], elsewhere["withheld"]) == ([], 1)
    table = " ".join(ok("search", "tzul", *remote, *JUSTIFY).split())
    assert suspect in table  # the id whole, never cut with …
    shown = json.loads(ok("show", suspect, *remote, *JUSTIFY))
    assert shown["properties"]["name"] == ["Cruz Tzul Pedro"]
    out = tmp_path / "export.jsonl"
    ok("export", *remote, "-o", str(out), "--schema", "Person", *JUSTIFY)
    assert len(out.read_text().splitlines()) == 4
    assert {"schema": "Person", "records": 4} in json.loads(ok("stats", *remote, "--json"))
    serving["server"].kill()
    serving["server"].wait()
    with Node.open(db) as node:
        users = [e.event["actor"]["user"] for e in node.audit.iter_events()
                 if e.event["op"] == "consultation"]
    assert users == ["gabriela"] * 4  # search, search, show, export (the refused one read none)


def test_inbox_asks_the_running_node(compact: dict) -> None:
    remote = ["--node", f"http://127.0.0.1:{compact['port']}", "--token", compact["token"]]
    assert json.loads(ok("inbox", *remote, "--json")) == []
    ok("share", person(compact["hn"], "tzul"), "--to", "gt_police", "--db", compact["hn"],
       *JUSTIFY)
    [share] = json.loads(ok("inbox", *remote, "--json"))
    assert (share["sender"], share["records"]) == ("hn_police", 1)
    assert share["share_id"] in " ".join(ok("inbox", *remote).split())


def test_request_and_consent_lists_print_json(compact: dict) -> None:
    remote = ["--node", f"http://127.0.0.1:{compact['port']}", "--token", compact["token"]]
    assert json.loads(ok("consent", "list", *remote, "--json")) == []
    assert json.loads(ok("request", "list", *remote, *JUSTIFY, "--json")) == []


def test_review_and_judge_ask_the_running_node(
    tmp_path: Path, agency_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The linkage review queue while the node serves; the judgement is the token's user's."""
    monkeypatch.delenv("CRUCE_DIRECTORY", raising=False)
    csv = agency_dir / "personas.csv"
    first = csv.read_text().splitlines()[1]
    csv.write_text(csv.read_text() + first.replace("HN-1,", "HN-5,").replace("9988-7766",
                                                                             "9988-7767") + "\n")
    db = str(tmp_path / "hn.duckdb")
    ok("ingest", str(agency_dir / "mapping.yml"), "--db", db, "--create")
    ok("link", "--db", db)
    token = ok("users", "add", "rita", "--role", "analyst", "--db", db).strip().splitlines()[-1]
    port = free_port()
    server = serve(db, port)
    try:
        remote = ["--node", f"http://127.0.0.1:{port}", "--token", token]
        [pair] = json.loads(ok("review", *remote, "--json"))
        assert pair["probability"] > 0.5
        table = ok("review", *remote)
        assert pair["left_id"] in table and pair["right_id"] in table
        said = ok("judge", pair["left_id"], pair["right_id"], "same", "--why", "same phone owner",
                  *remote)
        assert " ".join(said.split()) == f"{pair['left_id']} same {pair['right_id']} (by rita)"
        assert json.loads(ok("review", *remote, "--json")) == []
    finally:
        server.kill()
        server.wait()
    with Node.open(db) as node:
        assert [(j.user, j.reason) for j in node.linkage.judgements()] == [
            ("rita", "same phone owner")]


def test_inbox_and_outbox_of_a_node_outside_the_compact_are_empty(serving: dict) -> None:
    """A node with no directory configured has received and sent nothing: the lists are
    empty, through its running server as from its store."""
    remote = serving["remote"]
    for command in ("inbox", "outbox"):
        assert json.loads(ok(command, *remote, "--json")) == []
        assert "Error" not in ok(command, *remote)
    serving["server"].kill()
    serving["server"].wait()
    for command in ("inbox", "outbox"):
        assert json.loads(ok(command, "--db", serving["db"], "--json")) == []


def test_bad_request_options_are_one_line_with_exit_2(serving: dict) -> None:
    """A date that is no date is refused here; a value the server's schema refuses (422)
    comes back as the caller's error, exit 2, not as a bug."""
    remote = serving["remote"]
    send = ["request", "send", "--to", "gt_police", "--subject", "Alias", "--text", "Hold it?",
            *remote, *JUSTIFY]
    late = runner.invoke(app, [*send, "--deadline", "2026-13-05"])
    assert late.exit_code == 2, (late.output, late.exception)
    assert late.stderr.splitlines() == [
        "Error: --deadline '2026-13-05' is not a date (YYYY-MM-DD)"]
    odd = runner.invoke(app, [*send, "--priority", "whenever"])
    assert odd.exit_code == 2, (odd.output, odd.exception)
    assert odd.stderr.splitlines() == [
        "Error: body.priority: Input should be 'low', 'normal', 'high' or 'urgent'"]
