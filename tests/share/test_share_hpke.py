"""Known-answer check: the HPKE cruce seals keys and messages with is RFC 9180, mode base, suite
DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / ChaCha20Poly1305.

`cryptography`'s single-shot API draws its own ephemeral key and takes no associated data, so it
cannot replay the RFC's vectors directly. Instead a literal transcription of RFC 9180 sections
4, 4.1 and 5.1-5.2 (below, built from HMAC-SHA256, X25519 and ChaCha20-Poly1305 only) is first
checked against the RFC's vector (appendix A.2.1), then shown to open what the library and
cruce seal, and the library to open what the transcription seals.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import struct

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from share_support import T0, make_record

from cruce.share import NodeKeys, seal
from cruce.share._canon import b64d
from cruce.share._hpke import SUITE, open_sealed
from cruce.share._messages import INFO, seal_message
from cruce.share._package import WRAP_INFO

# RFC 9180 A.2.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305, Base Setup.
VECTOR = {
    "info": "4f6465206f6e2061204772656369616e2055726e",
    "skEm": "f4ec9b33b792c372c1d2c2063507b684ef925b8c75a42dbcbf57d63ccd381600",
    "pkEm": "1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a",
    "skRm": "8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb",
    "pkRm": "4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a",
    "shared_secret": "0bbe78490412b4bbea4812666f7916932b828bba79942424abb65244930d69a7",
    "key": "ad2744de8e17f4ebba575b3f5f5a8fa1f69c2a07f6e7500bc60ca6e3e3ec1c91",
    "base_nonce": "5c4d98150661b848853b547f",
    # sequence number 0
    "pt": "4265617574792069732074727574682c20747275746820626561757479",
    "aad": "436f756e742d30",
    "ct": "1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db"
          "21993c62ce81883d2dd1b51a28",
}
X = {k: bytes.fromhex(v) for k, v in VECTOR.items()}

# -- RFC 9180, transcribed ---------------------------------------------------------------------
KEM_SUITE_ID = b"KEM" + struct.pack(">H", 0x0020)  # section 4.1
HPKE_SUITE_ID = b"HPKE" + struct.pack(">HHH", 0x0020, 0x0001, 0x0003)  # section 5.1
MODE_BASE = b"\x00"


def labeled_extract(suite_id: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt, b"HPKE-v1" + suite_id + label + ikm, hashlib.sha256).digest()


def labeled_expand(suite_id: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    labeled_info = struct.pack(">H", length) + b"HPKE-v1" + suite_id + label + info
    out, block, counter = b"", b"", 1
    while len(out) < length:  # HKDF-Expand (RFC 5869 section 2.3)
        block = hmac.new(prk, block + labeled_info + bytes([counter]), hashlib.sha256).digest()
        out, counter = out + block, counter + 1
    return out[:length]


def dh_shared_secret(dh: bytes, enc: bytes, pk_r: bytes) -> bytes:
    """DHKEM ExtractAndExpand with kem_context = enc || pkRm (section 4.1)."""
    eae_prk = labeled_extract(KEM_SUITE_ID, b"", b"eae_prk", dh)
    return labeled_expand(KEM_SUITE_ID, eae_prk, b"shared_secret", enc + pk_r, 32)


def key_schedule_base(shared_secret: bytes, info: bytes) -> tuple[bytes, bytes]:
    """KeySchedule(mode_base, shared_secret, info, psk = "", psk_id = "") -> key, base_nonce."""
    psk_id_hash = labeled_extract(HPKE_SUITE_ID, b"", b"psk_id_hash", b"")
    info_hash = labeled_extract(HPKE_SUITE_ID, b"", b"info_hash", info)
    context = MODE_BASE + psk_id_hash + info_hash
    secret = labeled_extract(HPKE_SUITE_ID, shared_secret, b"secret", b"")
    return (labeled_expand(HPKE_SUITE_ID, secret, b"key", context, 32),
            labeled_expand(HPKE_SUITE_ID, secret, b"base_nonce", context, 12))


def raw(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def seal_base(pk_r: bytes, sk_e: X25519PrivateKey, info: bytes, aad: bytes, pt: bytes) -> bytes:
    """SealBase, sequence 0: enc || ct."""
    enc = raw(sk_e.public_key())
    shared = dh_shared_secret(sk_e.exchange(X25519PublicKey.from_public_bytes(pk_r)), enc, pk_r)
    key, nonce = key_schedule_base(shared, info)
    return enc + ChaCha20Poly1305(key).encrypt(nonce, pt, aad)


def open_base(sk_r: X25519PrivateKey, sealed: bytes, info: bytes, aad: bytes = b"") -> bytes:
    """OpenBase, sequence 0, of enc || ct."""
    enc, ct = sealed[:32], sealed[32:]
    pk_r = raw(sk_r.public_key())
    shared = dh_shared_secret(sk_r.exchange(X25519PublicKey.from_public_bytes(enc)), enc, pk_r)
    key, nonce = key_schedule_base(shared, info)
    return ChaCha20Poly1305(key).decrypt(nonce, ct, aad)


# -- the checks ------------------------------------------------------------------------------
def test_the_transcription_reproduces_the_rfc_vector() -> None:
    sk_e = X25519PrivateKey.from_private_bytes(X["skEm"])
    sk_r = X25519PrivateKey.from_private_bytes(X["skRm"])
    assert raw(sk_e.public_key()) == X["pkEm"] and raw(sk_r.public_key()) == X["pkRm"]
    shared = dh_shared_secret(sk_e.exchange(sk_r.public_key()), X["pkEm"], X["pkRm"])
    assert shared == X["shared_secret"]
    assert key_schedule_base(shared, X["info"]) == (X["key"], X["base_nonce"])
    sealed = seal_base(X["pkRm"], sk_e, X["info"], X["aad"], X["pt"])
    assert sealed == X["pkEm"] + X["ct"]
    assert open_base(sk_r, sealed, X["info"], X["aad"]) == X["pt"]


def test_the_library_suite_seals_what_rfc_9180_base_mode_opens() -> None:
    sk_r = X25519PrivateKey.from_private_bytes(X["skRm"])
    sealed = SUITE.encrypt(X["pt"], sk_r.public_key(), info=X["info"])
    assert open_base(sk_r, sealed, X["info"]) == X["pt"]


def test_the_library_suite_opens_what_rfc_9180_base_mode_seals() -> None:
    keys = NodeKeys.generate()
    sealed = seal_base(raw(keys.encryption_key.public_key()), X25519PrivateKey.generate(),
                       X["info"], b"", X["pt"])
    assert SUITE.decrypt(sealed, keys.encryption_key, info=X["info"]) == X["pt"]
    assert open_sealed(keys, sealed, X["info"], "the vector") == X["pt"]


def test_a_package_key_is_rfc_9180_base_mode_under_the_documented_info(keys, directory) -> None:
    """The content key each recipient gets opens with the transcription, under exactly the
    info the format documents, and then decrypts the payload."""
    share_id = "0b6f2c9e-4f8e-4c61-9a3e-6a1d2f0c7b11"
    data = seal([make_record("hn-persona-1")], keys["hn_police"], "hn_police",
                [directory.member("gt_police")], share_id, T0)
    (hlen,) = struct.unpack_from(">I", data, 5)
    header = json.loads(data[9:9 + hlen])
    info = WRAP_INFO + json.dumps(
        {"recipient": "gt_police", "sender": "hn_police", "share_id": share_id, "v": 2},
        separators=(",", ":")).encode()
    sealed_key = b64d(header["recipients"][0]["sealed_key"], "sealed_key")
    content_key = open_base(keys["gt_police"].encryption_key, sealed_key, info)
    payload = ChaCha20Poly1305(content_key).decrypt(
        b64d(header["nonce"], "nonce"), data[9 + hlen:-64], data[9:9 + hlen])
    assert json.loads(payload)["records"][0]["id"] == "hn-persona-1"


def test_a_message_is_rfc_9180_base_mode_under_its_header(keys, directory) -> None:
    data = seal_message(keys["hn_police"], "hn_police", directory.member("gt_police"),
                        "request", {"text": "¿Conocen a Flaco?"})
    header = json.loads(data.rpartition(b"\n")[0])
    sealed = b64d(header.pop("sealed"), "sealed")
    info = INFO + json.dumps(header, sort_keys=True, separators=(",", ":"),
                             ensure_ascii=False).encode()
    plain = open_base(keys["gt_police"].encryption_key, sealed, info)
    assert json.loads(plain) == {"kind": "request", "fields": {"text": "¿Conocen a Flaco?"}}
