"""Access events: what the EU law-enforcement directive (2016/680, Art. 25) requires a node to log.

Every read and write of records passes through the store's access point, which emits one
`AccessEvent` per operation. The audit log appends their canonical encoding to a Merkle log.
An event never holds case data: record ids, counts and digests only (an erasure event in
particular never copies what was erased).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from json.encoder import encode_basestring
from typing import Any

ENCODING_VERSION = 1
# Above this many ids an event carries the digest of the sorted ids instead of the ids; the
# store keeps which records belong to the batch, so the digest can be checked against it.
MAX_LISTED_IDS = 1000


class Operation(StrEnum):
    COLLECTION = "collection"
    ALTERATION = "alteration"
    CONSULTATION = "consultation"
    DISCLOSURE = "disclosure"
    COMBINATION = "combination"
    ERASURE = "erasure"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acted: the agency, the user inside it, and the user's role."""

    agency: str
    user: str
    role: str = "system"

    def to_dict(self) -> dict[str, str]:
        return {"agency": self.agency, "user": self.user, "role": self.role}


@dataclass(frozen=True, slots=True)
class Justification:
    """Why: the purpose area, the legal basis, the case reference and free text."""

    purpose: str
    legal_basis: str = ""
    case_reference: str = ""
    text: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "purpose": self.purpose,
            "legal_basis": self.legal_basis,
            "case_reference": self.case_reference,
            "text": self.text,
        }


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_dump = _CANONICAL.encode
_str = encode_basestring  # the C routine json.dumps itself uses for str with ensure_ascii=False


def _opt(text: str | None) -> str:
    return "null" if text is None else _str(text)


def _strs(texts: list[str]) -> str:
    return "[" + ",".join(map(_str, texts)) + "]"


def canonical(value: Any) -> str:
    """The reference canonical JSON: sorted keys, no white space, UTF-8 text as is."""
    return _dump(value)


def _encode_part(part: Actor | Justification) -> str:
    # Keys in sorted order, as json.dumps(sort_keys=True) writes them.
    if isinstance(part, Actor):
        return (f'{{"agency":{_str(part.agency)},"role":{_str(part.role)},'
                f'"user":{_str(part.user)}}}')
    return (f'{{"case_reference":{_str(part.case_reference)},'
            f'"legal_basis":{_str(part.legal_basis)},"purpose":{_str(part.purpose)},'
            f'"text":{_str(part.text)}}}')


def _timestamp(at: datetime) -> str:
    """'2026-11-28T05:48:40.738562Z': UTC, microseconds, always the same width."""
    utc = at.astimezone(UTC) if at.tzinfo is not UTC else at
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def digest_ids(ids: list[str]) -> str:
    """SHA-256 over the sorted ids, newline-joined: names a set of records without listing it."""
    h = hashlib.sha256()
    for record_id in sorted(ids):
        h.update(record_id.encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


@dataclass(frozen=True, slots=True)
class AccessEvent:
    """One logged operation on records."""

    operation: Operation
    actor: Actor
    justification: Justification
    record_ids: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    batch: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # For bulk operations the store may name the records by count and digest (computed where
    # the ids live) instead of handing over millions of ids.
    record_count: int | None = None
    record_digest: str | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.record_digest is not None:
            return self._head() | {
                "record_ids": [],
                "record_count": self.record_count,
                "record_digest": self.record_digest,
            }
        ids = sorted(self.record_ids)
        listed = len(ids) <= MAX_LISTED_IDS
        return self._head() | {
            "record_ids": ids if listed else [],
            "record_count": len(ids),
            "record_digest": None if listed else digest_ids(ids),
        }

    def _head(self) -> dict[str, Any]:
        return {
            "v": ENCODING_VERSION,
            "op": self.operation.value,
            "at": _timestamp(self.at),
            "actor": self.actor.to_dict(),
            "justification": self.justification.to_dict(),
            "recipients": sorted(self.recipients),
            "batch": self.batch,
            "details": self.details,
        }

    def encode(self) -> bytes:
        """Canonical encoding: UTF-8 JSON, sorted keys, no insignificant white space.

        Written field by field in sorted-key order (the same bytes as `canonical(to_dict())`,
        which a test checks): it runs on every logged operation, under the audit log's lock.
        """
        if self.record_digest is not None:
            ids: list[str] = []
            count, digest = self.record_count, self.record_digest
        else:
            ids = sorted(self.record_ids)
            count = len(ids)
            digest = None
            if count > MAX_LISTED_IDS:
                ids, digest = [], digest_ids(ids)
        text = (
            f'{{"actor":{_encode_part(self.actor)},"at":"{_timestamp(self.at)}",'
            f'"batch":{_opt(self.batch)},'
            f'"details":{_dump(self.details) if self.details else "{}"},'
            f'"justification":{_encode_part(self.justification)},'
            f'"op":"{self.operation.value}","recipients":{_strs(sorted(self.recipients))},'
            f'"record_count":{"null" if count is None else int(count)},'
            f'"record_digest":{_opt(digest)},"record_ids":{_strs(ids)},"v":{ENCODING_VERSION}}}'
        )
        return text.encode("utf-8")

    @classmethod
    def decode(cls, data: bytes) -> dict[str, Any]:
        """The logged form of an event (ids beyond MAX_LISTED_IDS appear as a digest)."""
        decoded: dict[str, Any] = json.loads(data)
        return decoded
