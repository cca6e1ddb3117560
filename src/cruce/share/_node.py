"""Sharing inside a node: disclose under the rules through an outbox, receive and keep.

The server decides, never the client: every record is checked with `decide` for every
recipient, the disclosure is logged with its recipients and justification before anything
leaves, and a package goes out once per recipient from the outbox until it is delivered.
Delivery is idempotent: a recipient that already holds a share answers that it does.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cruce.audit._events import Actor, Justification
from cruce.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from cruce.records import Record
from cruce.share._directory import Directory
from cruce.share._keys import NodeKeys
from cruce.share._package import ReplayDetected, Share, open_package, seal
from cruce.share._rules import Decision, Release, decide
from cruce.store import RecordQuery

if TYPE_CHECKING:
    from cruce._node import Node

Post = Callable[[str, bytes], int]  # (url, body) -> HTTP status


@dataclass
class Disclosure:
    """What one share call did: the package per recipient, and every record refused and why."""

    share_ids: dict[str, str] = field(default_factory=dict)  # recipient -> share id
    sent: dict[str, list[str]] = field(default_factory=dict)  # recipient -> record ids
    refused: dict[str, dict[str, str]] = field(default_factory=dict)  # recipient -> id -> reason


class StoreReplayGuard:
    """Share ids already received, kept in the node's store (survives restarts)."""

    def __init__(self, node: Node) -> None:
        self.store = node.store

    def seen(self, share_id: str) -> bool:
        return bool(
            self.store._query("SELECT 1 FROM received_shares WHERE share_id = ?", (share_id,))
        )

    def remember(self, share_id: str, until: datetime) -> None:
        # Recorded with the records in `receive`, in one transaction.
        del share_id, until


