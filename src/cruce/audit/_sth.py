"""Signed tree heads (Ed25519), the node's log key, and cross-checking a peer's heads.

A signed tree head commits the node to the first `tree_size` entries of its log: anyone holding
an older head of the same log can demand a consistency proof, so history cannot be rewritten
without every node that saw an earlier head noticing.
"""

from __future__ import annotations

import base64
import os
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from cruce.audit._merkle import HASH_SIZE, ConsistencyProof, verify_consistency
from cruce.errors import AuditChainBroken, InvalidInput, SignatureInvalid

# Domain separation: a signature over a tree head can never be replayed as one over anything else.
_SIGNED_PREFIX = b"cruce/audit/tree-head/v1\x00"
_HEAD = struct.Struct(">QQ32s64s")  # tree_size, timestamp (ms), root hash, signature
HEAD_BYTES = _HEAD.size
PRIVATE_KEY_FILE = "log-key.pem"
PUBLIC_KEY_FILE = "log-key.pub.pem"

PublicKeyLike = Ed25519PublicKey | bytes | str | Path


@dataclass(frozen=True, slots=True)
class SignedTreeHead:
    """The node's signed statement: its log had `tree_size` entries with this root at that time."""

    tree_size: int
    root_hash: bytes
    timestamp: int  # milliseconds since the Unix epoch, UTC
    signature: bytes

    @staticmethod
    def signed_bytes(tree_size: int, root_hash: bytes, timestamp: int) -> bytes:
        return _SIGNED_PREFIX + struct.pack(">QQ", tree_size, timestamp) + root_hash

    @classmethod
    def sign(
        cls, key: Ed25519PrivateKey, tree_size: int, root_hash: bytes, timestamp: int
    ) -> SignedTreeHead:
        signature = key.sign(cls.signed_bytes(tree_size, root_hash, timestamp))
        return cls(tree_size, root_hash, timestamp, signature)

    def verify(self, public_key: PublicKeyLike) -> bool:
        """True when the signature is valid under `public_key` (and only that key)."""
        if len(self.root_hash) != HASH_SIZE or len(self.signature) != 64:
            return False
        message = self.signed_bytes(self.tree_size, self.root_hash, self.timestamp)
        try:
            load_public_key(public_key).verify(self.signature, message)
        except InvalidSignature:
            return False
        return True

    @property
    def at(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp / 1000, UTC)

    def to_bytes(self) -> bytes:
        return _HEAD.pack(self.tree_size, self.timestamp, self.root_hash, self.signature)

    @classmethod
    def from_bytes(cls, data: bytes) -> SignedTreeHead:
        size, timestamp, root, signature = _HEAD.unpack(data)
        return cls(size, root, timestamp, signature)

    def to_dict(self) -> dict[str, Any]:
        """The published form (JSON-ready), as exchanged between nodes."""
        return {
            "tree_size": self.tree_size,
            "timestamp": self.timestamp,
            "root_hash": self.root_hash.hex(),
            "signature": base64.b64encode(self.signature).decode("ascii"),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SignedTreeHead:
        try:
            return cls(
                int(data["tree_size"]),
                bytes.fromhex(str(data["root_hash"])),
                int(data["timestamp"]),
                base64.b64decode(str(data["signature"]), validate=True),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise InvalidInput(f"malformed signed tree head: {exc}") from exc


def load_public_key(key: PublicKeyLike) -> Ed25519PublicKey:
    """A public key from the key object, 32 raw bytes, PEM bytes/text, or a PEM file path."""
    if isinstance(key, Ed25519PublicKey):
        return key
    if isinstance(key, Path):
        key = key.read_bytes()
    if isinstance(key, str):
        key = key.encode("ascii")
    if len(key) == 32:
        return Ed25519PublicKey.from_public_bytes(key)
    loaded = serialization.load_pem_public_key(key)
    if not isinstance(loaded, Ed25519PublicKey):
        raise InvalidInput("the audit log public key must be an Ed25519 key")
    return loaded


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Create `path` atomically with `mode` from the start (never briefly world-readable)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)  # O_CREAT honours the umask; the key must be 0600 regardless
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def load_or_create_key(directory: Path) -> Ed25519PrivateKey:
    """The log's signing key, generated beside the log on first use (private file mode 0600)."""
    private_path = directory / PRIVATE_KEY_FILE
    if private_path.exists():
        loaded = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
        if not isinstance(loaded, Ed25519PrivateKey):
            raise InvalidInput(f"{private_path} is not an Ed25519 private key")
        return loaded
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_new(private_path, pem, 0o600)
    return key


def publish_public_key(directory: Path, key: Ed25519PrivateKey) -> None:
    """Keep the public half beside the log, for peers and `verify_log`; refuse a mismatch."""
    path = directory / PUBLIC_KEY_FILE
    public = key.public_key()
    if path.exists():
        if public_key_bytes(load_public_key(path)) != public_key_bytes(public):
            raise InvalidInput(
                f"{path} belongs to another key than the one signing this log: "
                "open the log with its own key, or move the stale public key file away"
            )
        return
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _write_new(path, pem, 0o644)


def check_peer_head(
    public_key: PublicKeyLike,
    old_head: SignedTreeHead,
    new_head: SignedTreeHead,
    consistency_proof: ConsistencyProof,
) -> None:
    """Accept a peer's newer head only if it extends the older one this node already saw.

    Raises SignatureInvalid when a head is not signed by the peer's key, and AuditChainBroken
    when the peer's log shrank, forked, or the proof does not link the two heads.
    """
    for head in (old_head, new_head):
        if not head.verify(public_key):
            raise SignatureInvalid(
                f"peer tree head at size {head.tree_size} has no valid signature under the "
                "peer's log key: discard it and ask the peer for its heads again"
            )
    if new_head.tree_size < old_head.tree_size:
        raise AuditChainBroken(
            f"peer log shrank from {old_head.tree_size} to {new_head.tree_size} entries: its "
            "history was rewritten; keep both signed heads as evidence"
        )
    sizes = (consistency_proof.old_size, consistency_proof.new_size)
    if sizes != (old_head.tree_size, new_head.tree_size):
        raise AuditChainBroken(
            f"consistency proof is for sizes {sizes}, not for the heads' sizes "
            f"({old_head.tree_size}, {new_head.tree_size}): request the right proof"
        )
    if not verify_consistency(consistency_proof, old_head.root_hash, new_head.root_hash):
        raise AuditChainBroken(
            f"peer log at size {new_head.tree_size} is not an extension of its log at size "
            f"{old_head.tree_size}: its history was rewritten; keep both signed heads as evidence"
        )
