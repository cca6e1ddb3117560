"""A format-1 package and message sealed by the previous release (data/format-v1.json), with
the test-only keys and a directory they open under."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from cruce.share import Directory, Member, NodeKeys
from cruce.share._canon import b64d

V1: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "format-v1.json").read_text("utf-8"))
V1_CREATED = datetime.fromisoformat(V1["created_at"])
V1_PACKAGE = b64d(V1["package"], "package")
V1_MESSAGE = b64d(V1["message"], "message")


def v1_compact() -> tuple[dict[str, NodeKeys], Directory]:
    """The keys the fixture was sealed with, and a directory listing them."""
    keys = {
        agency: NodeKeys(Ed25519PrivateKey.from_private_bytes(bytes.fromhex(k["signing"])),
                         X25519PrivateKey.from_private_bytes(bytes.fromhex(k["encryption"])))
        for agency, k in V1["keys"].items()
    }
    valid = (datetime.fromisoformat(V1["valid_from"]), datetime.fromisoformat(V1["valid_until"]))
    members = [Member(a, a[:2].upper(), f"https://cruce.{a}.example/", k.public().signing,
                      k.public().encryption, *valid) for a, k in keys.items()]
    authority = Ed25519PrivateKey.generate()
    signed = Directory.sign(members, authority, serial=1, issued_at=valid[0])
    return keys, Directory.load(signed, authority.public_key())
