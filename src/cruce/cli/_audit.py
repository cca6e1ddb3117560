"""`cruce audit …`: the node's tamper-evident log, for the node's engineers and oversight bodies.

Reading the log is itself logged: every export and who-saw query appends an event.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from cruce._csvsafe import csv_writer
from cruce._files import node_folder, private_file, redact_url
from cruce.audit import (
    AuditLog,
    Justification,
    verify_consistency,
    verify_inclusion,
    verify_log,
)
from cruce.audit._pins import check_key, check_size, pinned_key, pinned_size
from cruce.audit._sth import PUBLIC_KEY_FILE, load_public_key
from cruce.cli._common import (
    DbOption,
    JsonOption,
    console,
    err_console,
    must_exist,
    open_node,
    print_json,
    print_table,
    reports_errors,
)
from cruce.errors import CruceError, InvalidInput, NotFound

if TYPE_CHECKING:
    from cruce._node import Node

app = typer.Typer(help="The node's tamper-evident audit log (RFC 9162 Merkle log).",
                  no_args_is_help=True)
AuditDirOption = Annotated[Path | None, typer.Option("--log", help="The log's folder (default: DB.audit).")]


def _dir(db: str, log: Path | None) -> Path:
    path = log or node_folder(db, "audit")  # the one derivation (never from a password)
    if path is None:
        raise NotFound(f"the node at {redact_url(db)} keeps its audit log in its store: "
                       "give --log or CRUCE_AUDIT_DIR")
    if not path.exists():
        raise NotFound(f"no audit log at {path}")
    return path


@app.command()
@reports_errors
def verify(
    db: DbOption = "cruce.duckdb",
    log: AuditDirOption = None,
    public_key: Annotated[Path | None, typer.Option("--public-key", help="PEM of the node's published log key (default: the key pinned in the node's store; never the one beside the log).")] = None,
) -> None:
    """Recompute every hash and check the log against every signed head; report the first fault.

    The heads are checked under the node's published key: --public-key if given, otherwise
    the key the node pinned in its store when it was created (cruce init). The key kept beside
    the log is never trusted on its own: a log rewritten under a new key fails here. The log
    must also be as long as the store pinned when the node last closed (a log put back to an
    earlier copy fails). A log folder without its node (--log alone) needs --public-key.
    """
    folder = _dir(db, log)
    pins = _store_pins(db, log, given_key=public_key is not None)
    if public_key is not None:
        key, under = load_public_key(public_key), "--public-key"
    elif pins is not None and pins[0] is not None:
        key, under = pins[0], "the key pinned in the node's store"
        beside = folder / PUBLIC_KEY_FILE
        if beside.exists():
            check_key(key, load_public_key(beside))
    else:
        raise InvalidInput(_NO_KEY)
    report = verify_log(folder, key)
    signed = report.latest_head.tree_size if report.latest_head else 0
    if pins is not None:
        check_size(pins[1], signed)
    notes = f"; {report.tree_size - signed} entries after the last signed head" if report.tree_size > signed else ""
    if report.torn_tail_bytes:
        notes += f"; {report.torn_tail_bytes} unacknowledged bytes after a crash"
    console.print(f"ok: {report.tree_size} entries, root {report.root_hash.hex()}, "
                  f"{report.heads_checked} signed heads verified under {under}{notes}",
                  highlight=False)


_NO_KEY = ("cannot verify: no published key for this log (none is pinned in the node's store); "
           "pass --public-key with the key the node published (its peers hold it too)")


def _store_pins(
    db: str, log: Path | None, *, given_key: bool
) -> tuple[Ed25519PublicKey | None, int] | None:
    """The log key and signed size the node's store pinned, or None without a store.

    A folder given alone (--log, no node at --db) has none. A store held by a running node
    cannot be read: then only --public-key will do.
    """
    from cruce.store import open_store

    if log is not None and not _node_exists(db):
        return None
    try:
        store = open_store(db)
    except CruceError as exc:
        if given_key:
            return None
        raise InvalidInput(f"cannot verify: the node's store pins the log's key and cannot be "
                           f"read ({exc.message}); pass --public-key") from None
    try:
        return pinned_key(store), pinned_size(store)
    finally:
        store.close()


def _node_exists(db: str) -> bool:
    try:
        must_exist(db)
    except NotFound:
        return False
    return True


@app.command()
@reports_errors
def head(db: DbOption = "cruce.duckdb") -> None:
    """Print the latest signed tree head (size, root hash, time, signature)."""
    with open_node(db) as node:
        sth = _log(node).head()
    console.print_json(json.dumps(sth.to_dict()))


@app.command("prove-inclusion")
@reports_errors
def prove_inclusion(
    index: Annotated[int, typer.Argument(help="The entry's index (0-based).")],
    db: DbOption = "cruce.duckdb",
) -> None:
    """Print the inclusion proof of entry N in the current tree, checked against the head."""
    with open_node(db) as node:
        log = _log(node)
        sth = log.head()
        if not 0 <= index < sth.tree_size:
            raise InvalidInput(f"entry {index} is not in the log of {sth.tree_size} entries")
        proof = log.prove_inclusion(index, sth.tree_size)
        ok = verify_inclusion(log.leaf_hash(index), proof, sth.root_hash)
    console.print_json(json.dumps({**proof.to_dict(), "root_hash": sth.root_hash.hex(), "verified": ok}))


@app.command("prove-consistency")
@reports_errors
def prove_consistency(
    old: Annotated[int, typer.Argument(help="The earlier tree size.")],
    new: Annotated[int, typer.Argument(help="The later tree size.")],
    db: DbOption = "cruce.duckdb",
) -> None:
    """Print the proof that the tree of OLD entries is a prefix of the tree of NEW entries."""
    with open_node(db) as node:
        log = _log(node)
        size = log.head().tree_size
        if not 0 < old <= new <= size:
            raise InvalidInput(f"need 0 < OLD <= NEW <= {size} (the log's size)")
        proof = log.prove_consistency(old, new)
        old_root, new_root = log.root(old), log.root(new)
    ok = verify_consistency(proof, old_root, new_root)
    console.print_json(json.dumps({**proof.to_dict(), "old_root": old_root.hex(),
                                   "new_root": new_root.hex(), "verified": ok}))


@app.command()
@reports_errors
def export(
    db: DbOption = "cruce.duckdb",
    since: Annotated[str | None, typer.Option(help="Only events at or after this ISO time (UTC).")] = None,
    format: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write; - for stdout.")] = Path("-"),
    why: Annotated[str, typer.Option("--why", help="Why the log is read (kept in the log).")] = "oversight review",
) -> None:
    """Export the log's events for an oversight body (the export is itself logged)."""
    if format not in ("jsonl", "csv"):
        raise InvalidInput(f"--format must be jsonl or csv, not {format!r}")
    start = _since(since)
    with open_node(db) as node:
        log = _log(node)
        node.log_audit_read("export", _audit_why(why))
        entries = [(e.index, e.event) for e in log.iter_events(start)]
    fh = sys.stdout if str(out) == "-" else private_file(out, "w")
    try:
        _write(fh, entries, format)
    finally:
        if fh is not sys.stdout:
            fh.close()


