"""`cruce network ENTITY_ID --depth N --format gexf|json|csv --out FILE --db NODE`, through
Typer's runner: files written, exact error lines, the consultation in the node's audit log."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import networkx as nx
import pytest
from tests.network.conftest import PHONE
from typer.testing import CliRunner

from cruce import Node
from cruce.api import Users
from cruce.cli import app

runner = CliRunner()
JUSTIFIED = ["--purpose", "gangs_organized_crime", "--case", "HN-2026-0042"]


def cruce(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--user", "ana.lopez", *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


def test_network_writes_gephi_gexf_of_both_agencies(hn_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "net.gexf"
    code, _, err = cruce("network", "hn-p1", "--depth", "2", "--format", "gexf", "--out", out,
                         "--db", hn_db, *JUSTIFIED)
    assert code == 0, err
    graph = nx.read_gexf(out)
    assert {d.get("agency") for _, d in graph.nodes(data=True)} >= {"hn_police", "gt_police"}
    assert "6 nodes, 5 links; 1 withheld" in err


def test_network_json_and_csv_name_the_same_links(hn_db: Path, tmp_path: Path) -> None:
    for fmt in ("json", "csv"):
        code, _, err = cruce("network", "hn-p1", "--format", fmt, "--out", tmp_path / f"n.{fmt}",
                             "--db", hn_db, *JUSTIFIED)
        assert code == 0, err
    doc = json.loads((tmp_path / "n.json").read_text(encoding="utf-8"))
    rows = (tmp_path / "n.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert len(rows) == len(doc["links"]) == 3
    assert any(row.startswith(f"gt-p1,Pedro Cruz Tzul,gt_police,phone,phone:{PHONE}")
               for row in rows)


def test_network_path_to_another_entity(hn_db: Path) -> None:
    code, out, err = cruce("network", "hn-p2", "--to", "gt-p2", "--depth", "3", "--db", hn_db,
                           *JUSTIFIED)
    assert code == 0, err
    assert json.loads(out)["path"] == ["hn-p2", "hn-org", "hn-p1", f"phone:{PHONE}", "gt-p1",
                                       "gt-p2"]
    assert "path of 5 links" in err


def test_network_is_logged_under_the_operator_and_case(hn_db: Path) -> None:
    code, _, err = cruce("network", "hn-p1", "--db", hn_db, *JUSTIFIED, "--why", "map the clica")
    assert code == 0, err
    with Node.open(hn_db) as node:
        assert node.audit is not None
        events = [e.event for e in node.audit.iter_events()
                  if e.event["details"].get("network") == "hn-p1"]
    assert events and events[-1]["actor"]["user"] == "ana.lopez"
    assert events[-1]["justification"]["text"] == "map the clica"


def test_network_refuses_without_a_justification_or_a_known_format(hn_db: Path) -> None:
    code, _, err = cruce("network", "hn-p1", "--db", hn_db)
    assert (code, err.strip()) == (2, "Error: a consultation needs a justification: give "
                                      "--purpose and --case (or CRUCE_PURPOSE and CRUCE_CASE)")
    code, _, err = cruce("network", "hn-p1", "--format", "dot", "--db", hn_db, *JUSTIFIED)
    assert (code, err.strip()) == (2, "Error: --format 'dot': choose gexf, json or csv")
    code, _, err = cruce("network", "hn-p1", "--depth", "4", "--db", hn_db, *JUSTIFIED)
    assert (code, err.strip()) == (2, "Error: depth 4: give 1 to 3")


def test_network_refuses_a_record_the_purpose_may_not_read(hn_db: Path) -> None:
    code, _, err = cruce("network", "hn-x", "--db", hn_db, *JUSTIFIED)
    assert code == 2
    assert err.startswith("Error: record 'hn-x' was collected for a purpose not compatible")


@pytest.fixture()
def serving(hn_db: Path) -> Iterator[tuple[str, str]]:
    """hn's node served by `cruce node serve` on 127.0.0.1 (its store is the server's now),
    and an analyst's token."""
    with Node.open(hn_db) as node:
        token = Users(node.store).add("ana.lopez", "analyst")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "cruce", "node", "serve", "--db",
                               str(hn_db), "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/api/v1/me", timeout=1.0).status_code == 401:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url, token
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_network_asks_the_running_node_for_its_file(serving: tuple[str, str],
                                                     tmp_path: Path) -> None:
    url, token = serving
    out = tmp_path / "net.gexf"
    code, _, err = cruce("network", "hn-p1", "--depth", "2", "--format", "gexf", "--out", out,
                         "--node", url, "--token", token, *JUSTIFIED)
    assert code == 0, err
    assert {"hn-p2", "gt-p2"} <= {n.split(":", 1)[-1] for n in nx.read_gexf(out).nodes}
    code, out_text, err = cruce("network", "hn-p2", "--to", "gt-p2", "--depth", "3", "--node",
                                url, "--token", token, *JUSTIFIED)
    assert code == 0, err
    assert json.loads(out_text)["path"][-1] == "gt-p2"
    code, _, err = cruce("network", "hn-x", "--node", url, "--token", token, *JUSTIFIED)
    assert code == 2 and err.startswith("Error: record 'hn-x' was collected for a purpose")
