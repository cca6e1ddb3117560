"""Commands against a running node (`--node`, `--token`): while a node serves, its store is
locked by the server, so `search`, `show`, `export`, `stats`, `inbox`, `review` and `judge` ask
its API for the user the token names (the server logs each access under that user and role)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cruce.audit import Justification
from cruce.errors import InvalidInput

if TYPE_CHECKING:
    from cruce.api._client import NodeClient

NodeOption = Annotated[str, typer.Option(
    "--node", envvar="CRUCE_NODE",
    help="Ask your running node's API (e.g. http://127.0.0.1:8700) instead of opening --db.")]
TokenOption = Annotated[str, typer.Option(
    "--token", envvar="CRUCE_TOKEN", help="Your API token (with --node).")]


def client(node: str, token: str) -> NodeClient:
    from cruce.api._client import NodeClient

    return NodeClient(node, token)


def withheld(headers: Mapping[str, str]) -> int:
    try:
        return int(headers.get("X-Cruce-Withheld", "0"))
    except ValueError:
        raise InvalidInput("the node answered a bad X-Cruce-Withheld header") from None


def search(node: str, token: str, text: str, why: Justification, schema: str | None,
           limit: int) -> tuple[list[dict[str, Any]], int]:
    """(records as dicts, how many the purpose withheld)."""
    params: dict[str, Any] = {"q": text, "limit": limit}
    if schema:
        params["schema"] = schema
    with client(node, token) as api:
        answer = api.answer("GET", "/api/v1/search", why, params=params)
        return list(answer.json()), withheld(answer.headers)


def show(node: str, token: str, record_id: str, why: Justification) -> dict[str, Any]:
    from urllib.parse import quote

    with client(node, token) as api:
        record: dict[str, Any] = api.get(f"/api/v1/records/{quote(record_id, safe='')}", why)
        return record


def stats(node: str, token: str, groups: list[str]) -> list[dict[str, Any]]:
    with client(node, token) as api:
        rows: list[dict[str, Any]] = api.answer("GET", "/api/v1/stats",
                                                params={"by": groups}).json()
        return rows


def inbox(node: str, token: str) -> list[dict[str, Any]]:
    with client(node, token) as api:
        rows: list[dict[str, Any]] = api.get("/api/v1/shares/received")
        return rows


def review(node: str, token: str, limit: int) -> list[dict[str, Any]]:
    with client(node, token) as api:
        pairs: list[dict[str, Any]] = api.get("/api/v1/linkage/review",
                                              params={"limit": str(limit)})
        return pairs


def judge(node: str, token: str, left: str, right: str, verdict: str,
          reason: str) -> dict[str, str]:
    """The judgement as the server kept it (under the token's user)."""
    with client(node, token) as api:
        kept: dict[str, str] = api.post("/api/v1/linkage/judgements", {
            "left": left, "right": right, "verdict": verdict, "reason": reason})
        return kept


def export(node: str, token: str, why: Justification, schema: str | None,
           dataset: str | None) -> tuple[Iterator[str], int]:
    """(the JSON lines, how many the purpose withheld); the lines are read as they come."""
    params = {k: v for k, v in (("schema", schema), ("dataset", dataset)) if v}
    api = client(node, token)
    answer = api.answer("GET", "/api/v1/export", why, params=params)

    def lines() -> Iterator[str]:
        try:
            for line in answer.text.splitlines():
                if line.strip():
                    json.loads(line)  # only whole records reach the file
                    yield line
        finally:
            api.close()

    return lines(), withheld(answer.headers)


__all__ = ["NodeOption", "TokenOption", "export", "inbox", "judge", "review", "search", "show",
           "stats"]
