"""The one public-key encryption cruce uses: RFC 9180 HPKE, mode base, single-shot, from
`cryptography` (no hand-made key agreement or key derivation).

Suite: DHKEM(X25519, HKDF-SHA256) (kem_id 0x0020), HKDF-SHA256 (kdf_id 0x0001),
ChaCha20Poly1305 (aead_id 0x0003). X25519 because the directory already lists each member's
X25519 key; ChaCha20Poly1305 because share payloads already use it. The sealed bytes are
`enc` (the 32-byte encapsulated key) followed by the AEAD ciphertext, as the library writes them.

`info` is the binding: every caller names what the sealed bytes are for (the format version,
the sender, the recipient and the package or message id), so sealed bytes moved to another
package, sender or recipient do not open (RFC 9180 section 8.1: single-shot callers put their
associated data in `info`). tests/share/test_share_hpke.py checks the suite against the RFC's
test vectors through a literal transcription of the RFC.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

from cruce.errors import DecryptionFailed, InvalidInput
from cruce.share._directory import Member
from cruce.share._keys import NodeKeys

SUITE_NAME = "HPKE-base/DHKEM(X25519,HKDF-SHA256)/HKDF-SHA256/ChaCha20Poly1305"
SUITE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.CHACHA20_POLY1305)
ENC_LENGTH = 32  # Nenc of DHKEM(X25519, HKDF-SHA256)
TAG_LENGTH = 16  # Nt of ChaCha20Poly1305


def seal_to(member: Member, plaintext: bytes, info: bytes) -> bytes:
    """`enc || ciphertext` that only `member`'s directory encryption key opens, under `info`."""
    try:
        return SUITE.encrypt(plaintext, member.encrypt_key(), info=info)
    except ValueError:  # a low-order point: no shared secret can be computed
        raise InvalidInput(f"{member.id}'s encryption key is not a usable X25519 key") from None


def open_sealed(keys: NodeKeys, sealed: bytes, info: bytes, what: str) -> bytes:
    """The plaintext of `sealed`, or DecryptionFailed naming `what` (never the key)."""
    try:
        return SUITE.decrypt(sealed, keys.encryption_key, info=info)
    except (InvalidTag, ValueError):
        raise DecryptionFailed(f"{what} does not open with this node's key") from None