@app.command("who-saw")
@reports_errors
def who_saw(
    record_id: Annotated[str, typer.Argument(help="The record's id.")],
    db: DbOption = "cruce.duckdb",
    why: Annotated[str, typer.Option("--why", help="Why the log is read (kept in the log).")] = "oversight review",
) -> None:
    """Every consultation and disclosure of one record: who, when, why, to whom."""
    with open_node(db) as node:
        log = _log(node)
        node.log_audit_read(f"who-saw {record_id}", _audit_why(why))
        entries = log.who_saw(record_id)
    for entry in entries:
        e = entry.event
        j = e["justification"]
        to = f" to {', '.join(e['recipients'])}" if e["recipients"] else ""
        console.print(f"#{entry.index} {e['at']} {e['op']}{to} by {e['actor']['user']} "
                      f"({e['actor']['agency']}, {e['actor']['role']}): {j['purpose']}, case "
                      f"{j['case_reference'] or '-'}: {j['text']}", highlight=False)
    console.print(f"{len(entries)} consultations or disclosures of {record_id}", highlight=False)


def _log(node: Node) -> AuditLog:
    if node.audit is None:
        raise NotFound("this node keeps no audit log (an in-memory store)")
    return node.audit



def _audit_why(text: str) -> Justification:
    return Justification("intelligence", "Directive 2016/680 Art. 25(2)", "", text)


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"--since {text!r} is not an ISO date or time") from None
    from datetime import UTC

    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _write(fh: Any, entries: list[tuple[int, dict[str, Any]]], format: str) -> None:
    if format == "jsonl":
        for index, event in entries:
            fh.write(json.dumps({"index": index, **event}, ensure_ascii=False, sort_keys=True) + "\n")
        return
    writer = csv_writer(fh)  # a case text `=HYPERLINK(...)` must not run in a spreadsheet
    writer.writerow(["index", "at", "op", "agency", "user", "role", "purpose", "legal_basis",
                     "case_reference", "text", "record_count", "record_ids", "recipients", "batch"])
    for index, e in entries:
        a, j = e["actor"], e["justification"]
        writer.writerow([index, e["at"], e["op"], a["agency"], a["user"], a["role"], j["purpose"],
                         j["legal_basis"], j["case_reference"], j["text"], e["record_count"],
                         " ".join(e["record_ids"]), " ".join(e["recipients"]), e["batch"] or ""])


