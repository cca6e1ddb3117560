"""Stable record ids: the same keys always give the same id, so re-ingesting never duplicates."""

from __future__ import annotations

from hashlib import sha1


def key_prefix(agency: str, dataset: str) -> str:
    """The id namespace of one agency's dataset; two agencies never share an id."""
    return f"{agency}/{dataset}"


def entity_id(prefix: str, key_values: list[str | None], key_literal: str = "") -> str | None:
    """FollowTheMoney's key rule: SHA-1 of prefix, literal and the sorted non-empty key values.

    >>> entity_id("hn_police/personas", ["HN-0001"])
    '8cf6ed4ce4177a191a6b204cc4556fac6802552c'
    """
    values = sorted(v.encode("utf-8") for v in key_values if v)
    if not values:
        return None
    digest = sha1(prefix.encode("utf-8"))
    digest.update(key_literal.encode("utf-8"))
    for value in values:
        digest.update(value)
    return digest.hexdigest()
