"""Fuzzing the node API from its own OpenAPI spec (schemathesis, in-process over ASGI).

Every operation, as every role, with valid and invalid (negative-mode) inputs; the token and
the X-Cruce-* justification headers are mostly good but sometimes missing, forged or garbage.
Whatever comes in: never a 5xx, and every error is the one JSON shape
`{"error": {"status", "type", "message"}}` with `status` equal to the HTTP status.

Each test counts the requests it sent itself and checks the count (nothing is shared between
tests); the big run (`slow`, at least 5,000 requests) prints its count for bench/RESULTS.md.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.openapi import from_asgi
from tests.api._compact import join_compact
from tests.conftest import MAPPING, ROWS, write_csv

from cruce import Node
from cruce.api import Users, create_app

ROLES = ("analyst", "border_officer", "supervisor", "oversight", "admin")
WHY = {"X-Cruce-Purpose": "gangs_organized_crime", "X-Cruce-Case": "HN-2026-0042",
       "X-Cruce-Why": "fuzzing"}
BAD_TOKENS = ("", "Bearer ", "Bearer nope", "Bearer cruce_forged", "Basic dXNlcjpwYXNz",
              "bearer cruce_", "Bearer cruce_" + "A" * 500)


@schemathesis.serializer("application/x-ndjson")
def _json_lines(ctx: Any, value: Any) -> bytes:
    items = value if isinstance(value, list) else [value]
    return "".join(json.dumps(item) + "\n" for item in items).encode("utf-8")


class Fuzzed:
    """A node with the fixture data, one user per role, its app and the app's spec."""

    def __init__(self, folder: Path) -> None:
        self.node = Node.open(folder / "node.duckdb", agency="hn_police")
        join_compact(self.node)
        (folder / "mapping.yml").write_text(MAPPING, encoding="utf-8")
        write_csv(folder / "personas.csv", ROWS)
        self.node.ingest(folder / "personas.csv", mapping=folder / "mapping.yml")
        users = Users(self.node.store)
        # Names the generator will not hit: a fuzzed disable or rotate must not lock us out.
        self.tokens = {role: users.add(f"fuzz.{role.replace('_', '-')}.x7q", role)
                       for role in ROLES}
        self.app = create_app(self.node, every=None)
        self.schema = from_asgi("/openapi.json", self.app)

    def operations(self) -> list[Any]:
        return [result.ok() for result in self.schema.get_all_operations()]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    made = Fuzzed(tmp_path_factory.mktemp("fuzz"))
    yield made
    made.node.close()


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


def fuzz(fuzzed: Fuzzed, examples: int) -> Counter[str]:
    """Up to `examples` cases per operation, role and mode (positive, negative); the
    requests sent, by role and operation. Fails on the first 5xx or misshapen error."""
    sent: Counter[str] = Counter()
    for operation in fuzzed.operations():
        for role in ROLES:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                _fuzz_one(operation, role, fuzzed.tokens[role], mode, examples, sent)
    return sent


def _fuzz_one(operation: Any, role: str, token: str, mode: GenerationMode, examples: int,
              sent: Counter[str]) -> None:
    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode), rng=st.randoms(use_true_random=False))
    def send(case: Any, rng: random.Random) -> None:
        case.headers = with_auth(case.headers, token, rng)
        if isinstance(case.body, dict) and "deliver" in case.body:
            case.body["deliver"] = False  # never let a fuzzed share go out over the network
        response = case.call()
        sent[f"{role} {operation.label}"] += 1
        assert response.status_code < 500, (
            f"{role} {operation.label}: {response.status_code} {response.text[:300]}")
        assert_error_shape(response)

    try:
        send()
    except Unsatisfiable:
        # Nothing to make invalid (an operation without parameters or body, in negative
        # mode); the coverage check still requires its positive cases.
        assert mode is GenerationMode.NEGATIVE, f"{role} {operation.label}"


def _check_coverage(fuzzed: Fuzzed, sent: Counter[str], at_least: int) -> None:
    spec = fuzzed.app.openapi()["paths"]
    every = {f"{role} {method.upper()} {path}" for path, methods in spec.items()
             for method in methods for role in ROLES}
    assert set(sent) == every, sorted(every - set(sent))
    total = sum(sent.values())
    print(f"\nfuzzed requests: {total} over {len(spec)} paths, {len(every)} role x operation "
          f"pairs, 0 5xx")
    assert total >= at_least, total


def test_fuzzed_requests_as_every_role_get_no_5xx_and_one_error_shape(fuzzed: Fuzzed) -> None:
    """The quick run: a few cases of every operation as every role."""
    sent = fuzz(fuzzed, examples=2)
    _check_coverage(fuzzed, sent, at_least=len(sent))


@pytest.mark.slow
def test_at_least_5000_fuzzed_requests_as_every_role_get_no_5xx(fuzzed: Fuzzed) -> None:
    sent = fuzz(fuzzed, examples=20)
    _check_coverage(fuzzed, sent, at_least=5000)


@pytest.mark.parametrize(("method", "path"), [("POST", "/api/v1/me"), ("DELETE", "/api/v1/search"),
                                              ("GET", "/api/v1/no-such-route")])
def test_routing_errors_get_the_one_error_shape(fuzzed: Fuzzed, method: str, path: str) -> None:
    from fastapi.testclient import TestClient

    with TestClient(fuzzed.app, raise_server_exceptions=False) as client:
        response = client.request(method, path)
    assert response.status_code in (404, 405)
    assert set(response.json()) == {"error"}, response.json()
