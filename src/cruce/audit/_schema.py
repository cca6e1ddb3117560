"""What a logged event must look like, checked on bytes that come from outside the process.

The log's socket owner (`_service`) receives encoded events from writers in other processes.
It logs a frame only if it is an event exactly as `AccessEvent.encode` writes it: UTF-8 JSON
of the event schema below, in canonical form (sorted keys, no white space), with bounded
justification. One frame of anything else, once signed into the log, would verify "ok" and
then break every export and every reader of the log for good (issue 10 #17).

    check_encoded(event.encode())          # passes
    check_encoded(b"not json")             # InvalidInput: ... is not JSON
"""

from __future__ import annotations

import json
import re
from typing import Any

from cruce.audit._events import ENCODING_VERSION, Justification, Operation, canonical
from cruce.errors import InvalidInput

_KEYS = frozenset({"actor", "at", "batch", "details", "justification", "op", "recipients",
                   "record_count", "record_digest", "record_ids", "v"})
_ACTOR_KEYS = frozenset({"agency", "role", "user"})
_WHY_KEYS = frozenset({"case_reference", "legal_basis", "purpose", "text"})
_OPERATIONS = frozenset(op.value for op in Operation)
_AT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
_DIGEST = re.compile(r"[0-9a-f]{64}")
MAX_NAME = 256  # an agency, user, role, batch, record id or recipient


def check_encoded(payload: bytes) -> None:
    """Raise InvalidInput (saying what is wrong) unless `payload` is a canonical event."""
    try:
        event = json.loads(payload)
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput("it is not UTF-8 JSON") from None
    if not isinstance(event, dict):
        raise InvalidInput("it is not a JSON object")
    _check_fields(event)
    try:
        same = canonical(event).encode("utf-8") == payload
    except (UnicodeEncodeError, ValueError):  # a lone surrogate, a NaN
        same = False
    if not same:
        raise InvalidInput("it is not in canonical form (sorted keys, no white space)")


def _check_fields(event: dict[str, Any]) -> None:
    if set(event) != _KEYS:
        missing, extra = sorted(_KEYS - set(event)), sorted(set(event) - _KEYS)
        raise InvalidInput(f"its fields differ from an event's (missing {missing}, extra {extra})")
    if event["v"] != ENCODING_VERSION or type(event["v"]) is not int:
        raise InvalidInput(f"its encoding version is not {ENCODING_VERSION}")
    if event["op"] not in _OPERATIONS:
        raise InvalidInput(f"its operation is not one of {', '.join(sorted(_OPERATIONS))}")
    if not isinstance(event["at"], str) or not _AT.fullmatch(event["at"]):
        raise InvalidInput("its time is not UTC text like 2026-01-01T00:00:00.000000Z")
    _check_part(event["actor"], _ACTOR_KEYS, "actor")
    for name in sorted(_ACTOR_KEYS):
        _check_name(event["actor"][name], f"actor {name}")
    _check_part(event["justification"], _WHY_KEYS, "justification")
    Justification(**event["justification"])  # the same bounds as every in-process event
    if event["batch"] is not None:
        _check_name(event["batch"], "batch")
    if not isinstance(event["details"], dict):
        raise InvalidInput("its details are not a JSON object")
    for name in ("record_ids", "recipients"):
        if not isinstance(event[name], list):
            raise InvalidInput(f"its {name} are not a list")
        for value in event[name]:
            _check_name(value, name)
    _check_count(event)


def _check_part(part: Any, keys: frozenset[str], name: str) -> None:
    if not isinstance(part, dict) or set(part) != keys:
        raise InvalidInput(f"its {name} is not an object of {', '.join(sorted(keys))}")


def _check_name(value: Any, name: str) -> None:
    if not isinstance(value, str) or len(value) > MAX_NAME:
        raise InvalidInput(f"its {name} is not text of at most {MAX_NAME} characters")


def _check_count(event: dict[str, Any]) -> None:
    count, digest = event["record_count"], event["record_digest"]
    if count is not None and (type(count) is not int or count < 0):
        raise InvalidInput("its record_count is not a count")
    if digest is not None and (not isinstance(digest, str) or not _DIGEST.fullmatch(digest)):
        raise InvalidInput("its record_digest is not a SHA-256 hex digest")
