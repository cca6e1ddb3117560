"""Erasure across the compact: a provider erases records and tells every agency it shared them
with; a recipient applies a provider's notice to what that provider shared with it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date

from cruce.audit._events import Justification
from cruce.share._directory import Directory
from cruce.share._keys import NodeKeys
from cruce.share._notice import open_notice, seal_notice
from cruce.share._outbox import Outbox
from cruce.share._party import Party
from cruce.store import Store


class Erasure:
    """Erase here and queue the notices; apply the notices other agencies send."""

    def __init__(self, store: Store, keys: NodeKeys, directory: Directory, party: Party,
                 outbox: Outbox, recipients_of: Callable[[Sequence[str]], dict[str, list[str]]],
                 ) -> None:
        self.store = store
        self.keys = keys
        self.directory = directory
        self.party = party
        self.outbox = outbox
        self.recipients_of = recipients_of

    def erase(self, record_ids: Sequence[str], why: Justification) -> dict[str, int]:
        """Erase records here and queue an erasure notice for every agency that received them."""
        recipients = self.recipients_of(record_ids)
        erased = self.store.erase(record_ids, self.party.actor, why)
        for recipient, ids in recipients.items():
            notice = seal_notice(self.keys, self.party.agency, recipient, ids,
                                 why.text or why.purpose)
            self.outbox.queue(str(uuid.uuid4()), recipient, notice, len(ids), kind="erasure")
        return {"erased": erased, "notices": len(recipients)}

    def expire(self, why: Justification) -> dict[str, int]:
        """Erase every record past its retain-until date, and tell its recipients."""
        ids = self.store.expired_ids(date.today())
        return self.erase(ids, why) if ids else {"erased": 0, "notices": 0}

    def receive_notice(self, data: bytes) -> int:
        """Apply an erasure notice: erase what that sender shared with us (once per notice)."""
        notice = open_notice(data, self.party.agency, self.directory)
        store = self.store
        with store.transaction():
            if store._query(
                "SELECT 1 FROM notices_applied WHERE notice_id = ?", (notice.notice_id,)
            ):
                return 0
            marks = ", ".join("?" for _ in notice.record_ids) or "NULL"
            held = [
                str(r[0])
                for r in store._query(
                    f"SELECT id FROM records WHERE agency = ? AND id IN ({marks})",
                    (notice.sender, *notice.record_ids),
                )
            ]
            if held:
                why = Justification(
                    "intelligence",
                    "erasure by the providing agency",
                    notice.notice_id,
                    notice.reason,
                )
                store.erase(held, self.party.node_actor(notice.sender), why)
            store._execute(
                "INSERT INTO notices_applied VALUES (?, ?, ?, CURRENT_TIMESTAMP)",
                (notice.notice_id, notice.sender, len(held)),
            )
        return len(held)
