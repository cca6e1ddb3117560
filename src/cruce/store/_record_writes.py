"""Writing records: a prepared table through the write policy, erasure, and retention.

A write is one transaction: the rows, what each source contributed, the batch, and the
collection and alteration events; an erasure names the records it removes, never their content.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pyarrow as pa

from cruce.audit import AccessEvent, Actor, Justification, Operation
from cruce.errors import Conflict, NotFound
from cruce.store._backend import Backend, marks
from cruce.store._fragments import merge_fragments
from cruce.store._limits import refuse_unstorable
from cruce.store._policy import Verdict, WriteOutcome, Writer
from cruce.store._schema import RECORD_COLUMNS
from cruce.store._writes import SHARE_SOURCE, held_records, ratchet_rows, refuse_rows


@dataclass(frozen=True, slots=True)
class WriteResult:
    batch: str
    inserted: int
    updated: int
    unchanged: int
    outcome: WriteOutcome = WriteOutcome()  # what the write policy refused, kept or lowered

    @property
    def written(self) -> int:
        return self.inserted + self.updated


class RecordWrites(Backend):
    """The store's public methods that write and erase records (a part of `Store`)."""

    def write_table(
        self,
        table: pa.Table,
        actor: Actor,
        justification: Justification,
        batch: str,
        details: dict[str, Any] | None = None,
        source: str | None = None,
        writer: Writer | None = None,
    ) -> WriteResult:
        """Write prepared records in one transaction; collection and alteration are logged.

        `source` names where the rows come from (dataset and file). A record is the merge of
        what every source said of it: writing a source again replaces only its own part.
        `writer` says who writes (default: the sender a `share-from:` source names, else this
        node's own ingest); the write policy
        (`cruce.store._policy`) refuses the rows it may not change, keeps the stricter
        protection unless lowering is allowed, and the result's `outcome` says what it did.
        Conflict if it refuses every row (nothing is written).
        """
        table = table.select(list(RECORD_COLUMNS))
        refuse_unstorable(table)  # the same refusals on every backend, before any write
        source = source or f"{batch}"
        writer = writer or _default_writer(self.get_setting("agency"), table, source)
        with self.transaction():
            held = held_records(self, table.column("id").to_pylist())
            table, refused = refuse_rows(table, held, writer)
            if refused and not table.num_rows:
                more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
                raise Conflict(f"nothing written: {refused[0][1]}{more}")
            self._put_fragments(table, source)
            others = self._fragments_elsewhere(table, source)
            if others:
                table = merge_fragments(table, others)
            table, verdicts, withdrawn = ratchet_rows(table, held, writer)
            new, changed = self._bulk_upsert(table)
            unchanged = table.num_rows - new.count - changed.count
            outcome = WriteOutcome(
                tuple(refused), sum(1 for v in verdicts.values() if v.kept),
                {i: v.lowered for i, v in verdicts.items() if v.lowered}, tuple(withdrawn))
            info = dict(details or {})
            if refused or outcome.kept:
                info |= {"refused": len(refused), "kept_stricter": outcome.kept}
            for op, ids in ((Operation.COLLECTION, new), (Operation.ALTERATION, changed)):
                if ids.count:
                    event = AccessEvent(
                        op,
                        actor,
                        justification,
                        ids.ids,
                        batch=batch,
                        details=info,
                        record_count=ids.count,
                        record_digest=ids.digest,
                    )
                    self.sink.emit(event)
            self._log_lowering(verdicts, writer, actor, justification, batch)
            self._record_batch(batch, table, new.count, changed.count, unchanged, info)
        return WriteResult(batch, new.count, changed.count, unchanged, outcome)

    def _log_lowering(
        self, verdicts: dict[str, Verdict], writer: Writer, actor: Actor,
        justification: Justification, batch: str,
    ) -> None:
        """A supervisor's lowering of protection: one alteration event saying what, and why."""
        lowered = {i: v.lowered for i, v in verdicts.items() if v.lowered}
        if not lowered or writer.lowering is None:
            return
        fields = sorted({f for names in lowered.values() for f in names})
        details = {"lowered": fields, "lowered_by": writer.lowering.supervisor,
                   "lowered_why": writer.lowering.justification}
        self.sink.emit(AccessEvent(Operation.ALTERATION, actor, justification,
                                   tuple(sorted(lowered)), batch=batch, details=details))

    def _record_batch(
        self,
        batch: str,
        table: pa.Table,
        inserted: int,
        updated: int,
        unchanged: int,
        details: dict[str, Any],
    ) -> None:
        agency = table.column("agency")[0].as_py() if table.num_rows else ""
        dataset = table.column("dataset")[0].as_py() if table.num_rows else ""
        self._execute(
            "INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP)",
            (
                batch,
                agency,
                dataset,
                details.get("file"),
                inserted,
                updated,
                unchanged,
                int(details.get("rejected", 0)),
            ),
        )

    def erase(self, ids: Sequence[str], actor: Actor, justification: Justification) -> int:
        """Erase records; the erasure event names them but never copies their content."""
        with self.transaction():
            found = [r[0] for r in self._query(
                f"SELECT id FROM records WHERE id IN ({marks(len(ids))})", tuple(ids))]
            if not found:
                one = f"no record with id {ids[0]!r}"
                raise NotFound(one if len(ids) == 1 else "no such records")
            self._execute(f"DELETE FROM records WHERE id IN ({marks(len(found))})", tuple(found))
            self._execute(f"DELETE FROM fragments WHERE id IN ({marks(len(found))})", tuple(found))
            self._emit(Operation.ERASURE, actor, justification, found, None, {})
        return len(found)

    def expired_ids(self, today: date) -> list[str]:
        """Records past their retain-until date (Directive 2016/680 Art. 5)."""
        return [str(r[0]) for r in self._query(
            "SELECT id FROM records WHERE retain_until < ?", (today,))]

    def erase_expired(self, today: date, actor: Actor, justification: Justification) -> int:
        """Erase every record past its retain-until date."""
        ids = self.expired_ids(today)
        return self.erase(ids, actor, justification) if ids else 0


def _default_writer(agency: str | None, table: pa.Table, source: str) -> Writer:
    """A package's source names its sender (`share-from:AGENCY`); any other source is this
    node's own ingest (of the node's agency, else the agency the rows name)."""
    if agency is None and table.num_rows:
        agency = str(table.column("agency")[0].as_py())
    sender = source[len(SHARE_SOURCE):] if source.startswith(SHARE_SOURCE) else None
    return Writer(agency or "", sender)
