"""The write policy applied to a table of records (see `cruce.store._policy` for the rules):
what the store holds of the ids a write touches, the rows it refuses, and the protection it
keeps. Only rows whose ids are already stored go through Python; a first ingest of a million
records costs one vectorised agency check, a re-ingest one comparison per record."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from cruce.store._policy import (
    FIELDS,
    Held,
    Protection,
    Verdict,
    Writer,
    collision_problem,
    fold_id,
    judge_write,
    now_unshareable,
    provenance_problem,
)

if TYPE_CHECKING:
    from cruce.store._backend import Backend

SHARE_SOURCE = "share-from:"  # the fragment source of a package from an agency


def share_source(sender: str) -> str:
    """The fragment source a package from `sender` writes under (one part per sender)."""
    return f"{SHARE_SOURCE}{sender}"


def held_records(store: Backend, ids: Sequence[str]) -> dict[str, Held]:
    """What the store holds of these ids: provider, the senders of packages, protection."""
    if not ids or not store._query("SELECT 1 FROM records LIMIT 1"):
        return {}
    cols = ", ".join(("id", "agency", *FIELDS))
    rows = store._query(
        f"SELECT {cols} FROM records WHERE id IN (SELECT unnest(CAST(? AS VARCHAR[])))",
        (list(ids),))
    found = [str(r[0]) for r in rows]
    senders: dict[str, set[str]] = {}
    for record_id, source in [] if not found else store._query(
        "SELECT id, source FROM fragments WHERE id IN (SELECT unnest(CAST(? AS VARCHAR[]))) "
        "AND source LIKE ?", (found, SHARE_SOURCE + "%")):
        senders.setdefault(str(record_id), set()).add(str(source)[len(SHARE_SOURCE):])
    empty: frozenset[str] = frozenset()
    brought = {i: frozenset(v) for i, v in senders.items()}
    held = {r[0]: Held(r[1], brought.get(r[0], empty), Protection._make(r[2:])) for r in rows}
    return held | _collisions(store, [i for i in ids if i not in held])


def _collisions(store: Backend, ids: Sequence[str]) -> dict[str, Held]:
    """Ids written that are not stored but fold onto a stored id (rule 3), each with what the
    store holds under that id. Only ids new to the store are looked up (a re-ingest of stored
    records costs nothing); `lower` narrows in SQL, `fold_id` decides."""
    if not ids:
        return {}
    folded: dict[str, list[str]] = {}
    for record_id in ids:
        folded.setdefault(fold_id(record_id), []).append(record_id)
    cols = ", ".join(("id", "agency", *FIELDS))
    rows = store._query(
        f"SELECT {cols} FROM records WHERE lower(id) IN (SELECT unnest(CAST(? AS VARCHAR[])))",
        (sorted({k.lower() for k in folded}),))
    out: dict[str, Held] = {}
    for row in rows:
        stored = str(row[0])
        for record_id in folded.get(fold_id(stored), ()):
            if record_id != stored:
                out[record_id] = Held(str(row[1]), frozenset(), Protection._make(row[2:]),
                                      collides=stored)
    return out


def refuse_rows(
    table: pa.Table, held: dict[str, Held], writer: Writer
) -> tuple[pa.Table, list[tuple[str, str]]]:
    """The rows this writer may write, and (id, reason) for each it may not (rules 1, 3)."""
    collisions = {i: h for i, h in held.items() if h.collides is not None}
    if collisions:
        table, folded = _refuse_collisions(table, collisions)
        held = {i: h for i, h in held.items() if h.collides is None}
        kept, more = refuse_rows(table, held, writer)
        return kept, folded + more
    blocked = _blocked(held, writer)
    suspect = pc.or_(pc.is_in(table.column("id"), value_set=pa.array(blocked, pa.string())),
                     _agency_mask(table, writer))
    if not pc.any(suspect).as_py():
        return table, []
    refused: list[tuple[str, str]] = []
    keep: list[bool] = []
    ids, agencies = table.column("id").to_pylist(), table.column("agency").to_pylist()
    for record_id, agency, check in zip(ids, agencies, suspect.to_pylist(), strict=True):
        verdict = judge_write(held.get(record_id), record_id, agency, _ANY, writer) if check \
            else Verdict()
        if verdict.refused is not None:
            refused.append((record_id, verdict.refused))
        keep.append(verdict.refused is None)
    return table.filter(pa.array(keep, pa.bool_())), refused


def _refuse_collisions(
    table: pa.Table, collisions: dict[str, Held]
) -> tuple[pa.Table, list[tuple[str, str]]]:
    refused: list[tuple[str, str]] = []
    keep: list[bool] = []
    ids, agencies = table.column("id").to_pylist(), table.column("agency").to_pylist()
    for record_id, agency in zip(ids, agencies, strict=True):
        held = collisions.get(record_id)
        problem = None if held is None else collision_problem(held, record_id, agency)
        if problem is not None:
            refused.append((record_id, problem))
        keep.append(problem is None)
    return table.filter(pa.array(keep, pa.bool_())), refused


def _blocked(held: dict[str, Held], writer: Writer) -> list[str]:
    # The held ids this writer may not change whatever a row says (their own agency aside).
    return [i for i, h in held.items() if provenance_problem(h, i, h.agency, writer)]


def _agency_mask(table: pa.Table, writer: Writer) -> pa.ChunkedArray:
    # Own ingest: rows naming another agency; a package: rows naming this node's agency.
    same = pc.equal(table.column("agency"), writer.agency)
    return pc.invert(same) if writer.is_own_ingest else same


def ratchet_rows(
    table: pa.Table, held: dict[str, Held], writer: Writer
) -> tuple[pa.Table, dict[str, Verdict], list[str]]:
    """Rows with their protection after rule 2; by id, the verdict of every row that kept a
    field stricter or had one lowered; and the ids no package may carry any more (they could
    before: their recipients must be told). Rows whose protection is the stored one are only
    compared (a re-ingest of a million unchanged records stays fast)."""
    held = {i: h for i, h in held.items() if h.collides is None}  # new records: nothing held
    if not held:
        return table, {}, []
    ids, agencies = table.column("id").to_pylist(), table.column("agency").to_pylist()
    values = {n: table.column(n).to_pylist() for n in FIELDS}
    verdicts: dict[str, Verdict] = {}
    withdrawn: list[str] = []
    changed = False
    columns = [values[n] for n in FIELDS]
    for row, (record_id, *stated) in enumerate(zip(ids, *columns, strict=True)):
        before = held.get(record_id)
        if before is None or tuple(stated) == before.protection:
            continue
        incoming = Protection._make(stated)
        verdict = judge_write(before, record_id, agencies[row], incoming, writer)
        assert verdict.protection is not None  # rule 1 ran first
        changed = changed or verdict.protection != incoming
        for name in FIELDS:
            values[name][row] = getattr(verdict.protection, name)
        if verdict.kept or verdict.lowered:
            verdicts[record_id] = verdict
        if now_unshareable(before.protection, verdict.protection):
            withdrawn.append(record_id)
    if not verdicts and not withdrawn and not changed:
        return table, {}, []
    for name in FIELDS:
        index = table.schema.get_field_index(name)
        table = table.set_column(index, table.schema.field(index),
                                 pa.array(values[name], table.schema.field(index).type))
    return table, verdicts, sorted(withdrawn)


_ANY = Protection("CLEAR", "H0", None, True, None, "intelligence", date.max)  # rule 1 reads none