@app.command()
@reports_errors
def serve(
    db: DbOption = "cruce.duckdb",
    log: AuditDirOption = None,
    socket: Annotated[Path | None, typer.Option("--socket", help="Unix socket to listen on (default: append.sock in the log's folder).")] = None,
) -> None:
    """Own the log and let writers in other processes of this OS user append to it.

    Each append over the socket is answered once its event is durable, as in-process. Stop
    with Ctrl-C or SIGTERM: requests already received are answered, and a final head signed.
    """
    import asyncio
    import signal

    from cruce.audit._service import LogService

    folder = _dir(db, log)

    async def run() -> None:
        with AuditLog.open(folder) as opened:
            async with LogService(opened, socket) as service:
                stop = asyncio.Event()
                loop = asyncio.get_running_loop()
                for signum in (signal.SIGINT, signal.SIGTERM):
                    loop.add_signal_handler(signum, stop.set)
                console.print(f"serving audit log {folder} ({opened.size} entries) on "
                              f"{service.path}", highlight=False)
                await stop.wait()
                for signum in (signal.SIGINT, signal.SIGTERM):  # a second one interrupts
                    loop.remove_signal_handler(signum)
            console.print(f"stopped: {opened.size} entries", highlight=False)

    asyncio.run(run())


@app.command("check-peer")
@reports_errors
def check_peer(
    agency: Annotated[str, typer.Argument(help="The member agency whose log to cross-check.")],
    db: DbOption = "cruce.duckdb",
) -> None:
    """Fetch a peer node's signed audit head and check it extends every head seen before.

    A peer whose log shrank, forked or changed key is reported on one line (exit 2) and kept
    in the node's peer checks (`cruce audit peers`); so is a peer that cannot be reached.
    """
    import logging

    from cruce.share._node import http_get

    # The finding is this command's one `Error:` line: not also the check's log record
    # (logging's last-resort handler would print it to stderr a second time).
    quiet = logging.NullHandler()
    logging.getLogger("cruce.audit").addHandler(quiet)
    try:
        with open_node(db) as node:
            result = node.sharing.check_peer(agency, http_get)
    finally:
        logging.getLogger("cruce.audit").removeHandler(quiet)
    console.print(f"{agency}: audit log consistent, {result['previous_size']} -> "
                  f"{result['tree_size']} entries", highlight=False)


@app.command("peers")
@reports_errors
def peers(db: DbOption = "cruce.duckdb", as_json: JsonOption = False) -> None:
    """Every peer whose audit log this node cross-checked: the last check, the entries seen,
    and the last time its log was found broken (cut short, forked, another key)."""
    with open_node(db) as node:
        states = node.store.peer_states()
    rows = [{"agency": s.agency, "last check": s.outcome, "checked at": s.checked_at,
             "entries seen": s.seen_size, "detail": s.detail,
             "broken at": s.broken_at or "", "broken": s.broken_detail} for s in states]
    if as_json:
        print_json(rows)
        return
    print_table(rows, ["agency", "last check", "checked at", "entries seen", "broken at",
                       "detail"], ids=["agency"])
    for state in states:
        if state.broken_at is not None:
            err_console.print(f"{state.agency}: audit log BROKEN (found {state.broken_at}): "
                              f"{state.broken_detail}", markup=False, highlight=False,
                              soft_wrap=True)