class Sharing:
    """`node.sharing`: disclose records to other agencies, deliver, and receive."""

    def __init__(self, node: Node, keys: NodeKeys, directory: Directory) -> None:
        self.node = node
        self.keys = keys
        self.directory = directory

    @property
    def agency(self) -> str:
        if not self.node.agency:
            raise InvalidInput("this node has no agency yet: run cruce init")
        return self.node.agency

    def disclose(
        self,
        record_ids: Sequence[str],
        recipients: Sequence[str],
        why: Justification,
        release: Release | None = None,
    ) -> Disclosure:
        """Check every record for every recipient, log the disclosure, queue the packages."""
        records = self._records(record_ids)
        out = Disclosure()
        for recipient in recipients:
            member = self.directory.member(recipient)
            decisions = {r.id: self._decide(r, recipient, why, release) for r in records}
            allowed = [r for r in records if decisions[r.id].allowed]
            out.refused[recipient] = {i: d.reason for i, d in decisions.items() if not d.allowed}
            if not allowed:
                continue
            share_id = str(uuid.uuid4())
            self.node.store.log_disclosure(
                [r.id for r in allowed],
                self.node.actor,
                why,
                [recipient],
                {"share_id": share_id, "refused": len(records) - len(allowed)},
            )
            package = seal(
                allowed,
                self.keys,
                self.agency,
                [member],
                share_id,
                datetime.now(UTC),
                purpose=why.purpose,
                conditions={
                    i: decisions[i].conditions
                    for i in decisions
                    if decisions[i].allowed and decisions[i].conditions
                },
            )
            self._queue(share_id, recipient, package, len(allowed))
            out.share_ids[recipient], out.sent[recipient] = share_id, [r.id for r in allowed]
        if not any(out.sent.values()):
            reasons = {r for refused in out.refused.values() for r in refused.values()}
            raise PermissionDenied("nothing may be shared: " + "; ".join(sorted(reasons)))
        return out

    def deliver(self, post: Post) -> dict[str, int]:
        """Send every undelivered package; a failure stays queued for the next attempt."""
        counts = {"delivered": 0, "failed": 0}
        rows = self.node.store._query(
            "SELECT share_id, recipient, package FROM outbox WHERE delivered_at IS NULL "
            "ORDER BY created_at"
        )
        for share_id, recipient, package in rows:
            url = (
                self.directory.member(str(recipient)).endpoint.rstrip("/") + "/api/v1/shares/inbox"
            )
            try:
                status = post(url, base64.b64decode(str(package)))
                error = None if status in (200, 201) else f"HTTP {status}"
            except Exception as exc:  # the recipient is down: try again later
                error = f"{type(exc).__name__}: {exc}"
            self._mark(str(share_id), str(recipient), error)
            counts["failed" if error else "delivered"] += 1
        return counts

    def receive(self, data: bytes) -> tuple[Share | None, str]:
        """Open a package addressed to this node and keep its records with their envelopes.

        Returns (share, "received"), or (None, "already received") for a share this node
        holds already (deliveries are retried; each share is kept exactly once).
        """
        try:
            share = open_package(
                data, self.keys, self.agency, self.directory, StoreReplayGuard(self.node)
            )
        except ReplayDetected:
            return None, "already received"
        self._keep(share)
        return share, "received"

    def inbox(self) -> list[tuple[str, str, int, datetime]]:
        rows = self.node.store._query(
            "SELECT share_id, sender, records, received_at FROM received_shares "
            "ORDER BY received_at"
        )
        return [(str(r[0]), str(r[1]), int(r[2]), r[3]) for r in rows]

    def outbox(self) -> list[tuple[str, str, int, int, str | None, datetime | None]]:
        rows = self.node.store._query(
            "SELECT share_id, recipient, records, attempts, last_error, delivered_at FROM outbox "
            "ORDER BY created_at"
        )
        return [(str(r[0]), str(r[1]), int(r[2]), int(r[3]), r[4], r[5]) for r in rows]

    # -- internals ------------------------------------------------------------------------
    def _records(self, record_ids: Sequence[str]) -> list[Record]:
        from cruce.store._base import _row_to_record

        if not record_ids:
            raise InvalidInput("a share needs at least one record id")
        rows = self.node.store._select(RecordQuery(ids=list(record_ids)))
        found = {row[0] for row in rows}
        missing = [i for i in record_ids if i not in found]
        if missing:
            raise NotFound(f"no record with id {missing[0]!r}")
        return [_row_to_record(row) for row in rows]

    def _decide(
        self, record: Record, recipient: str, why: Justification, release: Release | None
    ) -> Decision:
        return decide(
            record,
            sender=self.agency,
            recipient=recipient,
            purpose=why.purpose,
            consent=None,
            supervisor_release=release,
            onward=False,
        )

    def _queue(self, share_id: str, recipient: str, package: bytes, records: int) -> None:
        self.node.store._execute(
            "INSERT INTO outbox VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP, 0, NULL, NULL)",
            (share_id, recipient, base64.b64encode(package).decode("ascii"), records),
        )

    def _mark(self, share_id: str, recipient: str, error: str | None) -> None:
        done = "NULL" if error else "CURRENT_TIMESTAMP"
        self.node.store._execute(
            f"UPDATE outbox SET attempts = attempts + 1, last_error = ?, delivered_at = {done} "
            "WHERE share_id = ? AND recipient = ?",
            (error, share_id, recipient),
        )

    def _keep(self, share: Share) -> None:
        from cruce.ingest._jsonl import records_table

        table = records_table([r.to_dict() for r in share.records], f"share:{share.share_id}")
        why = Justification(
            str(share.purpose or "intelligence"),
            "transfer under the compact",
            share.share_id,
            f"share received from {share.sender}",
        )
        actor = Actor(self.agency, f"node:{share.sender}", "node")
        store = self.node.store
        with store.transaction():
            if store._query("SELECT 1 FROM received_shares WHERE share_id = ?", (share.share_id,)):
                raise Conflict(f"share {share.share_id} was received already")
            store._execute(
                "INSERT INTO received_shares VALUES (?, ?, ?, ?, ?, CURRENT_TIMESTAMP)",
                (
                    share.share_id,
                    share.sender,
                    len(share.records),
                    json.dumps({k: list(v) for k, v in share.conditions.items()}),
                    share.expires_at,
                ),
            )
            store.write_table(
                table,
                actor,
                why,
                share.share_id,
                {"received_from": share.sender, "share_id": share.share_id},
                source=f"share:{share.share_id}",
            )
