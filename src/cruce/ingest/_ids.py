"""Stable record ids: the same keys always give the same id, so re-ingesting never duplicates."""

from __future__ import annotations

from hashlib import sha1


def key_prefix(agency: str, dataset: str) -> str:
    """The id namespace: the agency. Its local keys (subject ids, case numbers) name the same
    thing in every file it exports, so the arrests file's person is the register's person and
    the two files' fragments merge into one record; two agencies never share an id.
    (`dataset` is accepted for callers that name it; it does not change the namespace.)"""
    del dataset
    return agency


def entity_id(prefix: str, key_values: list[str | None], key_literal: str = "") -> str | None:
    """FollowTheMoney's key rule: SHA-1 of prefix, literal and the sorted non-empty key values.

    >>> entity_id("hn_police", ["HN-0001"])
    'e86d83eab0c5a1216d479186812826dfd41b5123'
    """
    values = sorted(v.encode("utf-8") for v in key_values if v)
    if not values:
        return None
    digest = sha1(prefix.encode("utf-8"))
    digest.update(key_literal.encode("utf-8"))
    for value in values:
        digest.update(value)
    return digest.hexdigest()
