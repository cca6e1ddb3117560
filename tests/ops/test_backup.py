"""`cruce node backup` and `cruce node restore`: the whole node into one folder and back, each
logged; a backup altered since it was taken is refused before anything is written."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cruce import Node, justification
from cruce.cli import app

runner = CliRunner()
WHY = justification("gangs_organized_crime", "HN-2026-0042", "restore check")


def ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def error(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.fixture()
def node_db(tmp_path: Path, agency_dir: Path) -> Path:
    db = tmp_path / "hn.duckdb"
    ok("init", "--db", str(db), "--agency", "hn_police")
    ok("ingest", str(agency_dir / "mapping.yml"), "--db", str(db))
    ok("users", "add", "ana.lopez", "--role", "analyst", "--db", str(db))
    ok("keys", "--db", str(db), "--country", "HN", "--endpoint", "https://hn.example/")
    return db


def admin_changes(db: Path) -> list[str]:
    with Node.open(db) as node:
        assert node.audit is not None
        return [e.event.get("details", {}).get("change") for e in node.audit.iter_events()
                if e.event["op"] == "administration"]


def test_a_backup_restores_into_a_new_node_with_everything(node_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "backup"
    manifest = json.loads(ok("node", "backup", "--db", str(node_db), "--out", str(out),
                             "--json"))
    assert manifest["agency"] == "hn_police" and manifest["schema_version"] >= 14
    assert sorted(manifest["files"]) == sorted(
        p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()
        and p.name != "manifest.json")
    assert {"store.duckdb", "audit/entries.log", "keys/signing-key.pem"} <= set(manifest["files"])
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert stat.S_IMODE((out / "keys" / "signing-key.pem").stat().st_mode) == 0o600

    new = tmp_path / "restored" / "hn.duckdb"
    said = ok("node", "restore", str(out), "--db", str(new))
    assert "restored hn_police from the backup of" in " ".join(said.split())
    with Node.open(new, user="analyst1", role="analyst") as node:
        assert node.agency == "hn_police"
        assert node.store.count() == 9
        assert [u.name for u in node.store.list_users()] == ["ana.lopez"]
        assert node.search("tzul", WHY)
    assert (Path(f"{new}.keys") / "signing-key.pem").read_bytes() == \
        (Path(f"{node_db}.keys") / "signing-key.pem").read_bytes()
    ok("audit", "verify", "--db", str(new))
    # Both acts are in the restored node's log: the backup (in the copy) and the restore.
    assert admin_changes(new)[-2:] == ["backup", "restore"]
    assert admin_changes(node_db)[-1] == "backup"


def test_a_backup_taken_again_never_overwrites(node_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "backup"
    ok("node", "backup", "--db", str(node_db), "--out", str(out))
    assert error("node", "backup", "--db", str(node_db), "--out", str(out)) == \
        f"Error: {out} is not empty: a backup goes into a new folder"


def test_restore_never_replaces_an_existing_node(node_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "backup"
    ok("node", "backup", "--db", str(node_db), "--out", str(out))
    before = node_db.read_bytes()
    assert error("node", "restore", str(out), "--db", str(node_db)) == \
        f"Error: {node_db} exists already: restore makes a new node (--db NEW)"
    assert node_db.read_bytes() == before


@pytest.mark.parametrize("change", ["alter", "remove", "add"])
def test_a_backup_changed_since_it_was_taken_is_refused(node_db: Path, tmp_path: Path,
                                                        change: str) -> None:
    out = tmp_path / "backup"
    ok("node", "backup", "--db", str(node_db), "--out", str(out))
    entries = out / "audit" / "entries.log"
    if change == "alter":
        data = bytearray(entries.read_bytes())
        data[-1] ^= 1
        entries.write_bytes(bytes(data))
    elif change == "remove":
        entries.unlink()
    else:
        (out / "audit" / "extra.bin").write_bytes(b"x")
    new = tmp_path / "new.duckdb"
    line = error("node", "restore", str(out), "--db", str(new))
    assert line.startswith(f"Error: {out}: audit/")
    assert line.endswith("differs from the backup's manifest (changed, missing or added since "
                         "the backup): the backup cannot be trusted")
    assert not new.exists() and not Path(f"{new}.audit").exists()


def test_a_folder_that_is_no_backup_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert error("node", "restore", str(tmp_path / "empty"), "--db", str(tmp_path / "n.duckdb")) \
        == f"Error: {tmp_path / 'empty'} is not a cruce backup (no manifest.json)"


def test_a_backup_holds_the_directory_the_node_runs_with(
    node_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "directory.signed").write_bytes(b"{}")
    (tmp_path / "authority.pub.pem").write_bytes(b"pem")
    monkeypatch.setenv("CRUCE_DIRECTORY", str(tmp_path / "directory.signed"))
    monkeypatch.setenv("CRUCE_AUTHORITY_KEY", str(tmp_path / "authority.pub.pem"))
    out = tmp_path / "backup"
    manifest = json.loads(ok("node", "backup", "--db", str(node_db), "--out", str(out),
                             "--json"))
    assert {"directory/directory.signed", "directory/authority.key"} <= set(manifest["files"])


@pytest.mark.postgres
def test_a_postgres_node_is_sent_to_pg_dump(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from tests._postgres import fresh_store_url

    monkeypatch.setenv("CRUCE_AUDIT_DIR", str(tmp_path / "audit"))
    with fresh_store_url() as url:
        ok("init", "--db", url, "--agency", "hn_police")
        line = error("node", "backup", "--db", url, "--out", str(tmp_path / "b"))
        assert line.startswith("Error: cruce node backup copies DuckDB nodes; back up the store ")
        assert line.endswith("with pg_dump and its audit folder with it (docs/operations.md, "
                             "Backup and restore)")
        assert not (tmp_path / "b").exists()


def test_a_restored_node_is_not_ready_until_marked_reconciled(node_db: Path,
                                                               tmp_path: Path) -> None:
    from fastapi.testclient import TestClient
    from tests.ops.test_ops_api import app_with_ops

    out, new = tmp_path / "backup", tmp_path / "new.duckdb"
    ok("node", "backup", "--db", str(node_db), "--out", str(out))
    ok("node", "restore", str(out), "--db", str(new))
    with Node.open(new) as node:
        ready = TestClient(app_with_ops(node)).get("/ready")
    assert ready.status_code == 503
    assert ready.json()["checks"]["restore"] == ("restored from a backup, not reconciled with "
                                                 "its providers")
    assert error("node", "reconciled", "--db", str(new), "--why", " ") == \
        "Error: say how the node was reconciled (--why), it is logged"
    said = ok("node", "reconciled", "--db", str(new), "--why",
              "providers resent their erasure notices since the backup")
    assert "reconciled since the backup of" in said
    with Node.open(new) as node:
        ready = TestClient(app_with_ops(node)).get("/ready")
    assert ready.status_code == 200 and "restore" not in ready.json()["checks"]
    assert admin_changes(new)[-3:] == ["backup", "restore", "reconciled"]
    assert error("node", "reconciled", "--db", str(new), "--why", "again") == \
        "Error: this node was not restored from a backup (or was reconciled already)"
