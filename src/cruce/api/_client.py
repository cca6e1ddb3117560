"""A small client for a running node's API, used by the CLI's networked commands.

    >>> client = NodeClient("http://127.0.0.1:8700", "cruce_…")   # doctest: +SKIP
    >>> client.get("/api/v1/me")                                   # doctest: +SKIP

An error answer becomes the cruce error of the same type, with the server's message.
"""

from __future__ import annotations

from typing import Any

import httpx

from cruce import errors
from cruce.audit import Justification


class NodeClient:
    def __init__(self, url: str, token: str, timeout: float = 60.0) -> None:
        if not url or not token:
            raise errors.InvalidInput("this command talks to a running node: give --node URL "
                                      "and --token (or CRUCE_NODE and CRUCE_TOKEN)")
        self.http = httpx.Client(base_url=url.rstrip("/"), timeout=timeout,
                                 headers={"Authorization": f"Bearer {token}"})

    def get(self, path: str, why: Justification | None = None,
            params: dict[str, str] | None = None) -> Any:
        return self._call("GET", path, why, params=params)

    def post(self, path: str, body: Any = None, why: Justification | None = None) -> Any:
        return self._call("POST", path, why, json=body if body is not None else {})

    def _call(self, method: str, path: str, why: Justification | None, **kwargs: Any) -> Any:
        return self.answer(method, path, why, **kwargs).json()

    def answer(self, method: str, path: str, why: Justification | None = None,
               **kwargs: Any) -> httpx.Response:
        """The whole answer (headers such as X-Cruce-Withheld, or a JSON-lines body); an
        error answer raises as `get` and `post` do."""
        headers = {}
        if why is not None:
            headers = {"X-Cruce-Purpose": why.purpose, "X-Cruce-Case": why.case_reference,
                       "X-Cruce-Why": why.text}
        try:
            response = self.http.request(method, path, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            raise errors.InvalidInput(f"cannot reach the node at {self.http.base_url}: {exc}"
                                      ) from None
        if response.status_code >= 400:
            raise _error(response)
        return response

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> NodeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _error(response: httpx.Response) -> errors.CruceError:
    try:
        body = response.json()["error"]
        kind, message = str(body["type"]), str(body["message"])
    except (ValueError, KeyError, TypeError):
        kind, message = "CruceError", f"HTTP {response.status_code}: {response.text[:200]}"
    cls = getattr(errors, kind, None)
    if not (isinstance(cls, type) and issubclass(cls, errors.CruceError)) or kind == "BadRow":
        # A kind of the server's own (InvalidRequest, TooManyRequests…): its status says whose
        # fault it is, so a 4xx stays the caller's error (exit 2), not a bug.
        cls = errors.InvalidInput if 400 <= response.status_code < 500 else errors.CruceError
    error = cls.__new__(cls)
    errors.CruceError.__init__(error, message)
    return error
