"""Hostile tests for the operator's files (issue 10 #14, #15): another local account reads
nothing cruce writes, and no secret lands in a path, a folder name or a printed URL."""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from tests._postgres import POSTGRES, fresh_schema
from typer.testing import CliRunner

from cruce import Node
from cruce._files import node_folder, private_dir, private_file, redact_url
from cruce.cli import app
from cruce.store import open_store

JUSTIFY = ["--purpose", "gangs_organized_crime", "--case", "HN-2026-0042"]
runner = CliRunner()


@contextmanager
def loose_umask() -> Iterator[None]:
    """The shell's usual umask (022): files come out 0644 unless cruce says otherwise."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture()
def open_folder() -> Iterator[Path]:
    """A folder every account may enter (0755, like a home or /srv), so that only each file's
    own mode stands between another account and its content."""
    folder = Path(tempfile.mkdtemp(prefix="cruce-files-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def private(path: Path) -> bool:
    """No access at all for group or others (a public key may be readable: its folder is not)."""
    if path.name.endswith(".pub.pem"):
        return stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_every_file_the_cli_writes_is_private_under_a_loose_umask(
    open_folder: Path, agency_dir: Path
) -> None:
    db = str(open_folder / "hn_police.duckdb")
    bad = agency_dir / "bad.csv"
    rows = (agency_dir / "personas.csv").read_text().splitlines()
    bad.write_text("\n".join([*rows, rows[1].replace("HN-1,", "HN-9,").replace("05/03/1990",
                                                                               "1990-31-12")]))
    with loose_umask():
        ok("init", "--db", db, "--agency", "hn_police")
        ok("ingest", str(bad), "--mapping", str(agency_dir / "mapping.yml"), "--db", db,
           "--rejects", str(open_folder / "rejects.csv"))
        ok("export", "--db", db, "-o", str(open_folder / "out" / "export.jsonl"), *JUSTIFY)
    made = sorted(open_folder.rglob("*"))
    assert {p.name for p in made} >= {"hn_police.duckdb", "rejects.csv", "export.jsonl", "out",
                                      "hn_police.duckdb.audit"}
    assert [str(p) for p in made if not private(p)] == []


def test_a_store_opened_by_the_library_is_private_with_its_wal(open_folder: Path) -> None:
    db = open_folder / "n.duckdb"
    with loose_umask(), Node.open(db, agency="hn_police") as node:
        node.store.set_setting("probe", "x")  # a write: DuckDB keeps it in the WAL for now
        wal = Path(f"{db}.wal")
        assert wal.exists()
        assert private(db) and private(wal)


def test_another_account_cannot_read_the_store_or_any_output(
    open_folder: Path, agency_dir: Path
) -> None:
    """As root here, drop to `nobody` in a forked child and try to read every file cruce made
    (the store, its audit log and keys, an export) while the node is open (its WAL too)."""
    db = open_folder / "hn_police.duckdb"
    with loose_umask():
        ok("init", "--db", str(db), "--agency", "hn_police")
        ok("ingest", str(agency_dir / "mapping.yml"), "--db", str(db))
        ok("export", "--db", str(db), "-o", str(open_folder / "export.jsonl"), *JUSTIFY)
    assert os.geteuid() == 0, "the test needs root to become another account"
    with loose_umask(), Node.open(db) as node:
        node.store.set_setting("probe", "x")  # the WAL exists while the node is open
        made = [p for p in open_folder.rglob("*") if p.is_file()]
        assert Path(f"{db}.wal") in made and open_folder / "export.jsonl" in made
        assert {name: result for name, result in read_as_nobody(made).items()
                if not name.endswith(".pub.pem")} == {str(p): "denied" for p in made
                                                       if not p.name.endswith(".pub.pem")}


def read_as_nobody(paths: list[Path]) -> dict[str, str]:
    """What another account (nobody) gets trying to read each file: 'read' or 'denied'."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: another local account
        os.close(read)
        results: dict[str, str] = {}
        try:
            os.setgid(65534)
            os.setuid(65534)
            for path in paths:
                try:
                    with path.open("rb") as fh:
                        fh.read(16)
                    results[str(path)] = "read"
                except PermissionError:
                    results[str(path)] = "denied"
        finally:
            os.write(write, json.dumps(results).encode())
            os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    return dict(json.loads(b"".join(chunks)))


def test_private_file_tightens_a_file_that_was_open_to_all(tmp_path: Path) -> None:
    target = tmp_path / "export.jsonl"
    target.write_text("old")
    target.chmod(0o644)
    with loose_umask(), private_file(target) as fh:
        fh.write("new")
    assert target.read_text() == "new" and private(target)
    with loose_umask():
        assert private(private_dir(tmp_path / "a" / "b")) and private(tmp_path / "a")


# -- secrets in URLs (issue 10 #15) -----------------------------------------------------------
def test_a_password_never_names_a_folder_and_both_sides_derive_the_same_one() -> None:
    url = "postgresql://cruce:hunter2@db.example:5433/nodes?options=-csearch_path%3Dhn"
    keys = node_folder(url, "keys", env={})
    assert keys is not None and "hunter2" not in str(keys)
    # The server derives from its store's (redacted) URL: the same folder, the same key pair.
    assert node_folder(redact_url(url), "keys", env={}) == keys
    assert node_folder("postgresql://other@db.example:5433/nodes?options=-csearch_path%3Dhn",
                       "keys", env={}) == keys
    assert node_folder(url + "&password=hunter3", "keys", env={}) == keys


@pytest.mark.postgres
def test_keys_init_and_the_server_agree_on_a_password_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`cruce keys` and the running node find the same key folder; nothing prints the
    password or writes it into a path (trust auth ignores the password given here)."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("CRUCE_KEYS_DIR", raising=False)
    with fresh_schema("cruce_files") as schema:
        host = POSTGRES.split("@", 1)[1].split("/", 1)[0]
        url = f"postgresql://postgres:hunter2@{host}/test?options=-csearch_path%3D{schema}"
        with loose_umask():
            printed = ok("init", "--db", url, "--agency", "hn_police")
            printed += ok("keys", "--db", url)
        assert "hunter2" not in printed
        made = list(tmp_path.rglob("*"))
        assert made and not [p for p in made if "hunter2" in str(p)]
        assert [str(p) for p in made if not private(p)] == []
        store = open_store(url)  # the server derives its folder from the store's URL
        server_keys = node_folder(store.url, "keys")
        store.close()
        assert server_keys == node_folder(url, "keys") and server_keys is not None
        assert server_keys.is_dir()
