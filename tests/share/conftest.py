"""Fixtures: five member agencies with keys and a directory signed by the compact authority."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from share_support import AGENCIES, T0, member

from cruce.share import Directory, NodeKeys


@pytest.fixture(scope="session")
def keys() -> dict[str, NodeKeys]:
    return {agency: NodeKeys.generate() for agency in AGENCIES}


@pytest.fixture(scope="session")
def authority() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="session")
def directory_bytes(keys: dict[str, NodeKeys], authority: Ed25519PrivateKey) -> bytes:
    members = [member(agency, k) for agency, k in keys.items()]
    return Directory.sign(members, authority, serial=1, issued_at=T0)


@pytest.fixture(scope="session")
def directory(directory_bytes: bytes, authority: Ed25519PrivateKey) -> Directory:
    return Directory.load(directory_bytes, authority.public_key())
