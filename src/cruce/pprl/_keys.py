"""The compact PPRL secret: read from its file, split into one subkey per use.

Every use has its own subkey, HMAC-SHA256(secret, label), so that what one use reveals (an
identifier digest, a Bloom-filter position) says nothing about another. The fingerprint lets
matching refuse encodings made under different keys; it is a one-way digest, never the key.

    >>> key = PprlKey(b"k" * 32)
    >>> len(key.fingerprint), key.subkey("bloom") != key.subkey("identifier")
    (16, True)
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from pathlib import Path

from cruce.errors import InvalidInput

MIN_SECRET_BYTES = 32
MAX_SECRET_BYTES = 4096


@dataclass(frozen=True)
class PprlKey:
    """The secret and the subkeys derived from it (cached: one HMAC per label)."""

    secret: bytes = field(repr=False)

    def subkey(self, label: str) -> bytes:
        return hmac.new(self.secret, b"cruce-pprl-v1:" + label.encode(), hashlib.sha256).digest()

    @property
    def fingerprint(self) -> str:
        """16 hex digits that name the key without revealing it."""
        return self.subkey("fingerprint").hex()[:16]


def read_secret(path: Path) -> PprlKey:
    """The key in a secret file: its bytes with surrounding whitespace stripped (a hex or
    base64 line, or raw random bytes), at least MIN_SECRET_BYTES long."""
    try:
        size = path.stat().st_size
    except OSError:
        raise InvalidInput(f"{path}: no such secret file") from None
    if size > MAX_SECRET_BYTES:
        raise InvalidInput(f"{path}: secret file is {size} bytes; at most {MAX_SECRET_BYTES}")
    secret = path.read_bytes().strip()
    if len(secret) < MIN_SECRET_BYTES:
        raise InvalidInput(
            f"{path}: secret is {len(secret)} bytes; at least {MIN_SECRET_BYTES} random bytes "
            "are needed (e.g. `openssl rand -hex 32 > secret`)"
        )
    return PprlKey(secret)
