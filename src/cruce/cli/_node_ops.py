"""`cruce node backup` and `cruce node restore`: a node's store, audit log, keys and directory
copied into one folder, and a new node made from it (see `cruce._backup`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cruce.cli._common import (
    DbOption,
    JsonOption,
    console,
    open_node,
    operator,
    print_json,
    reports_errors,
)


@reports_errors
def backup(
    out: Annotated[Path, typer.Option("--out", help="A new (or empty) folder for the backup.")],
    db: DbOption = "cruce.duckdb",
    json_output: JsonOption = False,
) -> None:
    """Copy the node (store, audit log, keys, directory) into a new folder, consistently; the
    backup is logged in the node's audit log. Run it where the node's store is open: a DuckDB
    node is held by one process, so stop its server first or back up from the server."""
    from cruce._backup import backup_node

    with open_node(db) as node:
        manifest = backup_node(node, out, operator())
    if json_output:
        print_json(manifest)
        return
    console.print(f"backup of {manifest['agency']} (schema {manifest['schema_version']}, "
                  f"{manifest['audit_size']} audit entries, {len(manifest['files'])} files) "
                  f"in {out}", highlight=False, soft_wrap=True)


@reports_errors
def restore(
    backup_dir: Annotated[Path, typer.Argument(help="A folder written by cruce node backup.")],
    db: Annotated[Path, typer.Option("--db", help="The NEW node's store file (must not exist).")],
    json_output: JsonOption = False,
) -> None:
    """Make a new node from a backup (every file checked against the backup's manifest); the
    restore is logged in the new node's audit log. Records erased or corrected by their
    providers since the backup must be brought up to date before it serves (docs/operations.md)."""
    from cruce._backup import restore_node

    done = restore_node(backup_dir, db, operator())
    if json_output:
        print_json(done)
        return
    console.print(f"restored {done['agency']} from the backup of {done['created_at']} into "
                  f"{db} (audit log verified, {done['restored_audit_size']} entries)",
                  highlight=False, soft_wrap=True)


@reports_errors
def reconciled(
    why: Annotated[str, typer.Option("--why", help="How the providers' erasures and "
                                     "corrections since the backup were applied (logged).")],
    db: DbOption = "cruce.duckdb",
) -> None:
    """Mark a restored node reconciled: what its providers erased or corrected since the backup
    was applied again. Until then its /ready answers 503 (restored, not reconciled)."""
    from cruce._backup import mark_reconciled

    with open_node(db) as node:
        state = mark_reconciled(node, operator(), why)
    console.print(f"{db}: reconciled since the backup of {state['backup_created_at']}",
                  highlight=False, soft_wrap=True)
