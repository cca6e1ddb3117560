"""Records: FollowTheMoney entities wrapped in envelopes that say how they may be used."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cruce.records._envelope import (
    ENVELOPE_FIELDS,
    POLICY_FIELDS,
    Envelope,
    Provenance,
    protect_victim,
)
from cruce.records._ids import MAX_ID_LENGTH, check_record_id, id_problem
from cruce.records._vocab import (
    TLP,
    HandlingCode,
    InformationAccuracy,
    PurposeArea,
    SourceReliability,
    SubjectCategory,
)

if TYPE_CHECKING:
    from cruce.records._record import Record, make_entity

__all__ = [
    "ENVELOPE_FIELDS",
    "MAX_ID_LENGTH",
    "POLICY_FIELDS",
    "TLP",
    "Envelope",
    "HandlingCode",
    "InformationAccuracy",
    "Provenance",
    "PurposeArea",
    "Record",
    "SourceReliability",
    "SubjectCategory",
    "check_record_id",
    "id_problem",
    "make_entity",
    "protect_victim",
]


def __getattr__(name: str) -> Any:
    # FollowTheMoney takes a second or two to import: only what builds entities loads it.
    if name in ("Record", "make_entity"):
        from cruce.records import _record

        return getattr(_record, name)
    raise AttributeError(f"module 'cruce.records' has no attribute {name!r}")
