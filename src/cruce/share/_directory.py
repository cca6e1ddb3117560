"""The compact directory: who the member agencies are, where they listen, and their keys.

File format (UTF-8 JSON)::

    {"v": 1,
     "directory": {"serial": 7, "issued_at": "2026-01-01T00:00:00+00:00",
                   "members": [{"id": "hn_police", "country": "HN",
                                "endpoint": "https://cruce.hn.example/",
                                "signing_key": "<base64 raw Ed25519>",
                                "encryption_key": "<base64 raw X25519>",
                                "valid_from": "...", "valid_until": "..."}, ...]},
     "signature": "<base64 Ed25519 over PREFIX + canonical JSON of 'directory'>"}

Canonical JSON = sorted keys, no whitespace, UTF-8. The authority key is the compact's own,
distributed out of band; nothing in the file is trusted before the signature verifies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from cruce.errors import InvalidInput, NotFound, PermissionDenied, SignatureInvalid
from cruce.share._canon import b64d, b64e, canonical_json, parse_time, require_aware

VERSION = 1
# Domain separation: a directory signature can never pass for a signature on anything else.
SIGNED_PREFIX = b"cruce/share/directory/v1\x00"
_SLUG = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
_ISO2 = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True, slots=True)
class Member:
    """One member agency as the authority lists it."""

    id: str
    country: str
    endpoint: str
    signing_key: bytes  # raw Ed25519 public key, 32 bytes
    encryption_key: bytes  # raw X25519 public key, 32 bytes
    valid_from: datetime
    valid_until: datetime

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _SLUG.match(self.id):
            raise InvalidInput(f"member id {self.id!r} is not a lowercase slug like 'hn_police'")
        if not isinstance(self.country, str) or not _ISO2.match(self.country):
            raise InvalidInput(f"member {self.id}: country {self.country!r} is not ISO alpha-2")
        url = urlsplit(self.endpoint) if isinstance(self.endpoint, str) else None
        if url is None or url.scheme not in ("https", "http") or not url.netloc:
            raise InvalidInput(f"member {self.id}: endpoint {self.endpoint!r} is not a URL")
        for name in ("signing_key", "encryption_key"):
            value = getattr(self, name)
            if not isinstance(value, bytes) or len(value) != 32:
                raise InvalidInput(f"member {self.id}: {name} must be 32 raw bytes")
        require_aware(self.valid_from, f"member {self.id}: valid_from")
        require_aware(self.valid_until, f"member {self.id}: valid_until")
        if self.valid_until <= self.valid_from:
            raise InvalidInput(f"member {self.id}: valid_until must be after valid_from")

    def is_valid_at(self, when: datetime) -> bool:
        return self.valid_from <= when < self.valid_until

    def not_in_force(self, when: datetime) -> str | None:
        """Why this membership does not hold at `when`, or None: the one wording every
        exchange (packages, messages, notices, node requests, deliveries) refuses with."""
        if self.is_valid_at(when):
            return None
        return (f"{self.id}'s membership of the compact is not in force at "
                f"{when.isoformat(timespec='seconds')} (valid from "
                f"{self.valid_from.isoformat(timespec='seconds')} until "
                f"{self.valid_until.isoformat(timespec='seconds')})")

    def verify_key(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.signing_key)

    def encrypt_key(self) -> X25519PublicKey:
        return X25519PublicKey.from_public_bytes(self.encryption_key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "country": self.country,
            "endpoint": self.endpoint,
            "signing_key": b64e(self.signing_key),
            "encryption_key": b64e(self.encryption_key),
            "valid_from": self.valid_from.isoformat(),
            "valid_until": self.valid_until.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> Member:
        if not isinstance(data, dict):
            raise InvalidInput("a directory member must be a JSON object")
        try:
            return cls(
                id=data["id"],
                country=data["country"],
                endpoint=data["endpoint"],
                signing_key=b64d(data["signing_key"], "signing_key"),
                encryption_key=b64d(data["encryption_key"], "encryption_key"),
                valid_from=parse_time(data["valid_from"], "valid_from"),
                valid_until=parse_time(data["valid_until"], "valid_until"),
            )
        except KeyError as exc:
            raise InvalidInput(f"a directory member has no {exc.args[0]!r}") from None


@dataclass(frozen=True, slots=True)
class Directory:
    """A verified member list. Build one only via `sign` (authority) or `load` (everyone else)."""

    serial: int
    issued_at: datetime
    members: tuple[Member, ...]

    def __post_init__(self) -> None:
        ids = [m.id for m in self.members]
        if len(set(ids)) != len(ids):
            raise InvalidInput("the directory lists a member id twice")

    def get(self, agency_id: str) -> Member | None:
        return next((m for m in self.members if m.id == agency_id), None)

    def member(self, agency_id: str) -> Member:
        found = self.get(agency_id)
        if found is None:
            raise NotFound(f"{agency_id!r} is not a member of the compact directory")
        return found

    def member_in_force(self, agency_id: str, when: datetime | None = None) -> Member:
        """The member, if its membership holds at `when` (default now): what anything sent
        to another agency is checked against before it is queued (PermissionDenied if not)."""
        found = self.member(agency_id)
        problem = found.not_in_force(when or datetime.now(UTC))
        if problem is not None:
            raise PermissionDenied(f"{problem}: nothing is sent to it until the authority "
                                   "renews it")
        return found

    def __iter__(self) -> Iterator[Member]:
        return iter(self.members)

    def __len__(self) -> int:
        return len(self.members)

    def body(self) -> dict[str, Any]:
        return {
            "serial": self.serial,
            "issued_at": self.issued_at.isoformat(),
            "members": [m.to_dict() for m in self.members],
        }

    @staticmethod
    def sign(
        members: Iterable[Member],
        authority_key: Ed25519PrivateKey,
        *,
        serial: int,
        issued_at: datetime,
    ) -> bytes:
        """The authority's act: a signed directory file (bytes, ready to publish)."""
        require_aware(issued_at, "issued_at")
        directory = Directory(serial, issued_at, tuple(members))
        body = directory.body()
        signature = authority_key.sign(SIGNED_PREFIX + canonical_json(body))
        return canonical_json({"v": VERSION, "directory": body, "signature": b64e(signature)})

    @classmethod
    def load(
        cls, source: Path | str | bytes, authority_public_key: Ed25519PublicKey | bytes
    ) -> Directory:
        """Read and verify a signed directory; anything that does not verify is SignatureInvalid.

        A node loads its directory when it starts serving (see api.create_app): one that does
        not verify stops it there, with this error, rather than failing every share later.
        """
        where = f"the directory {source}" if isinstance(source, Path | str) else "the directory"
        try:
            data = Path(source).read_bytes() if isinstance(source, Path | str) else source
        except OSError as exc:
            raise InvalidInput(f"{where} cannot be read ({exc.strerror})") from None
        authority = (
            authority_public_key
            if isinstance(authority_public_key, Ed25519PublicKey)
            else Ed25519PublicKey.from_public_bytes(authority_public_key)
        )
        try:
            outer = json.loads(data)
            if not isinstance(outer, dict) or set(outer) != {"v", "directory", "signature"}:
                raise InvalidInput("expected exactly the keys v, directory, signature")
            if outer["v"] != VERSION:
                raise InvalidInput(f"unsupported directory version {outer['v']!r}")
            body = outer["directory"]
            signature = b64d(outer["signature"], "signature")
        except (ValueError, InvalidInput) as exc:
            raise SignatureInvalid(f"{where} is not a signed directory: {exc}") from None
        try:
            authority.verify(signature, SIGNED_PREFIX + canonical_json(body))
        except (InvalidSignature, ValueError, TypeError):
            raise SignatureInvalid(
                f"{where} does not verify under the compact authority key "
                "(CRUCE_AUTHORITY_KEY): get the directory the authority signed, or its key"
            ) from None
        # Signed by the authority: a malformed body now is the authority's bug, not tampering.
        if not isinstance(body, dict) or not isinstance(body.get("members"), list):
            raise InvalidInput("the signed directory has no member list")
        serial = body.get("serial")
        if not isinstance(serial, int) or isinstance(serial, bool):
            raise InvalidInput("the signed directory has no integer serial")
        return cls(
            serial,
            parse_time(body.get("issued_at"), "issued_at"),
            tuple(Member.from_dict(m) for m in body["members"]),
        )
