"""Merging what several sources said of one record (FtM's aggregation, for the few records that
more than one file describes: a person in the register and again in the events file)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pyarrow as pa
from followthemoney import model

from cruce.records import TLP
from cruce.records._search import search_text


def merge_fragments(table: pa.Table, others: list[dict[str, Any]]) -> pa.Table:
    """Rows of `table` whose ids other sources also describe get every source's values."""
    by_id: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for fragment in others:
        by_id[fragment["id"]].append(fragment)
    rows = table.to_pylist()
    for row in rows:
        if row["id"] in by_id:
            _merge_into(row, by_id[row["id"]])
    return pa.Table.from_pylist(rows, schema=table.schema)


def _merge_into(row: dict[str, Any], fragments: list[dict[str, Any]]) -> None:
    props: dict[str, set[str]] = defaultdict(set)
    schema = model.get(row["schema"])
    labels = [TLP(row["tlp"])]
    categories = [row["subject_category"]]
    for part in [row, *fragments]:
        for name, values in json.loads(part["properties"]).items():
            props[name].update(values)
        other = model.get(part["schema"])
        if schema is not None and other is not None and other is not schema:
            schema = model.common_schema(schema, other)
        labels.append(TLP(part["tlp"]))
        categories.append(part["subject_category"])
    assert schema is not None
    entity = model.get_proxy(
        {
            "id": row["id"],
            "schema": schema.name,
            "properties": {k: sorted(v) for k, v in props.items()},
        }
    )
    row["schema"] = schema.name
    row["properties"] = json.dumps(
        {k: sorted(v) for k, v in sorted(props.items()) if v},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    row["caption"] = entity.caption
    row["search_text"] = search_text(entity)
    row["subject_category"] = _category(categories)
    row["tlp"] = TLP.most_restrictive(*labels).value
    row["is_shareable"] = row["is_shareable"] and row["subject_category"] != "victim"


def _category(categories: list[str | None]) -> str | None:
    # Victim protection wins; otherwise a known role beats 'unknown'.
    known = [c for c in categories if c]
    if "victim" in known:
        return "victim"
    specific = [c for c in known if c != "unknown"]
    return specific[0] if specific else (known[0] if known else None)
