"""The features table of a few people's FtM properties, as `cruce link` builds it."""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa

from cruce.link import _prepare


def features_of(people: list[dict[str, list[str]]]) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection holding `features` for these people (ids p0, p1, ...)."""
    con = duckdb.connect()
    table = pa.table({
        "id": [f"p{i}" for i in range(len(people))],
        "source": ["test"] * len(people),
        "properties": [json.dumps(p) for p in people],
    })
    _prepare.load_table(con, table)
    _prepare.build_features(con)
    return con
