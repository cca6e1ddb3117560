"""A node made a member of a two-node compact whose other member never answers
(127.0.0.1:1 refuses at once): shares, requests and consents run for real and stay queued."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cruce import Node
from cruce.share import Directory, Member, NodeKeys


def join_compact(node: Node, agency: str = "hn_police", other: str = "gt_police") -> None:
    authority, now = Ed25519PrivateKey.generate(), datetime.now(UTC)
    keys = {a: NodeKeys.generate() for a in (agency, other)}
    members = [Member(a, a[:2].upper(), "http://127.0.0.1:1/", k.public().signing,
                      k.public().encryption, now - timedelta(days=1), now + timedelta(days=30))
               for a, k in keys.items()]
    signed = Directory.sign(members, authority, serial=1, issued_at=now)
    node.configure_sharing(keys[agency], Directory.load(signed, authority.public_key()))
