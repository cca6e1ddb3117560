"""The envelope: how a record may be used, carried with it wherever it goes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from functools import cache
from typing import Any

from cruce.errors import InvalidEnvelope
from cruce.records._vocab import (
    TLP,
    HandlingCode,
    InformationAccuracy,
    PurposeArea,
    SourceReliability,
    SubjectCategory,
)

_SLUG = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
_DATASET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a record came from: the file and the line (or row) in it."""

    file: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Envelope:
    """How one record may be used. Invalid envelopes cannot be built.

    >>> e = Envelope.build(agency="hn_police", dataset="personas", purpose="intelligence",
    ...     handling_code="H0", tlp="GREEN", source_reliability="B", information_accuracy="2",
    ...     retain_until="2031-01-01", subject_category="suspect")
    >>> e.tlp.value
    'GREEN'
    """

    agency: str
    dataset: str
    purpose: PurposeArea
    handling_code: HandlingCode
    tlp: TLP
    source_reliability: SourceReliability
    information_accuracy: InformationAccuracy
    retain_until: date
    subject_category: SubjectCategory | None = None
    handling_restriction: str | None = None
    is_shareable: bool = True
    provenance: Provenance = field(default_factory=Provenance)
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        check_envelope(self)

    @classmethod
    def build(cls, **values: Any) -> Envelope:
        """Build from plain values (strings from files, JSON or forms), naming any bad field."""
        return cls(**coerce_fields(values))

    @property
    def is_victim(self) -> bool:
        return self.subject_category is SubjectCategory.VICTIM

    def restamped(
        self, provenance: Provenance, created_at: datetime | None, updated_at: datetime | None
    ) -> Envelope:
        """This envelope with another provenance and times. The checked fields are unchanged,
        so the checks are not run again: a bulk share brings thousands of records under a
        handful of envelopes."""
        copy = object.__new__(Envelope)
        for name in self.__dataclass_fields__:
            object.__setattr__(copy, name, getattr(self, name))
        object.__setattr__(copy, "provenance", provenance)
        object.__setattr__(copy, "created_at", created_at)
        object.__setattr__(copy, "updated_at", updated_at)
        return copy

    def with_provenance(self, file: str | None, line: int | None) -> Envelope:
        return replace(self, provenance=Provenance(file, line))

    def to_dict(self) -> dict[str, Any]:
        # Field by field (dataclasses.asdict deep-copies recursively: slow for bulk shares).
        data: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, StrEnum):
                value = value.value
            elif isinstance(value, date | datetime):
                value = value.isoformat()
            elif isinstance(value, Provenance):
                value = {"file": value.file, "line": value.line}
            data[name] = value
        return data


_ENUMS: dict[str, type[StrEnum]] = {
    "purpose": PurposeArea,
    "handling_code": HandlingCode,
    "tlp": TLP,
    "source_reliability": SourceReliability,
    "information_accuracy": InformationAccuracy,
    "subject_category": SubjectCategory,
}


def coerce_fields(values: dict[str, Any]) -> dict[str, Any]:
    """Turn strings into the envelope's types; unknown fields and bad values are named."""
    known = set(Envelope.__dataclass_fields__)
    unknown = sorted(set(values) - known)
    if unknown:
        raise InvalidEnvelope(
            unknown[0], f"unknown field; known fields: {', '.join(sorted(known))}"
        )
    out = dict(values)
    for name, enum in _ENUMS.items():
        if out.get(name) is not None and not isinstance(out[name], enum):
            out[name] = coerce_enum(name, enum, out[name])
    if isinstance(out.get("retain_until"), str):
        out["retain_until"] = coerce_date("retain_until", out["retain_until"])
    if isinstance(out.get("provenance"), dict):
        out["provenance"] = Provenance(**out["provenance"])
    for name in ("created_at", "updated_at"):
        if isinstance(out.get(name), str):
            out[name] = datetime.fromisoformat(out[name])
    return out


def coerce_enum(name: str, enum: type[StrEnum], value: Any) -> StrEnum:
    text = str(value).strip()
    member = _members(enum).get(text.upper())
    if member is None:
        allowed = ", ".join(m.value for m in enum)
        raise InvalidEnvelope(name, f"{text!r} is not one of {allowed}")
    return member


@cache
def _members(enum: type[StrEnum]) -> dict[str, StrEnum]:
    # Vocabulary look-ups run for every field of every record of a bulk share or ingest.
    return {m.value.upper(): m for m in enum}


def coerce_date(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidEnvelope(name, f"{value!r} is not a date (YYYY-MM-DD)") from None


def check_envelope(env: Envelope) -> None:
    """The rules an envelope must keep; raises InvalidEnvelope naming the first field broken."""
    if not isinstance(env.agency, str) or not _SLUG.match(env.agency):
        raise InvalidEnvelope("agency", f"{env.agency!r} is not a lowercase slug like 'hn_police'")
    if not isinstance(env.dataset, str) or not _DATASET.match(env.dataset):
        raise InvalidEnvelope("dataset", f"{env.dataset!r} is not a dataset name")
    for name, enum in _ENUMS.items():
        value = getattr(env, name)
        if name == "subject_category" and value is None:
            continue
        if not isinstance(value, enum):
            raise InvalidEnvelope(name, f"{value!r} is not a {enum.__name__}")
    if not isinstance(env.retain_until, date) or isinstance(env.retain_until, datetime):
        raise InvalidEnvelope("retain_until", f"{env.retain_until!r} is not a date")
    _check_handling(env)
    _check_victim(env)


def _check_handling(env: Envelope) -> None:
    restriction = (env.handling_restriction or "").strip()
    if env.handling_code is HandlingCode.H3 and not restriction:
        raise InvalidEnvelope(
            "handling_restriction", "H3 needs the restriction stated as free text"
        )
    if env.handling_code is not HandlingCode.H3 and restriction:
        raise InvalidEnvelope(
            "handling_restriction",
            f"only H3 carries a free-text restriction, not {env.handling_code}",
        )


def _check_victim(env: Envelope) -> None:
    # Victims are protected by default: RED and not shareable until a supervisor releases them.
    if env.is_victim and env.tlp is not TLP.RED and not env.is_shareable:
        raise InvalidEnvelope("tlp", "an unreleased victim record must be RED")


def protect_victim(values: dict[str, Any]) -> dict[str, Any]:
    """Victims default to RED and unshareable, whatever a mapping or a file says."""
    category = values.get("subject_category")
    if category is not None and str(category).lower() == SubjectCategory.VICTIM.value:
        return {**values, "tlp": TLP.RED, "is_shareable": False}
    return values


def now_utc() -> datetime:
    return datetime.now(UTC)
