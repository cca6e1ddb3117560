"""What a share package carries: its metadata, checked when sealing, and its records, rebuilt
with their envelopes as sent when opening."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from cruce.errors import InvalidInput
from cruce.records import Envelope, PurposeArea, Record, make_entity
from cruce.records._envelope import Provenance, coerce_fields
from cruce.share._attest import from_wire, record_digest
from cruce.share._canon import require_aware
from cruce.share._directory import Member
from cruce.store._share_tables import Attestation

_STAMPS = ("provenance", "created_at", "updated_at")
DEFAULT_TTL = timedelta(days=7)
# Caps how far a stolen-then-expired key could push a backdated package into the future, and
# how long a replay guard has to remember an id.
MAX_TTL = timedelta(days=30)


def read_records(items: Any) -> tuple[Record, ...]:
    """Each item a Record.to_dict(); records with the same handling share one checked envelope."""
    if not isinstance(items, list):
        raise InvalidInput("the payload's records must be a list")
    envelopes: dict[tuple[Any, ...], Envelope] = {}
    return tuple(_record(item, envelopes) for item in items)


def read_attestations(items: list[Any], carried: Any) -> dict[str, Attestation]:
    """Each record's attestation, with the digest of the record as it arrived (a 2.0 package
    carries none). A malformed one is dropped: the record then has no proof of its provider."""
    if carried is None:
        return {}
    if not isinstance(carried, dict):
        raise InvalidInput("the payload's attestations must be an object")
    out: dict[str, Attestation] = {}
    for item in items:
        record_id = item["id"]
        if record_id in carried:
            try:
                out[record_id] = from_wire(record_id, carried[record_id], record_digest(item))
            except InvalidInput:
                continue
    return out


def _record(item: Any, envelopes: dict[tuple[Any, ...], Envelope]) -> Record:
    if not isinstance(item, dict) or not isinstance(item.get("envelope"), dict):
        raise InvalidInput("a shared record must be a JSON object with its envelope")
    entity = make_entity({k: v for k, v in item.items() if k != "envelope"}, where="record")
    # The envelope comes back exactly as the provider set it, provenance and timestamps
    # included.
    fields = item["envelope"]
    policy = tuple(sorted((k, v) for k, v in fields.items() if k not in _STAMPS))
    checked = envelopes.get(policy)
    if checked is None:
        checked = envelopes[policy] = Envelope.build(**dict(policy))
    stamps = coerce_fields({k: fields[k] for k in _STAMPS if k in fields}, partial=True)
    return Record(entity, checked.restamped(stamps.get("provenance", Provenance()),
                                            stamps.get("created_at"), stamps.get("updated_at")))


def share_meta(
    ids: list[str],
    sender_id: str,
    recipients: Sequence[Member],
    share_id: str | uuid.UUID,
    created_at: datetime,
    expires_at: datetime | None,
    purpose: PurposeArea | str | None,
) -> dict[str, Any]:
    """The share's own description, as the payload and the header carry it."""
    if not ids:
        raise InvalidInput("a share needs at least one record")
    if len(set(ids)) != len(ids):
        raise InvalidInput("a share lists the same record twice")
    names = [m.id for m in recipients]
    if not names:
        raise InvalidInput("a share needs at least one recipient")
    if len(set(names)) != len(names):
        raise InvalidInput("a share names the same recipient twice")
    if sender_id in names:
        raise InvalidInput("the sender cannot be a recipient of its own share")
    try:
        share_uuid = str(uuid.UUID(str(share_id)))
    except ValueError:
        raise InvalidInput(f"share id {share_id!r} is not a UUID") from None
    created = require_aware(created_at, "created_at").astimezone(UTC)
    expires = require_aware(expires_at, "expires_at") if expires_at else created + DEFAULT_TTL
    if expires <= created:
        raise InvalidInput("expires_at must be after created_at")
    if expires - created > MAX_TTL:
        raise InvalidInput(f"a share may live at most {MAX_TTL.days} days")
    return {
        "share_id": share_uuid,
        "sender": sender_id,
        "recipients": names,
        "created_at": created.isoformat(),
        "expires_at": expires.astimezone(UTC).isoformat(),
        "purpose": PurposeArea(purpose).value if purpose is not None else None,
    }
