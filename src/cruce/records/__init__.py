"""Records: FollowTheMoney entities wrapped in envelopes that say how they may be used."""

from cruce.records._envelope import Envelope, Provenance, protect_victim
from cruce.records._record import Record, make_entity
from cruce.records._vocab import (
    TLP,
    HandlingCode,
    InformationAccuracy,
    PurposeArea,
    SourceReliability,
    SubjectCategory,
)

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
