"""Backing up a node and restoring it: store, audit log, keys and directory, in one folder.

A backup folder holds `store.duckdb`, `audit/`, `keys/`, `directory/` (the signed directory
and the authority's public key the node was configured with, if any) and `manifest.json`: the
cruce version and schema, the node's agency, when, the audit log's size, and the SHA-256 of
every file. Restore checks every digest before it writes anything.

Consistency: the store is copied first, in one read transaction (`cruce.store._backup`), then
the audit log's files, heads and indexes before entries. Events are durable before the data
they describe commits, so the log copy holds every event of the store copy; a head or entry
appended while the files are copied is what a crash at that moment would leave, and the log's
crash recovery (`cruce.audit._recover`) makes it whole when the restored node opens.

Restoring brings back the node as it was: records erased since then come back until the
providers' erasures and corrections since the backup are applied again (docs/operations.md).
The restore itself is an event in the restored node's log, naming the backup.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cruce import __version__
from cruce._files import node_folder, private_dir
from cruce._node import Node
from cruce.audit import Actor, verify_log
from cruce.audit._pins import pinned_key
from cruce.errors import InvalidInput
from cruce.store._backup import copy_store, known_schema, log_node_event, refuse_uncopyable

MANIFEST = "manifest.json"
RESTORED_SETTING = "restored_from_backup"  # set by restore, cleared by `mark_reconciled`
STORE_FILE = "store.duckdb"
FORMAT = 1
# The log's indexes and heads before its entries (see the module docstring); lock left out.
_AUDIT_ORDER = ("heads.bin", "tree.bin", "offsets.bin", "writer.journal", "entries.log")


def backup_node(node: Node, out: Path, user: str) -> dict[str, Any]:
    """Copy the open `node` into the new folder `out`; returns the manifest written there."""
    if out.exists() and any(out.iterdir()):
        raise InvalidInput(f"{out} is not empty: a backup goes into a new folder")
    refuse_uncopyable(node.store)
    if node.audit is None:
        raise InvalidInput("a node without an audit folder cannot be backed up with its log")
    private_dir(out)
    actor = Actor(node.agency or "", user, "operator")
    log_node_event(node.store, actor, "backup", {"to": str(out)})
    schema = copy_store(node.store, out / STORE_FILE)
    _copy_audit(node.audit.directory, out / "audit")
    keys = node_folder(node.store.url, "keys")
    if keys is not None and keys.is_dir():
        _copy_folder(keys, out / "keys")
    _copy_directory(out / "directory")
    manifest = {
        "format": FORMAT, "cruce": __version__, "schema_version": schema,
        "agency": node.agency, "created_at": datetime.now(UTC).isoformat(),
        "source": node.store.url, "audit_size": node.audit.size,
        "files": _digests(out),
    }
    _write_private(out / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode())
    return manifest


def restore_node(backup: Path, db: Path, user: str) -> dict[str, Any]:
    """Make the new node `db` from a backup folder; the restore is logged in its audit log.
    Returns the backup's manifest and the restored log's size."""
    manifest = read_manifest(backup)
    targets = [db, Path(f"{db}.audit"), Path(f"{db}.keys")]
    taken = [str(t) for t in targets if t.exists()]
    if taken:
        raise InvalidInput(f"{taken[0]} exists already: restore makes a new node (--db NEW)")
    private_dir(db.parent)
    try:
        shutil.copyfile(backup / STORE_FILE, db)
        os.chmod(db, 0o600)
        _copy_folder(backup / "audit", targets[1])
        if (backup / "keys").is_dir():
            _copy_folder(backup / "keys", targets[2])
        with Node.open(db) as node:
            actor = Actor(node.agency or "", user, "operator")
            restored = {"from": str(backup), "backup_created_at": manifest["created_at"],
                        "backup_audit_size": manifest["audit_size"]}
            log_node_event(node.store, actor, "restore", restored)
            # Not ready until the operator says the providers' erasures and corrections since
            # the backup were applied (`cruce node reconciled`; /ready answers 503 until then).
            node.store.set_setting(RESTORED_SETTING, json.dumps(restored, sort_keys=True))
            key = pinned_key(node.store)
        assert key is not None  # a node with a log has its key pinned (cruce.audit._pins)
        report = verify_log(targets[1], key)
    except BaseException:
        for target in targets:  # nothing half-restored is left for a node to start on
            shutil.rmtree(target, ignore_errors=True) if target.is_dir() else \
                target.unlink(missing_ok=True)
        raise
    return {**manifest, "restored_audit_size": report.tree_size}


def restored_state(node: Node) -> dict[str, Any] | None:
    """The backup this node was restored from, while not yet marked reconciled."""
    text = node.store.get_setting(RESTORED_SETTING)
    return json.loads(text) if text else None


def mark_reconciled(node: Node, user: str, why: str) -> dict[str, Any]:
    """The operator's word that what the providers erased or corrected since the backup was
    applied again; logged, and the node is ready again."""
    state = restored_state(node)
    if state is None:
        raise InvalidInput("this node was not restored from a backup (or was reconciled already)")
    if not why.strip():
        raise InvalidInput("say how the node was reconciled (--why), it is logged")
    actor = Actor(node.agency or "", user, "operator")
    with node.store.transaction():
        log_node_event(node.store, actor, "reconciled", {**state, "how": why[:500]})
        node.store.set_setting(RESTORED_SETTING, "")
    return state


def read_manifest(backup: Path) -> dict[str, Any]:
    """The backup's manifest, every file checked against its digest; InvalidInput if not."""
    try:
        manifest = json.loads((backup / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(f"{backup} is not a cruce backup (no {MANIFEST})") from None
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"{backup / MANIFEST}: cannot be read ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InvalidInput(f"{backup / MANIFEST}: not a backup of format {FORMAT}")
    if int(manifest.get("schema_version", 0)) > known_schema():
        raise InvalidInput(
            f"{backup} holds schema version {manifest['schema_version']}, newer than this "
            f"cruce knows ({known_schema()}): restore it with cruce {manifest.get('cruce')} "
            "or later")
    listed = manifest.get("files")
    listed = listed if isinstance(listed, dict) else {}
    found = _digests(backup, exclude=MANIFEST)
    if listed != found:
        bad = sorted(set(listed) ^ set(found) | {
            name for name in set(listed) & set(found) if listed[name] != found[name]})
        raise InvalidInput(f"{backup}: {bad[0]} differs from the backup's manifest (changed, "
                           "missing or added since the backup): the backup cannot be trusted")
    return manifest


# -- files ------------------------------------------------------------------------------------
def _copy_audit(source: Path, dest: Path) -> None:
    private_dir(dest)
    names = sorted((p.name for p in source.iterdir() if p.is_file() and p.name != "lock"),
                   key=lambda n: (_AUDIT_ORDER.index(n) if n in _AUDIT_ORDER else -1, n))
    for name in names:
        _copy_file(source / name, dest / name)


def _copy_folder(source: Path, dest: Path) -> None:
    private_dir(dest)
    for path in sorted(source.iterdir()):
        if path.is_file() and path.name != "lock":
            _copy_file(path, dest / path.name)


def _copy_directory(dest: Path) -> None:
    """The signed directory and the authority key this node runs with (CRUCE_DIRECTORY,
    CRUCE_AUTHORITY_KEY), if it is a member: restore needs them to share again."""
    named = {"directory.signed": os.environ.get("CRUCE_DIRECTORY"),
             "authority.key": os.environ.get("CRUCE_AUTHORITY_KEY")}
    present = {name: Path(path) for name, path in named.items() if path and Path(path).is_file()}
    if present:
        private_dir(dest)
        for name, path in present.items():
            _copy_file(path, dest / name)


def _copy_file(source: Path, dest: Path) -> None:
    shutil.copyfile(source, dest)
    os.chmod(dest, 0o600 if not dest.name.endswith(".pub.pem") else 0o644)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _digests(folder: Path, exclude: str = MANIFEST) -> dict[str, str]:
    found = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_file() and name != exclude:
            found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found
