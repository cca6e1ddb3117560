"""Records: FollowTheMoney entities wrapped in envelopes that say how they may be used."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cruce.records._envelope import Envelope, Provenance, protect_victim
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
    "TLP",
    "Envelope",
    "HandlingCode",
    "InformationAccuracy",
    "Provenance",
    "PurposeArea",
    "Record",
    "SourceReliability",
    "SubjectCategory",
    "make_entity",
    "protect_victim",
]


def __getattr__(name: str) -> Any:
    # FollowTheMoney takes a second or two to import: only what builds entities loads it.
    if name in ("Record", "make_entity"):
        from cruce.records import _record

        return getattr(_record, name)
    raise AttributeError(f"module 'cruce.records' has no attribute {name!r}")
