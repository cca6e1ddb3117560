"""Fuzzing the node API from its own OpenAPI spec (schemathesis, in-process over ASGI).

Every operation, as an analyst and as an oversight user, with valid and invalid (negative-mode)
inputs; the token and the X-Cruce-* justification headers are mostly good but sometimes missing,
forged or garbage. Whatever comes in: never a 5xx, and every error is the one JSON shape
`{"error": {"status", "type", "message"}}` with `status` equal to the HTTP status.
"""

from __future__ import annotations

import atexit
import json
import random
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.openapi import from_asgi
from tests.conftest import MAPPING, ROWS, write_csv

from cruce import Node
from cruce.api import Users, create_app

pytestmark = pytest.mark.slow

FUZZ_ROLES = ("analyst", "oversight")
EXAMPLES = 110  # per operation and role: 7 operations x 2 roles x up to 110 > 1,000 requests
WHY = {"X-Cruce-Purpose": "gangs_organized_crime", "X-Cruce-Case": "HN-2026-0042",
       "X-Cruce-Why": "fuzzing"}
BAD_TOKENS = ("", "Bearer ", "Bearer nope", "Bearer cruce_forged", "Basic dXNlcjpwYXNz",
              "bearer cruce_", "Bearer cruce_" + "A" * 500)
SENT: Counter[str] = Counter()


def _open_node() -> tuple[Node, Path]:
    """The node under test, opened at import: schemathesis must read the spec to make the tests.

    (`schemathesis.pytest.from_fixture`, the lazy way, fails on pytest 9: it sets
    `request.node._nodeid`, which pytest 9 items no longer have.) The data and users are added
    by the `fuzz_node` fixture, so collecting this module costs only an empty DuckDB file.
    """
    folder = Path(tempfile.mkdtemp(prefix="cruce_fuzz_"))
    node = Node.open(folder / "node.duckdb", agency="hn_police")
    _join_compact(node)

    def cleanup() -> None:
        node.close()
        shutil.rmtree(folder, ignore_errors=True)

    atexit.register(cleanup)
    return node, folder


def _join_compact(node: Node) -> None:
    """A member of a compact whose other member never answers (127.0.0.1:1 refuses at once):
    shares, requests and consents run for real and stay in the outbox."""
    from datetime import UTC, datetime, timedelta

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from cruce.share import Directory, Member, NodeKeys

    authority, now = Ed25519PrivateKey.generate(), datetime.now(UTC)
    keys = {agency: NodeKeys.generate() for agency in ("hn_police", "gt_police")}
    members = [Member(a, a[:2].upper(), "http://127.0.0.1:1/", k.public().signing,
                      k.public().encryption, now - timedelta(days=1), now + timedelta(days=30))
               for a, k in keys.items()]
    signed = Directory.sign(members, authority, serial=1, issued_at=now)
    node.configure_sharing(keys["hn_police"], Directory.load(signed, authority.public_key()))


@schemathesis.serializer("application/x-ndjson")
def _json_lines(ctx: Any, value: Any) -> bytes:
    items = value if isinstance(value, list) else [value]
    return "".join(json.dumps(item) + "\n" for item in items).encode("utf-8")


NODE, FOLDER = _open_node()
NODE_APP = create_app(NODE)
schema = from_asgi("/openapi.json", NODE_APP)
schema.config.generation.update(modes=["positive", "negative"])


@pytest.fixture(scope="module")
def fuzz_node() -> tuple[Node, dict[str, str]]:
    """The node with the fixture data and one user per fuzzed role (made once)."""
    if not NODE.store._query("SELECT 1 FROM users LIMIT 1"):
        (FOLDER / "mapping.yml").write_text(MAPPING, encoding="utf-8")
        write_csv(FOLDER / "personas.csv", ROWS)
        NODE.ingest(FOLDER / "personas.csv", mapping=FOLDER / "mapping.yml")
        users = Users(NODE.store)
        TOKENS.update({role: users.add(f"fuzz.{role}", role) for role in FUZZ_ROLES})
    return NODE, TOKENS


TOKENS: dict[str, str] = {}


def with_auth(headers: dict[str, Any] | None, token: str, rng: random.Random) -> dict[str, str]:
    """Mostly a good token and good justification; sometimes none, a bad one, or what the
    generator made (including nothing at all)."""
    out = {str(k): str(v) for k, v in (headers or {}).items()}
    roll = rng.random()
    if roll < 0.75:
        out["Authorization"] = f"Bearer {token}"
    elif roll < 0.9:
        out["Authorization"] = rng.choice(BAD_TOKENS)
    else:
        out.pop("Authorization", None)
    if rng.random() < 0.6:
        out.update({k: v for k, v in WHY.items() if rng.random() < 0.9})
    return out


def assert_error_shape(response: Any) -> None:
    status = response.status_code
    if status < 400:
        return
    content_type = response.headers.get("content-type") or [""]  # schemathesis: name -> values
    assert content_type[0].startswith("application/json"), (
        f"{status} without a JSON body: {response.text[:200]!r}")
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"status", "type", "message"}, body
    assert error["status"] == status, body
    assert isinstance(error["type"], str) and error["type"], body
    assert isinstance(error["message"], str), body


FUZZ_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(HealthCheck))


def fuzz_one(case: Any, role: str, fuzz_node: tuple[Node, dict[str, str]]) -> None:
    _, tokens = fuzz_node
    key = f"{role} {case.operation.label}"
    case.headers = with_auth(case.headers, tokens[role], random.Random(SENT[key]))
    if isinstance(case.body, dict) and "deliver" in case.body:
        case.body["deliver"] = False  # never let a fuzzed share go out over the network
    response = case.call()
    SENT[key] += 1
    case.validate_response(response, checks=[not_a_server_error])
    assert_error_shape(response)


# One test per role: schemathesis runs every operation of a test as one pytest item per
# operation, which mixes neither with pytest.mark.parametrize nor with a parametrized fixture.
@schema.parametrize()
@FUZZ_SETTINGS
def test_fuzzed_requests_as_analyst_get_no_5xx_and_one_error_shape(
    case: Any, fuzz_node: tuple[Node, dict[str, str]]
) -> None:
    fuzz_one(case, "analyst", fuzz_node)


@schema.parametrize()
@FUZZ_SETTINGS
def test_fuzzed_requests_as_oversight_get_no_5xx_and_one_error_shape(
    case: Any, fuzz_node: tuple[Node, dict[str, str]]
) -> None:
    fuzz_one(case, "oversight", fuzz_node)


def test_the_fuzzing_sent_at_least_1000_requests_over_every_operation_and_role() -> None:
    if not SENT:
        pytest.skip("the fuzz tests did not run in this session")
    operations = {label.split(" ", 1)[1] for label in SENT}
    spec = NODE_APP.openapi()["paths"]
    assert len(operations) == sum(len(methods) for methods in spec.values()), SENT
    assert {label.split(" ", 1)[0] for label in SENT} == set(FUZZ_ROLES), SENT
    assert sum(SENT.values()) >= 1000, SENT
    print(f"\nfuzzed requests: {sum(SENT.values())} {dict(SENT)}")


@pytest.mark.parametrize(("method", "path"), [("POST", "/api/v1/me"), ("DELETE", "/api/v1/search"),
                                              ("GET", "/api/v1/no-such-route")])
def test_routing_errors_get_the_one_error_shape(method: str, path: str) -> None:
    from fastapi.testclient import TestClient

    with TestClient(create_app(NODE), raise_server_exceptions=False) as client:
        response = client.request(method, path)
    assert response.status_code in (404, 405)
    assert set(response.json()) == {"error"}, response.json()
