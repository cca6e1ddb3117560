"""Ingest: agencies' files (CSV, XLSX through a mapping; FtM JSON lines) into a node's store."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from cruce.audit import Actor, Justification
from cruce.errors import InvalidInput, InvalidMapping
from cruce.ingest._ids import entity_id, key_prefix
from cruce.ingest._jsonl import StagedLines, check_defaults, stage_jsonl
from cruce.ingest._mapping import DatasetMapping, QuerySource, load_mapping
from cruce.ingest._rejects import PendingRejects
from cruce.ingest._tabular import stage_file
from cruce.store import Store
from cruce.store._policy import WriteOutcome, Writer

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class IngestResult:
    file: str
    dataset: str
    agency: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    batch: str
    outcome: WriteOutcome = WriteOutcome()  # rows the write policy refused, kept or lowered
    justification: Justification | None = None  # what the write was logged under
    # What its recipients were sent, in its transaction (Node.ingest: corrections, withdrawals)
    follow: dict[str, dict[str, int]] = field(default_factory=dict)


def ingest_file(
    store: Store,
    path: Path,
    *,
    actor: Actor,
    mapping: Path | None = None,
    dataset: str | None = None,
    envelope: dict[str, Any] | None = None,
    rejects: Path | None = None,
    progress: Progress = lambda step: None,
    why: Justification | None = None,
    writer: Writer | None = None,
    upload: bool = False,
) -> IngestResult:
    """Ingest one file as one transaction: every record of it, or none.

    `upload`: the file is a server's temporary copy of an API upload, recorded (provenance,
    audit, messages) as `upload:<batch id>`, never by its path.

    `why` is the justification logged with the write (default: the dataset's purpose and the
    file's name); `writer` who writes, for the write policy (see `Store.write_table`): a
    record held from another agency is refused, whatever the file says.

    Tabular files need a mapping (`mapping=`); JSON lines carry FtM entities and take their
    envelope from each line's "envelope" key or from `envelope=` defaults. A bad row stops the
    file with a BadRow naming file, line, field and why; with `rejects=`, bad rows go to that
    file with their reasons and the rest is stored (the rejects appear once it is stored).
    """
    path = Path(path)
    batch = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(4)
    label = f"upload:{batch}" if upload else str(path)
    pending = PendingRejects(rejects) if rejects is not None else None
    try:
        staged = _stage(path, mapping, dataset, envelope, pending, progress, label)
        result = _write(store, path, staged, actor, progress, why, writer, batch, label)
    except BaseException:
        if pending is not None:
            pending.discard()
        raise
    if pending is not None:
        pending.commit()
    return result


@dataclass(frozen=True, slots=True)
class _Staged:
    """A file read and checked, ready for one write."""

    table: pa.Table
    rows: int
    rejected: int
    agency: str
    dataset: str
    purpose: str


def _stage(
    path: Path,
    mapping: Path | None,
    dataset: str | None,
    envelope: dict[str, Any] | None,
    pending: PendingRejects | None,
    progress: Progress,
    label: str,
) -> _Staged:
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        defaults = dict(envelope or {})
        if dataset:
            defaults["dataset"] = dataset
        check_defaults(defaults)
        lines = stage_jsonl(path, defaults, keep_going=pending is not None, name=label)
        if pending is not None:
            pending.write(*_line_rejects(lines))
        return _Staged(lines.table, lines.rows, len(lines.problems),
                       str(defaults.get("agency", "")), str(defaults.get("dataset", "")),
                       str(defaults.get("purpose", "intelligence")))
    if mapping is None:
        raise InvalidInput(f"{path}: a tabular file needs --mapping (FtM mapping YAML)")
    target = _pick_dataset(load_mapping(mapping), dataset, mapping)
    query = _pick_query(target, path)
    staged = stage_file(path, target, query, keep_going=pending is not None, progress=progress)
    if pending is not None:
        pending.write(staged.rejects_header, staged.rejects)
    return _Staged(staged.table, staged.rows, len({p.row for p in staged.problems}),
                   target.agency, target.dataset, str(target.envelope["purpose"]))


def _line_rejects(lines: StagedLines) -> tuple[list[str], list[list[object]]]:
    rows: list[list[object]] = [[p.line, p.field, p.reason, p.text.rstrip("\r\n")]
                                for p in lines.problems]
    return ["line", "field", "reason", "record"], rows


def _write(
    store: Store,
    path: Path,
    staged: _Staged,
    actor: Actor,
    progress: Progress,
    why: Justification | None,
    writer: Writer | None,
    batch: str,
    label: str,
) -> IngestResult:
    progress("writing")
    table, rows, rejected = staged.table, staged.rows, staged.rejected
    agency, dataset, purpose = staged.agency, staged.dataset, staged.purpose
    table = table.set_column(
        table.schema.get_field_index("batch"),
        "batch",
        pa.array([batch] * table.num_rows, pa.string()),
    )
    why = why or Justification(
        purpose=purpose,
        legal_basis="collection by the owning agency",
        text=f"ingest of {Path(label).name}",
    )
    details = {"file": label, "dataset": dataset, "rows": rows, "rejected": rejected}
    # The fragment source stays the file's name, not the label: an upload (always a temporary
    # `upload.jsonl`) replaces the part an earlier upload wrote, as a re-ingested file does.
    result = store.write_table(table, actor, why, batch, details, source=f"{dataset}:{path.name}",
                               writer=writer)
    return IngestResult(
        label,
        dataset,
        agency,
        rows,
        result.inserted,
        result.updated,
        result.unchanged,
        rejected,
        batch,
        result.outcome,
        why,
    )


def _pick_dataset(datasets: list[DatasetMapping], name: str | None, path: Path) -> DatasetMapping:
    if name is None:
        if len(datasets) > 1:
            names = ", ".join(d.dataset for d in datasets)
            raise InvalidMapping(
                f"{path}: holds several datasets ({names}); choose one with --dataset"
            )
        return datasets[0]
    for ds in datasets:
        if ds.dataset == name:
            return ds
    raise InvalidMapping(f"{path}: has no dataset {name!r}")


def _pick_query(mapping: DatasetMapping, path: Path) -> QuerySource:
    # A file given on the command line is the source of the query naming it, or of the only one.
    named = [q for q in mapping.queries if q.path is not None and q.path.name == path.name]
    if named:
        return named[0]
    if len(mapping.queries) == 1:
        return mapping.queries[0]
    raise InvalidMapping(
        f"{mapping.mapping_file}: no query of dataset {mapping.dataset!r} "
        f"reads {path.name}; name it in csv_url"
    )


__all__ = ["IngestResult", "entity_id", "ingest_file", "key_prefix", "load_mapping"]
