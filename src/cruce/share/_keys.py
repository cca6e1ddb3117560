"""A node's key pair set: Ed25519 to sign what it sends, X25519 to receive sealed shares.

Private keys live in PEM (PKCS#8, unencrypted) files of mode 0600 inside a 0700 folder; loading
refuses a private key file that group or others can read, as ssh does.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from cruce.errors import Conflict, InvalidInput

SIGNING_KEY_FILE = "signing-key.pem"
SIGNING_PUBLIC_FILE = "signing-key.pub.pem"
ENCRYPTION_KEY_FILE = "encryption-key.pem"
ENCRYPTION_PUBLIC_FILE = "encryption-key.pub.pem"


@dataclass(frozen=True, slots=True)
class PublicKeys:
    """The public half of a node's keys, as raw 32-byte values (what the directory lists)."""

    signing: bytes
    encryption: bytes


@dataclass(frozen=True, slots=True)
class NodeKeys:
    """A node's private keys. repr never shows key material."""

    signing_key: Ed25519PrivateKey = field(repr=False)
    encryption_key: X25519PrivateKey = field(repr=False)

    @classmethod
    def generate(cls) -> NodeKeys:
        return cls(Ed25519PrivateKey.generate(), X25519PrivateKey.generate())

    def public(self) -> PublicKeys:
        return PublicKeys(
            signing=raw_public(self.signing_key.public_key()),
            encryption=raw_public(self.encryption_key.public_key()),
        )

    def save(self, folder: Path | str) -> None:
        """Write the keys into `folder` (created 0700). Refuses to overwrite existing keys."""
        folder = Path(folder)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for name in (SIGNING_KEY_FILE, ENCRYPTION_KEY_FILE):
            if (folder / name).exists():
                raise Conflict(
                    f"{folder / name} already exists; move it away before saving new keys"
                )
        _write_new(folder / SIGNING_KEY_FILE, _private_pem(self.signing_key), 0o600)
        _write_new(folder / ENCRYPTION_KEY_FILE, _private_pem(self.encryption_key), 0o600)
        _write_new(folder / SIGNING_PUBLIC_FILE, _public_pem(self.signing_key.public_key()), 0o644)
        _write_new(
            folder / ENCRYPTION_PUBLIC_FILE, _public_pem(self.encryption_key.public_key()), 0o644
        )

    @classmethod
    def load(cls, folder: Path | str) -> NodeKeys:
        folder = Path(folder)
        signing = _load_private(folder / SIGNING_KEY_FILE)
        encryption = _load_private(folder / ENCRYPTION_KEY_FILE)
        if not isinstance(signing, Ed25519PrivateKey):
            raise InvalidInput(f"{folder / SIGNING_KEY_FILE} is not an Ed25519 private key")
        if not isinstance(encryption, X25519PrivateKey):
            raise InvalidInput(f"{folder / ENCRYPTION_KEY_FILE} is not an X25519 private key")
        return cls(signing, encryption)

    @classmethod
    def load_or_generate(cls, folder: Path | str) -> NodeKeys:
        if (Path(folder) / SIGNING_KEY_FILE).exists():
            return cls.load(folder)
        keys = cls.generate()
        keys.save(folder)
        return keys


def raw_public(key: Ed25519PublicKey | X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _private_pem(key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _public_pem(key: Ed25519PublicKey | X25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _load_private(path: Path) -> object:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InvalidInput(f"{path} does not exist; generate the node keys first") from None
    if stat.S_IMODE(mode) & 0o077:
        raise InvalidInput(f"{path} is readable by group or others; chmod 600 it")
    try:
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError:
        # The library's message could quote file content; say only what is wrong.
        raise InvalidInput(f"{path} is not a PEM private key") from None


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Create `path` with `mode` from the first byte (never briefly world-readable), atomically."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
    try:
        os.fchmod(fd, mode)  # O_CREAT honours the umask; the mode must hold regardless
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
