"""The compact authority's private key is held to the node keys' rule: private from its first
byte, and refused once group or others can read it."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cruce.cli import app
from cruce.share import NodeKeys

runner = CliRunner()


def members_file(folder: Path) -> Path:
    pub = NodeKeys.generate().public()
    listed = folder / "members.json"
    listed.write_text(json.dumps([{"id": "hn_police", "country": "HN",
                                   "endpoint": "https://hn.example/",
                                   "signing_key": pub.signing.hex(),
                                   "encryption_key": pub.encryption.hex()}]))
    return listed


def test_keygen_writes_the_private_key_private_and_the_public_one_readable(
    tmp_path: Path,
) -> None:
    result = runner.invoke(app, ["directory", "keygen", "--out", str(tmp_path / "authority")])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE((tmp_path / "authority").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "authority" / "authority.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "authority" / "authority.pub.pem").stat().st_mode) == 0o644
    again = runner.invoke(app, ["directory", "keygen", "--out", str(tmp_path / "authority")])
    assert again.exit_code == 2
    assert "exists already; the authority keeps one key" in again.output


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_signing_with_a_key_others_can_read_is_refused(tmp_path: Path, mode: int) -> None:
    runner.invoke(app, ["directory", "keygen", "--out", str(tmp_path / "authority")])
    key = tmp_path / "authority" / "authority.pem"
    key.chmod(mode)
    out = tmp_path / "directory.json"
    result = runner.invoke(app, ["directory", "sign", str(members_file(tmp_path)),
                                 "--key", str(key), "--out", str(out)])
    assert result.exit_code == 2
    assert result.output.strip() == f"Error: {key} is readable by group or others; chmod 600 it"
    assert not out.exists()
    key.chmod(0o600)
    signed = runner.invoke(app, ["directory", "sign", str(members_file(tmp_path)),
                                 "--key", str(key), "--out", str(out)])
    assert signed.exit_code == 0, signed.output
    assert out.exists()
