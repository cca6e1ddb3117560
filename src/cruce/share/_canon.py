"""Canonical JSON and strict base64: the exact bytes that get signed."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from cruce.errors import InvalidInput


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: one byte string per value, so signatures are stable."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def b64e(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64d(text: Any, what: str) -> bytes:
    """Decode base64 that must be in canonical form (no stray padding bits, no whitespace).

    Non-canonical spellings decode to the same bytes; refusing them keeps every signed field
    one-to-one with its value.
    """
    if not isinstance(text, str):
        raise InvalidInput(f"{what}: expected base64 text")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(f"{what}: not valid base64") from None
    if b64e(data) != text:
        raise InvalidInput(f"{what}: base64 is not in canonical form")
    return data


def parse_time(text: Any, what: str) -> datetime:
    """An ISO 8601 timestamp with a time zone (naive times are ambiguous across five countries)."""
    if not isinstance(text, str):
        raise InvalidInput(f"{what}: expected an ISO 8601 timestamp")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{what}: {text!r} is not an ISO 8601 timestamp") from None
    return require_aware(value, what)


def require_aware(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{what}: the timestamp needs a time zone (use UTC)")
    return value


def aware(value: Any) -> datetime:
    """A timestamp read back from a store (a datetime, or ISO text), in UTC if it has no zone."""
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return at if at.tzinfo else at.replace(tzinfo=UTC)
