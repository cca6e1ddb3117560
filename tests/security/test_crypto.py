"""Hostile tests of signed node-to-node requests, over real HTTP between real node processes.

An insider who captures one node's signed request (a peer audit cross-check) tries to replay it
to another node, to change its query, or to send it again: each is refused. The signature binds
the method, the asking node, the node it is meant for, the path and the whole query string.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.nodes._harness import HOST, RunningNode, cruce, free_port
from tests.security._three_nodes import running_compact

from cruce.share import NodeKeys
from cruce.share._requests import sign_request

PEER_HEAD = "/api/v1/audit/peer-head"


@pytest.fixture(scope="module")
def compact(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, RunningNode]]:
    """Three member nodes (DuckDB), started through the CLI as an agency would."""
    with running_compact(tmp_path_factory, ("hn_police", "gt_police", "sv_police"),
                         "crypto") as nodes:
        yield nodes


def keys_of(node: RunningNode) -> NodeKeys:
    return NodeKeys.load(node.env["CRUCE_KEYS_DIR"])


def get(node: RunningNode, url: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.get(node.base_url + url, headers=headers, timeout=15)


def signed_by_gt(compact: dict[str, RunningNode], url: str, target: str) -> dict[str, str]:
    return sign_request(keys_of(compact["gt_police"]), "gt_police", "GET", url, target=target)


def test_a_request_signed_for_a_node_is_answered_by_it(compact) -> None:
    url = f"{PEER_HEAD}?known_size=0"
    answer = get(compact["hn_police"], url, signed_by_gt(compact, url, "hn_police"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["agency"] == "hn_police"


def test_a_request_replayed_to_another_node_is_refused(compact) -> None:
    url = f"{PEER_HEAD}?known_size=0"
    headers = signed_by_gt(compact, url, "hn_police")
    replay = get(compact["sv_police"], url, headers)
    assert replay.status_code == 403, replay.text
    assert replay.json()["error"]["type"] == "PermissionDenied"


def test_a_replay_that_renames_the_target_does_not_verify(compact) -> None:
    url = f"{PEER_HEAD}?known_size=0"
    headers = signed_by_gt(compact, url, "hn_police") | {"X-Cruce-Target": "sv_police"}
    replay = get(compact["sv_police"], url, headers)
    assert replay.status_code == 401, replay.text
    assert replay.json()["error"]["type"] == "NotAuthenticated"


@pytest.mark.parametrize("sent", [
    f"{PEER_HEAD}?known_size=1",  # changed value
    PEER_HEAD,  # query dropped
    f"{PEER_HEAD}?known_size=0&known_size=1",  # parameter repeated
    f"{PEER_HEAD}?known_size=0&pad=1",  # parameter added
])
def test_a_request_with_an_altered_query_is_refused(compact, sent: str) -> None:
    headers = signed_by_gt(compact, f"{PEER_HEAD}?known_size=0", "hn_police")
    answer = get(compact["hn_police"], sent, headers)
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"]["type"] == "NotAuthenticated"


def test_the_query_is_signed_in_canonical_order(compact) -> None:
    headers = signed_by_gt(compact, f"{PEER_HEAD}?pad=x&known_size=0", "hn_police")
    answer = get(compact["hn_police"], f"{PEER_HEAD}?known_size=0&pad=x", headers)
    assert answer.status_code == 200, answer.text


def test_a_request_replayed_to_the_same_node_is_refused(compact) -> None:
    url = f"{PEER_HEAD}?known_size=0"
    headers = signed_by_gt(compact, url, "hn_police")
    assert get(compact["hn_police"], url, headers).status_code == 200
    replay = get(compact["hn_police"], url, headers)
    assert replay.status_code == 409, replay.text
    assert replay.json()["error"]["type"] == "Conflict"


def test_a_request_signed_by_a_key_outside_the_directory_is_refused(compact) -> None:
    url = f"{PEER_HEAD}?known_size=0"
    forged = sign_request(NodeKeys.generate(), "gt_police", "GET", url, target="hn_police")
    answer = get(compact["hn_police"], url, forged)
    assert answer.status_code == 401, answer.text


def test_a_node_whose_directory_does_not_verify_stops_at_start(
        compact, tmp_path: Path) -> None:
    """A directory not signed by the authority key the node was given: `cruce node serve`
    exits with one clear error instead of serving and failing every share."""
    env = dict(compact["hn_police"].env, CRUCE_KEYS_DIR=str(tmp_path / "keys"),
               CRUCE_AUTHORITY_KEY=str(tmp_path / "other.pub.pem"))
    cruce("directory", "keygen", "--out", str(tmp_path / "other"), env=env)
    (tmp_path / "other.pub.pem").write_bytes((tmp_path / "other" / "authority.pub.pem").read_bytes())
    db = str(tmp_path / "mx_migration.duckdb")
    cruce("init", "--db", db, "--agency", "mx_migration", env=env)
    served = subprocess.run(
        [sys.executable, "-m", "cruce", "node", "serve", "--db", db, "--host", HOST,
         "--port", str(free_port())],
        capture_output=True, text=True, env=env, timeout=120, check=False)
    assert served.returncode == 2, served.stdout + served.stderr
    lines = served.stderr.strip().splitlines()
    assert lines == [
        f"Error: the directory {env['CRUCE_DIRECTORY']} does not verify under the compact "
        "authority key (CRUCE_AUTHORITY_KEY): get the directory the authority signed, or its key"
    ], served.stderr
