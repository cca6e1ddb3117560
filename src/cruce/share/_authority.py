"""The compact authority's signing key: made once, kept private, refused when others can read it.

The authority's key signs the directory every node trusts: whoever reads it can list a member
of their own. It is held to the node keys' rule (`cruce.share._keys`): a PEM file of mode 0600,
written at that mode from its first byte, and refused at load if group or others can read it.
"""

from __future__ import annotations

import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cruce.errors import InvalidInput
from cruce.share._keys import _write_new

AUTHORITY_KEY_FILE = "authority.pem"
AUTHORITY_PUBLIC_FILE = "authority.pub.pem"


def write_authority_key(folder: Path) -> Path:
    """A new authority key pair in `folder` (0700): authority.pem (0600) and authority.pub.pem."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    private = folder / AUTHORITY_KEY_FILE
    if private.exists():
        raise InvalidInput(f"{private} exists already; the authority keeps one key")
    key = Ed25519PrivateKey.generate()
    _write_new(private, key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()), 0o600)
    _write_new(folder / AUTHORITY_PUBLIC_FILE, key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo), 0o644)
    return private


def load_authority_key(path: Path) -> Ed25519PrivateKey:
    """The authority's private key; refused if missing, readable by others, or not Ed25519."""
    try:
        data = path.read_bytes()
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InvalidInput(f"{path}: cannot read the authority's key: no such file") from None
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the authority's key: {exc.strerror}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        # The library's message could quote file content; say only what is wrong.
        raise InvalidInput(f"{path}: not a PEM private key (the authority.pem of cruce "
                           "directory keygen)") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput(f"{path}: not an Ed25519 private key")
    if stat.S_IMODE(mode) & 0o077:
        raise InvalidInput(f"{path} is readable by group or others; chmod 600 it")
    return key
