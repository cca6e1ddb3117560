from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cruce.errors import Conflict, InvalidInput
from cruce.share import NodeKeys
from cruce.share._keys import ENCRYPTION_KEY_FILE, SIGNING_KEY_FILE, SIGNING_PUBLIC_FILE


def test_keys_round_trip_through_a_folder(tmp_path: Path) -> None:
    keys = NodeKeys.generate()
    keys.save(tmp_path / "keys")
    loaded = NodeKeys.load(tmp_path / "keys")
    assert loaded.public() == keys.public()
    message = b"a signed message"
    keys.signing_key.public_key().verify(loaded.signing_key.sign(message), message)


def test_private_key_files_are_mode_0600_and_folder_0700(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        NodeKeys.generate().save(tmp_path / "keys")
    finally:
        os.umask(old)
    for name in (SIGNING_KEY_FILE, ENCRYPTION_KEY_FILE):
        assert stat.S_IMODE((tmp_path / "keys" / name).stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    assert b"PUBLIC KEY" in (tmp_path / "keys" / SIGNING_PUBLIC_FILE).read_bytes()


def test_public_parts_are_32_raw_bytes_each() -> None:
    pub = NodeKeys.generate().public()
    assert len(pub.signing) == 32 and len(pub.encryption) == 32


def test_saving_over_existing_keys_is_refused(tmp_path: Path) -> None:
    NodeKeys.generate().save(tmp_path)
    with pytest.raises(Conflict, match="already exists"):
        NodeKeys.generate().save(tmp_path)


def test_loading_a_group_readable_private_key_is_refused(tmp_path: Path) -> None:
    NodeKeys.generate().save(tmp_path)
    (tmp_path / SIGNING_KEY_FILE).chmod(0o640)
    with pytest.raises(InvalidInput, match="chmod 600"):
        NodeKeys.load(tmp_path)


def test_load_or_generate_keeps_the_first_keys(tmp_path: Path) -> None:
    first = NodeKeys.load_or_generate(tmp_path)
    assert NodeKeys.load_or_generate(tmp_path).public() == first.public()


def test_repr_and_errors_never_show_private_key_material(tmp_path: Path) -> None:
    keys = NodeKeys.generate()
    keys.save(tmp_path)
    pem = (tmp_path / SIGNING_KEY_FILE).read_text()
    body = "".join(pem.splitlines()[1:-1])
    assert body not in repr(keys) and "Private" not in repr(keys)
    (tmp_path / SIGNING_KEY_FILE).write_text(pem.replace(body[:8], "AAAAAAAA"))
    (tmp_path / SIGNING_KEY_FILE).chmod(0o600)
    with pytest.raises(InvalidInput) as err:
        NodeKeys.load(tmp_path)
    assert body[8:20] not in str(err.value)
