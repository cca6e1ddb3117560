from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from share_support import T0, member

from cruce.errors import InvalidInput, NotFound, SignatureInvalid
from cruce.share import Directory, NodeKeys


def test_signed_directory_loads_and_looks_up_members(
    directory_bytes: bytes, authority: Ed25519PrivateKey, keys: dict[str, NodeKeys], tmp_path: Path
) -> None:
    (tmp_path / "directory.json").write_bytes(directory_bytes)
    loaded = Directory.load(tmp_path / "directory.json", authority.public_key())
    assert len(loaded) == 5
    hn = loaded.member("hn_police")
    assert hn.country == "HN"
    assert hn.signing_key == keys["hn_police"].public().signing
    assert hn.encryption_key == keys["hn_police"].public().encryption
    assert loaded.get("xx_police") is None
    with pytest.raises(NotFound):
        loaded.member("xx_police")


def test_raw_authority_key_bytes_are_accepted(
    directory_bytes: bytes, authority: Ed25519PrivateKey
) -> None:
    raw = authority.public_key().public_bytes_raw()
    assert Directory.load(directory_bytes, raw).serial == 1


def test_directory_signed_by_another_key_is_rejected(
    directory_bytes: bytes, keys: dict[str, NodeKeys]
) -> None:
    with pytest.raises(SignatureInvalid, match="does not verify"):
        Directory.load(directory_bytes, Ed25519PrivateKey.generate().public_key())


def test_a_directory_file_that_does_not_verify_is_named_with_the_fix(
    directory_bytes: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "directory.signed"
    path.write_bytes(directory_bytes)
    other = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(SignatureInvalid) as err:
        Directory.load(path, other)
    assert err.value.message == (
        f"the directory {path} does not verify under the compact authority key "
        "(CRUCE_AUTHORITY_KEY): get the directory the authority signed, or its key")
    with pytest.raises(InvalidInput, match=f"the directory {tmp_path / 'none'} cannot be read"):
        Directory.load(tmp_path / "none", other)


def test_tampered_member_key_is_rejected(
    directory_bytes: bytes, authority: Ed25519PrivateKey
) -> None:
    data = json.loads(directory_bytes)
    attacker = NodeKeys.generate().public()
    import base64
    data["directory"]["members"][0]["signing_key"] = base64.b64encode(attacker.signing).decode()
    with pytest.raises(SignatureInvalid):
        Directory.load(json.dumps(data).encode(), authority.public_key())


def test_added_member_is_rejected(
    directory_bytes: bytes, authority: Ed25519PrivateKey
) -> None:
    data = json.loads(directory_bytes)
    data["directory"]["members"].append(dict(data["directory"]["members"][0], id="evil_police"))
    with pytest.raises(SignatureInvalid):
        Directory.load(json.dumps(data).encode(), authority.public_key())


@pytest.mark.parametrize("position", [0, 10, 200, 400, -5, -30])
def test_any_flipped_byte_is_rejected(
    directory_bytes: bytes, authority: Ed25519PrivateKey, position: int
) -> None:
    data = bytearray(directory_bytes)
    data[position] ^= 0x01
    with pytest.raises(SignatureInvalid):
        Directory.load(bytes(data), authority.public_key())


def test_members_with_bad_values_cannot_be_built(keys: dict[str, NodeKeys]) -> None:
    good = member("hn_police", keys["hn_police"])
    from dataclasses import replace
    with pytest.raises(InvalidInput, match="alpha-2"):
        replace(good, country="hn")
    with pytest.raises(InvalidInput, match="not a URL"):
        replace(good, endpoint="ftp://x")
    with pytest.raises(InvalidInput, match="32 raw bytes"):
        replace(good, signing_key=b"short")
    with pytest.raises(InvalidInput, match="after valid_from"):
        replace(good, valid_until=good.valid_from - timedelta(days=1))


def test_duplicate_member_ids_are_refused(
    keys: dict[str, NodeKeys], authority: Ed25519PrivateKey
) -> None:
    hn = member("hn_police", keys["hn_police"])
    with pytest.raises(InvalidInput, match="twice"):
        Directory.sign([hn, hn], authority, serial=2, issued_at=T0)
