"""Access events: what the EU law-enforcement directive (2016/680, Art. 25) requires a node to log.

Every read and write of records passes through the store's access point, which emits one
`AccessEvent` per operation. The audit log appends their canonical encoding to a Merkle log.
An event never holds case data: record ids, counts and digests only (an erasure event in
particular never copies what was erased).
"""

from __future__ import annotations

import hashlib
import json
import json.encoder
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from json.encoder import encode_basestring
from typing import Any

from cruce.errors import InvalidInput

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
    ADMINISTRATION = "administration"  # user management: who may use the node (no records)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acted: the agency, the user inside it, and the user's role."""

    agency: str
    user: str
    role: str = "system"

    def to_dict(self) -> dict[str, str]:
        return {"agency": self.agency, "user": self.user, "role": self.role}


# Every event stores its justification whole: bounded here, where every path to the log
# passes (a 60 KB header stored in each entry grew the log by 60 KB per read; issue 10 #11).
MAX_PURPOSE = 64
MAX_LEGAL_BASIS = 256
MAX_CASE_REFERENCE = 64
MAX_JUSTIFICATION_TEXT = 2000


@dataclass(frozen=True, slots=True)
class Justification:
    """Why: the purpose area, the legal basis, the case reference and free text.

    Each part is text of bounded length (InvalidInput beyond it): the purpose 64 characters,
    the legal basis 256, the case reference 64, the free text 2,000.
    """

    purpose: str
    legal_basis: str = ""
    case_reference: str = ""
    text: str = ""

    def __post_init__(self) -> None:
        for name, value, limit in (
            ("purpose", self.purpose, MAX_PURPOSE),
            ("legal basis", self.legal_basis, MAX_LEGAL_BASIS),
            ("case reference", self.case_reference, MAX_CASE_REFERENCE),
            ("justification text", self.text, MAX_JUSTIFICATION_TEXT),
        ):
            if not isinstance(value, str):
                raise InvalidInput(f"the {name} must be text, not {type(value).__name__}")
            if len(value) > limit:
                raise InvalidInput(
                    f"{name} of {len(value)} characters: at most {limit} are kept in the "
                    "audit log; shorten it (put long explanations in the case file)"
                )

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


# The C encoder that `_CANONICAL.encode` builds on every call, built once: the same output
# for the same input (no circular-reference bookkeeping: see `_details`).
_c_make_encoder: Callable[..., Callable[[Any, int], Sequence[str]]] | None = getattr(
    json.encoder, "c_make_encoder", None
)
_c_dump = (
    _c_make_encoder(None, _CANONICAL.default, _str, None, ":", ",", True, False, True)
    if _c_make_encoder is not None
    else None
)


def _opt(text: str | None) -> str:
    return "null" if text is None else _str(text)


def _strs(texts: list[str] | tuple[str, ...]) -> str:
    return "[" + ",".join(map(_str, texts)) + "]" if texts else "[]"


def canonical(value: Any) -> str:
    """The reference canonical JSON: sorted keys, no white space, UTF-8 text as is."""
    return _dump(value)


def _details(details: dict[str, Any]) -> str:
    if not details:
        return "{}"
    if _c_dump is not None and type(details) is dict:
        try:
            return "".join(_c_dump(details, 0))
        except RecursionError:  # a self-containing dict: let the reference name the problem
            pass
    return _dump(details)


def _encode_part(part: Actor | Justification) -> str:
    # Keys in sorted order, as json.dumps(sort_keys=True) writes them.
    if isinstance(part, Actor):
        return (f'{{"agency":{_str(part.agency)},"role":{_str(part.role)},'
                f'"user":{_str(part.user)}}}')
    return (f'{{"case_reference":{_str(part.case_reference)},'
            f'"legal_basis":{_str(part.legal_basis)},"purpose":{_str(part.purpose)},'
            f'"text":{_str(part.text)}}}')


# Actors and justifications are few and shared by many events (a session's user, a case):
# their encodings are kept, keyed by object identity. The entry holds the object, so its id is
# not reused while the entry lives; the objects are frozen.
_PARTS_KEPT = 4096
_actors: dict[int, tuple[Actor, str]] = {}
_whys: dict[tuple[int, int], tuple[Justification, Operation, str]] = {}


def _actor_part(actor: Actor) -> str:
    kept = _actors.get(id(actor))
    if kept is not None and kept[0] is actor:
        return kept[1]
    text = _encode_part(actor)
    if len(_actors) >= _PARTS_KEPT:
        _actors.clear()
    _actors[id(actor)] = (actor, text)
    return text


def _why_op_part(why: Justification, operation: Operation) -> str:
    """'"justification":{...},"op":"..."': the two keys are neighbours in sorted order."""
    key = (id(why), id(operation))
    kept = _whys.get(key)
    if kept is not None and kept[0] is why and kept[1] is operation:
        return kept[2]
    text = f'"justification":{_encode_part(why)},"op":"{operation.value}"'
    if len(_whys) >= _PARTS_KEPT:
        _whys.clear()
    _whys[key] = (why, operation, text)
    return text


_seconds: dict[tuple[int, int, int, int, int, int], str] = {}  # 'YYYY-MM-DDTHH:MM:SS' of UTC


def _timestamp(at: datetime) -> str:
    """'2026-11-28T05:48:40.738562Z': UTC, microseconds, always the same width."""
    if at.tzinfo is not UTC:
        at = at.astimezone(UTC)
    # Events come in bursts within the same second: its text is formatted once.
    second = (at.year, at.month, at.day, at.hour, at.minute, at.second)
    prefix = _seconds.get(second)
    if prefix is None:
        if len(_seconds) >= _PARTS_KEPT:
            _seconds.clear()
        prefix = _seconds[second] = at.replace(tzinfo=None, microsecond=0).isoformat()
    return f"{prefix}.{at.microsecond:06d}Z"


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
        which a test checks): it runs on every logged operation, in the writer's thread.
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
        recipients = self.recipients
        text = (
            f'{{"actor":{_actor_part(self.actor)},"at":"{_timestamp(self.at)}",'
            f'"batch":{_opt(self.batch)},"details":{_details(self.details)},'
            f"{_why_op_part(self.justification, self.operation)},"
            f'"recipients":{_strs(sorted(recipients)) if recipients else "[]"},'
            f'"record_count":{"null" if count is None else int(count)},'
            f'"record_digest":{_opt(digest)},"record_ids":{_strs(ids)},"v":{ENCODING_VERSION}}}'
        )
        return text.encode("utf-8")

    @classmethod
    def decode(cls, data: bytes) -> dict[str, Any]:
        """The logged form of an event (ids beyond MAX_LISTED_IDS appear as a digest)."""
        decoded: dict[str, Any] = json.loads(data)
        return decoded
