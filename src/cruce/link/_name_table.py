"""Name features, once per distinct spelling: cruce.names parses and standardises each in
Python (in a process pool when there are many); the rest of the features are SQL (_prepare)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from typing import Any

import duckdb
import pyarrow as pa

from cruce.names import is_common_moniker, moniker_key, name_features, normalise, parse_name_parts

PARALLEL_FROM = 40_000  # distinct names; below this a process pool costs more than it saves


def name_table(con: duckdb.DuckDBPyConnection, text: Sequence[str],
               lists: Sequence[str]) -> pa.Table:
    """Arrow table `name_key` + the name feature columns (`text` strings, `lists` string lists)
    + `unparsed`, one row per distinct spelling in table `raw`, parsed in a process pool when
    there are many."""
    rows = con.execute(
        "SELECT DISTINCT name_key, name, firstName, middleName, lastName, fatherName, motherName, "
        "alias FROM raw"
    ).fetchall()
    columns = (*text, *lists, "unparsed")
    workers = min(os.cpu_count() or 1, 4)
    if len(rows) >= PARALLEL_FROM and workers > 1:
        chunk = max(1, len(rows) // workers)
        with ProcessPoolExecutor(workers) as pool:
            parts = list(pool.map(partial(_columns_of_chunk, columns), _chunks(rows, chunk)))
    else:
        parts = [_columns_of_chunk(columns, rows)]
    values: dict[str, list[Any]] = {"name_key": [r[0] for r in rows]}
    for col in columns:
        values[col] = [value for part in parts for value in part[col]]
    types = {c: pa.list_(pa.string()) if c in lists else pa.string() for c in values}
    types["unparsed"] = pa.bool_()
    return pa.table({c: pa.array(v, types[c]) for c, v in values.items()})


def _columns_of_chunk(columns: tuple[str, ...],
                      rows: list[tuple[Any, ...]]) -> dict[str, list[Any]]:
    """Features of a chunk as columns: far cheaper to send back from a worker than dicts."""
    features = [_features_or_raw(row) for row in rows]
    return {col: [f.get(col) for f in features] for col in columns}


def _features_or_raw(row: tuple[Any, ...]) -> dict[str, Any]:
    """A record's name features; a name standardisation cannot read is linked on its
    normalised raw words instead, and marked, so that one record never sinks a run."""
    try:
        return {**_features_of(row), "unparsed": False}
    except Exception:  # noqa: BLE001 - any fault in one name must cost that name only
        return _raw_name_features(row)


def _raw_name_features(row: tuple[Any, ...]) -> dict[str, Any]:
    """Only `full_norm`: the record's name words, normalised and sorted (order-proof)."""
    _, *fields, aliases = row
    text = " ".join(str(v) for v in fields if v)
    try:
        words = normalise(text).split()
    except Exception:  # noqa: BLE001 - the fallback itself must not fail
        words = text.casefold().split()
    features: dict[str, Any] = {}  # every other column None
    features["full_norm"] = " ".join(sorted(words)) or None
    features["unparsed"] = True
    return features


def _features_of(row: tuple[Any, ...]) -> dict[str, Any]:
    _, full, first, middle, last, father, mother, aliases = row
    parsed = parse_name_parts(
        first=first, middle=middle, last=last, father=father, mother=mother, full=full
    )
    features = name_features(parsed)
    extra = [moniker_key(a) for a in aliases or []]
    aliases = sorted({*features["aliases_norm"], *(k for k in extra if k)})  # type: ignore[misc]
    features["aliases_norm"] = aliases
    # Gang monikers many people share are no evidence of identity.
    features["aliases_rare"] = [a for a in aliases if not is_common_moniker(a)] or None
    for column, value in features.items():
        if isinstance(value, list) and not value:
            features[column] = None
    return features


def _chunks(rows: list[tuple[Any, ...]], size: int) -> Iterable[list[tuple[Any, ...]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
