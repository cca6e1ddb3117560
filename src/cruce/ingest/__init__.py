"""Ingest: agencies' files (CSV, XLSX through a mapping; FtM JSON lines) into a node's store."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from cruce.audit._events import Actor, Justification
from cruce.errors import InvalidInput, InvalidMapping
from cruce.ingest._ids import entity_id, key_prefix
from cruce.ingest._jsonl import stage_jsonl
from cruce.ingest._mapping import DatasetMapping, load_mapping
from cruce.ingest._tabular import stage_file, write_rejects
from cruce.store import Store

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
) -> IngestResult:
    """Ingest one file as one transaction: every record of it, or none.

    Tabular files need a mapping (`mapping=`); JSON lines carry FtM entities and take their
    envelope from each line's "envelope" key or from `envelope=` defaults. With `rejects=`,
    bad rows go to that file with reasons and the rest is stored.
    """
    path = Path(path)
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        defaults = dict(envelope or {})
        if dataset:
            defaults["dataset"] = dataset
        table, rows = stage_jsonl(path, defaults)
        agency = str(defaults.get("agency", ""))
        return _write(
            store,
            path,
            table,
            rows,
            0,
            actor,
            agency,
            str(defaults.get("dataset", "")),
            str(defaults.get("purpose", "intelligence")),
            progress,
        )
    if mapping is None:
        raise InvalidInput(f"{path}: a tabular file needs --mapping (FtM mapping YAML)")
    target = _pick_dataset(load_mapping(mapping), dataset, mapping)
    query = _pick_query(target, path)
    staged = stage_file(path, target, query, keep_going=rejects is not None, progress=progress)
    if rejects is not None:
        write_rejects(rejects, path, staged.problems)
    return _write(
        store,
        path,
        staged.table,
        staged.rows,
        len({p.row for p in staged.problems}),
        actor,
        target.agency,
        target.dataset,
        str(target.envelope["purpose"]),
        progress,
    )


def _write(
    store: Store,
    path: Path,
    table: pa.Table,
    rows: int,
    rejected: int,
    actor: Actor,
    agency: str,
    dataset: str,
    purpose: str,
    progress: Progress,
) -> IngestResult:
    progress("writing")
    batch = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(4)
    table = table.set_column(
        table.schema.get_field_index("batch"),
        "batch",
        pa.array([batch] * table.num_rows, pa.string()),
    )
    why = Justification(
        purpose=purpose,
        legal_basis="collection by the owning agency",
        text=f"ingest of {path.name}",
    )
    details = {"file": str(path), "dataset": dataset, "rows": rows, "rejected": rejected}
    result = store.write_table(table, actor, why, batch, details, source=f"{dataset}:{path.name}")
    return IngestResult(
        str(path),
        dataset,
        agency,
        rows,
        result.inserted,
        result.updated,
        result.unchanged,
        rejected,
        batch,
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


def _pick_query(mapping: DatasetMapping, path: Path) -> Any:
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
