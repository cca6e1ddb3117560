"""The envelope: how a record may be used, carried with it wherever it goes."""

from __future__ import annotations

import re
from dataclasses import MISSING, dataclass, field, fields, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from functools import cache
from typing import Any

from cruce.errors import InvalidEnvelope
from cruce.records._text import shown, text_problem
from cruce.records._vocab import (
    TLP,
    HandlingCode,
    InformationAccuracy,
    PurposeArea,
    SourceReliability,
    SubjectCategory,
    nearest_key,
)

_SLUG = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
_DATASET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")
MAX_RESTRICTION = 2000  # an H3 restriction is a sentence or two of free text


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a record came from: the file and the line (or row) in it."""

    file: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Envelope:
    """How one record may be used. Invalid envelopes cannot be built.

    >>> e = Envelope.build(agency="hn_police", dataset="personas", purpose="intelligence",
    ...     handling_code="H0", tlp="GREEN", source_reliability="B", information_accuracy="2",
    ...     retain_until="2031-01-01", subject_category="suspect")
    >>> e.tlp.value
    'GREEN'
    """

    # In the store's column order (`store._schema` takes its columns from these fields).
    agency: str
    dataset: str
    purpose: PurposeArea
    subject_category: SubjectCategory | None = None
    handling_code: HandlingCode
    handling_restriction: str | None = None
    tlp: TLP
    source_reliability: SourceReliability
    information_accuracy: InformationAccuracy
    is_shareable: bool = True
    retain_until: date
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


# One definition of the envelope's fields, derived from the dataclass: the store's columns
# (`store._schema.ENVELOPE_COLUMNS`), its rows (`store._base`) and the mapping's envelope keys
# (`ingest._mapping`) all take theirs from here.
ENVELOPE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Envelope))
# Kept about a record rather than decided for it: where it came from and when.
RECORD_KEEPING_FIELDS: tuple[str, ...] = ("provenance", "created_at", "updated_at")
# What the sharing rules read: every field but the record keeping, in the store's order.
POLICY_FIELDS: tuple[str, ...] = tuple(
    name for name in ENVELOPE_FIELDS if name not in RECORD_KEEPING_FIELDS
)
REQUIRED_FIELDS: tuple[str, ...] = tuple(
    f.name for f in fields(Envelope) if f.default is MISSING and f.default_factory is MISSING
)


def coerce_fields(values: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Turn strings into the envelope's types; unknown, missing and mistyped fields and bad
    values are named. With `partial`, missing fields are left to be given later (defaults
    that each line of a file completes)."""
    for name in values:
        if name not in ENVELOPE_FIELDS:
            raise InvalidEnvelope(
                str(name), "unknown field" + (nearest_key(str(name), ENVELOPE_FIELDS)
                                              or f"; known fields: {', '.join(ENVELOPE_FIELDS)}")
            )
    if not partial:
        for name in REQUIRED_FIELDS:
            if values.get(name) is None:
                raise InvalidEnvelope(name, "missing")
    out = dict(values)
    for name, enum in _ENUMS.items():
        if out.get(name) is not None and not isinstance(out[name], enum):
            out[name] = coerce_enum(name, enum, out[name])
    if isinstance(out.get("retain_until"), str):
        out["retain_until"] = coerce_date("retain_until", out["retain_until"])
    if "provenance" in out:
        out["provenance"] = _provenance(out["provenance"])
    for name in ("created_at", "updated_at"):
        if isinstance(out.get(name), str):
            out[name] = coerce_time(name, out[name])
    _check_types(out)
    return out


def check_partial(values: dict[str, Any]) -> None:
    """Check envelope defaults field by field, before any record completes them."""
    out = coerce_fields(values, partial=True)
    for name in ("agency", "dataset"):
        if name in out:
            _check_name(name, out[name])
    if "retain_until" in out:
        _check_day(out["retain_until"])


def _check_types(values: dict[str, Any]) -> None:
    # Values a record's JSON may give in any JSON type: refused here by type, not stored as
    # whatever the JSON held (a list as Python text, a number as a restriction).
    restriction = values.get("handling_restriction")
    if restriction is not None and not isinstance(restriction, str):
        raise InvalidEnvelope(
            "handling_restriction", f"must be text, not {type(restriction).__name__}"
        )
    problem = text_problem(restriction, MAX_RESTRICTION) if restriction else None
    if problem is not None:
        raise InvalidEnvelope("handling_restriction", problem)
    shareable = values.get("is_shareable", True)
    if not isinstance(shareable, bool):
        raise InvalidEnvelope("is_shareable", f"must be true or false, not {shown(shareable)}")
    for name in ("created_at", "updated_at"):
        if values.get(name) is not None and not isinstance(values[name], datetime):
            raise InvalidEnvelope(name, f"{shown(values[name])} is not a time (ISO 8601)")


def _provenance(value: Any) -> Provenance:
    if value is None:
        return Provenance()
    if isinstance(value, Provenance):
        return value
    if not isinstance(value, dict) or set(value) - {"file", "line"}:
        raise InvalidEnvelope("provenance", "must be an object with 'file' and 'line'")
    file, line = value.get("file"), value.get("line")
    if (file is not None and not isinstance(file, str)) or (
        line is not None and (not isinstance(line, int) or isinstance(line, bool))
    ):
        raise InvalidEnvelope("provenance", "'file' must be text and 'line' a number")
    return Provenance(file, line)


def coerce_time(name: str, value: str) -> datetime:
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidEnvelope(name, f"{shown(value)} is not a time (ISO 8601)") from None


def coerce_enum(name: str, enum: type[StrEnum], value: Any) -> StrEnum:
    text = str(value).strip()
    member = _members(enum).get(text.upper())
    if member is None:
        allowed = ", ".join(m.value for m in enum)
        raise InvalidEnvelope(name, f"{shown(text)} is not one of {allowed}")
    return member


@cache
def _members(enum: type[StrEnum]) -> dict[str, StrEnum]:
    # Vocabulary look-ups run for every field of every record of a bulk share or ingest.
    return {m.value.upper(): m for m in enum}


def coerce_date(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidEnvelope(name, f"{shown(value)} is not a date (YYYY-MM-DD)") from None


def check_envelope(env: Envelope) -> None:
    """The rules an envelope must keep; raises InvalidEnvelope naming the first field broken."""
    _check_name("agency", env.agency)
    _check_name("dataset", env.dataset)
    for name, enum in _ENUMS.items():
        value = getattr(env, name)
        if name == "subject_category" and value is None:
            continue
        if not isinstance(value, enum):
            raise InvalidEnvelope(name, f"{value!r} is not a {enum.__name__}")
    _check_day(env.retain_until)
    _check_handling(env)
    _check_victim(env)


def _check_name(name: str, value: Any) -> None:
    if name == "agency" and not (isinstance(value, str) and _SLUG.fullmatch(value)):
        raise InvalidEnvelope("agency", f"{shown(value)} is not a lowercase slug like 'hn_police'")
    if name == "dataset" and not (isinstance(value, str) and _DATASET.fullmatch(value)):
        raise InvalidEnvelope("dataset", f"{shown(value)} is not a dataset name")


def _check_day(value: Any) -> None:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidEnvelope("retain_until", f"{shown(value)} is not a date")


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
