"""Helpers for the share tests: the five agencies, records, directory members."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cruce.records import Envelope, Record, make_entity
from cruce.share import Member, NodeKeys

AGENCIES = {
    "hn_police": "HN",
    "gt_police": "GT",
    "sv_police": "SV",
    "mx_migration": "MX",
    "us_border": "US",
}
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ENVELOPE: dict[str, Any] = dict(
    agency="hn_police", dataset="personas", purpose="gangs_organized_crime", handling_code="H2",
    tlp="AMBER", source_reliability="B", information_accuracy="2", retain_until="2031-01-01",
    subject_category="suspect",
)


def make_record(record_id: str, name: str = "Juan Pérez", **envelope: Any) -> Record:
    entity = make_entity(
        {"id": record_id, "schema": "Person", "properties": {"name": [name], "alias": ["Flaco"]}}
    )
    env = Envelope.build(**{**ENVELOPE, **envelope}).with_provenance("personas.csv", 7)
    return Record(entity, env)


def member(agency: str, keys: NodeKeys) -> Member:
    pub = keys.public()
    return Member(
        id=agency,
        country=AGENCIES[agency],
        endpoint=f"https://cruce.{agency}.example/",
        signing_key=pub.signing,
        encryption_key=pub.encryption,
        valid_from=T0 - timedelta(days=365),
        valid_until=T0 + timedelta(days=365),
    )
