"""Ingest of one tabular file through a mapping: all of the file, or nothing of it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from cruce.errors import BadRow, InvalidMapping
from cruce.ingest._clean import ColumnPlan, phone_sql, quote
from cruce.ingest._compile import EntitySQL, caption_sql, cleaned_sql, is_lookup, plan_columns
from cruce.ingest._encoding import readable_csv
from cruce.ingest._mapping import DatasetMapping, QuerySource
from cruce.ingest._source import load_source, physical_lines, read_rows
from cruce.ingest._values import clean_value
from cruce.records import TLP
from cruce.records._search import SEARCH_PROPERTIES

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class RowProblem:
    row: int
    column: str
    value: str | None
    reason: str


@dataclass
class Staged:
    """The outcome of staging a file: records ready to write, and the rows rejected (with the
    rejects file's header and rows: line, column, reason, then the row as it was)."""

    table: pa.Table
    rows: int
    problems: list[RowProblem]
    rejects_header: list[str] = field(default_factory=lambda: ["line", "column", "reason"])
    rejects: list[list[object]] = field(default_factory=list)


def stage_file(
    path: Path,
    mapping: DatasetMapping,
    query: QuerySource,
    *,
    keep_going: bool,
    progress: Progress = lambda step: None,
) -> Staged:
    """Read, clean, check and map a file into the records it yields (nothing is stored here).

    The file is read as UTF-8 (in the query's declared encoding, transcoded if need be)."""
    with readable_csv(path, query.encoding) as readable:
        return _stage(path, readable, mapping, query, keep_going, progress)


def _stage(
    path: Path,
    readable: Path,
    mapping: DatasetMapping,
    query: QuerySource,
    keep_going: bool,
    progress: Progress,
) -> Staged:
    con = duckdb.connect()
    try:
        progress("reading")
        rows = load_source(con, readable, query.sheet, mapping.columns_used(query))
        plans = plan_columns(mapping, query)
        progress("cleaning")
        entities = EntitySQL(mapping, query)
        _build_clean(con, plans, entities)
        problems = _find_problems(con, plans, entities)
        if problems and not keep_going:
            first = problems[0]
            line = physical_lines(readable, {first.row}).get(first.row, first.row + 1)
            raise BadRow(str(path), line, first.column, _describe(first))
        staged = Staged(pa.table({}), rows, problems)
        if problems:
            staged.rejects_header, staged.rejects = _rejects(readable, query.sheet, problems)
            bad = pa.table({"_row": pa.array(sorted({p.row for p in problems}), pa.int64())})
            con.register("bad", bad)
            con.execute("DELETE FROM clean WHERE _row IN (SELECT _row FROM bad)")
        progress("mapping")
        staged.table = _map_entities(con, mapping, query, path)
        return staged
    finally:
        con.close()


def _rejects(
    source: Path, sheet: str | None, problems: list[RowProblem]
) -> tuple[list[str], list[list[object]]]:
    """Bad rows with their line, column and reason, then the row as it was in the file."""
    rows = {p.row for p in problems}
    lines = physical_lines(source, rows)
    originals = read_rows(source, rows, sheet)
    header = list(next(iter(originals.values())).keys()) if originals else []
    out: list[list[object]] = []
    for p in problems:
        original = originals.get(p.row, {})
        out.append([lines.get(p.row, p.row + 1), p.column, _describe(p),
                    *[original.get(h, "") for h in header]])
    return ["line", "column", "reason", *header], out


def _build_clean(
    con: duckdb.DuckDBPyConnection, plans: list[ColumnPlan], entities: EntitySQL
) -> None:
    joins: list[str] = []
    exprs: list[str] = []
    for i, plan in enumerate(plans):
        lookup = None
        if is_lookup(plan):
            lookup = f"lk{i}"
            con.register(lookup, _lookup_table(con, plan))
            joins.append(f"LEFT JOIN {lookup} ON {lookup}.raw = src.{quote(plan.column)}")
        exprs.append(f"{cleaned_sql(plan, lookup)} AS {quote(plan.column)}")
    select = ", ".join(["src._row", *exprs, *entities.row_columns_sql()])
    con.execute(f"CREATE TABLE clean AS SELECT {select} FROM src {' '.join(joins)}")


def _lookup_table(con: duckdb.DuckDBPyConnection, plan: ColumnPlan) -> pa.Table:
    """Clean each distinct value once in Python, for what SQL cannot judge alone."""
    col = f"src.{quote(plan.column)}"
    where = f"{col} IS NOT NULL"
    if plan.kind == "phone":
        where += f" AND ({phone_sql(col, plan.cleaning.phone_country)}) IS NULL"
    raws = [r[0] for r in con.execute(f"SELECT DISTINCT {col} FROM src WHERE {where}").fetchall()]
    cleaned = [clean_value(plan.kind, r, plan.cleaning.phone_country) for r in raws]
    return pa.table({"raw": pa.array(raws, pa.string()), "clean": pa.array(cleaned, pa.string())})


def _find_problems(
    con: duckdb.DuckDBPyConnection, plans: list[ColumnPlan], entities: EntitySQL
) -> list[RowProblem]:
    parts = [
        f"SELECT src._row, {_lit(p.column)} AS col, src.{quote(p.column)} AS value, "
        f"{_lit(p.reason())} AS reason FROM src JOIN clean USING (_row) "
        f"WHERE src.{quote(p.column)} IS NOT NULL AND clean.{quote(p.column)} IS NULL"
        for p in plans
        if p.kind != "text"
    ]
    parts += [
        f"SELECT _row, {_lit(p.column)}, src.{quote(p.column)}, "
        f"{_lit(f'is longer than {p.max_length} characters')} FROM src JOIN clean USING (_row) "
        f"WHERE length(clean.{quote(p.column)}) > {int(p.max_length)}"
        for p in plans
        if p.max_length is not None
    ]
    for sql, column in entities.category_errors_sql():
        parts.append(
            f"SELECT _row, {_lit(column)}, k.{quote(column)}, "
            f"'is not one of the subject categories the mapping names' "
            f"FROM ({sql}) x JOIN src k USING (_row)"
        )
    if not parts:
        return []
    rows = con.execute(" UNION ALL ".join(parts) + " ORDER BY 1, 2").fetchall()
    return [RowProblem(int(r[0]), str(r[1]), r[2], str(r[3])) for r in rows]


def _map_entities(
    con: duckdb.DuckDBPyConnection, mapping: DatasetMapping, query: QuerySource, path: Path
) -> pa.Table:
    sql = EntitySQL(mapping, query)
    union = " UNION ALL ".join(sql.statements_sql(e) for e in query.entities)
    con.execute(f"CREATE TABLE ents AS {union}")
    con.execute("CREATE TABLE multi AS SELECT id FROM ents GROUP BY id HAVING count(*) > 1")
    con.execute(f"CREATE TABLE merged AS {_SINGLES} UNION ALL {_MERGE}")
    schemas = {e.schema.name for e in query.entities}
    present = {p.name for e in query.entities for p in e.properties}
    return con.sql(_final_sql(mapping, path, schemas, present)).to_arrow_table()


# A record made from one row: its props list becomes the property map directly.
_SINGLES = """
SELECT id, schema, _row AS first_row, category,
    map_from_entries(list_filter(list_transform(props, lambda s: {'k': s.p,
        'v': list_sort(list_distinct(list_filter(s.v, lambda x: x IS NOT NULL)))}),
        lambda s: s.k IS NOT NULL AND len(s.v) > 0)) AS m
FROM ents ANTI JOIN multi USING (id)
"""

# A record seen on several rows (a gang named by many members): values are merged, the
# victim category wins over any other, and provenance is the first row.
_MERGE = """
SELECT * FROM (
    WITH em AS (SELECT * FROM ents SEMI JOIN multi USING (id)),
    e AS (SELECT id, arg_min(schema, _row) AS schema, min(_row) AS first_row,
                 CASE WHEN bool_or(category = 'victim') THEN 'victim'
                      ELSE arg_min(category, _row) END AS category
          FROM em GROUP BY id),
    s AS (SELECT id, unnest(props) AS s FROM em),
    x AS (SELECT id, s.p AS p, unnest(s.v) AS v FROM s),
    p AS (SELECT id, p, list(DISTINCT v ORDER BY v) AS vals FROM x
          WHERE v IS NOT NULL AND p IS NOT NULL GROUP BY id, p),
    pm AS (SELECT id, map_from_entries(list({'k': p, 'v': vals} ORDER BY p)) AS m
           FROM p GROUP BY id)
    SELECT e.id, e.schema, e.first_row, e.category,
           COALESCE(pm.m, MAP {}::MAP(VARCHAR, VARCHAR[])) AS m
    FROM e LEFT JOIN pm USING (id)
)
"""


def _final_sql(mapping: DatasetMapping, path: Path, schemas: set[str], present: set[str]) -> str:
    env = mapping.envelope
    retain = date.fromisoformat(str(env["retain_until"]))
    if retain < date.today():
        raise InvalidMapping(f"{mapping.mapping_file}: retain_until {retain} is already past")
    now = datetime.now(UTC).isoformat()
    search = " || ' ' || ".join(
        [
            f"COALESCE(array_to_string(m[{_lit(p)}], ' '), '')"
            for p in SEARCH_PROPERTIES
            if p in present
        ]
        or ["''"]
    )
    red = _lit(TLP.RED.value)
    restriction = _lit(env["handling_restriction"]) if env.get("handling_restriction") else "NULL"
    return f"""
    SELECT e.id, e.schema, {caption_sql(schemas, present)} AS caption,
        CAST(to_json(e.m) AS VARCHAR) AS properties,
        trim(regexp_replace(lower(strip_accents({search})), '[^0-9a-z]+', ' ', 'g')) AS search_text,
        {_lit(mapping.agency)} AS agency, {_lit(mapping.dataset)} AS dataset,
        {_lit(env["purpose"])} AS purpose, e.category AS subject_category,
        {_lit(env["handling_code"])} AS handling_code, {restriction} AS handling_restriction,
        CASE WHEN e.category = 'victim' THEN {red} ELSE {_lit(env["tlp"])} END AS tlp,
        {_lit(env["source_reliability"])} AS source_reliability,
        {_lit(str(env["information_accuracy"]))} AS information_accuracy,
        COALESCE(e.category, '') <> 'victim' AS is_shareable,
        DATE {_lit(retain.isoformat())} AS retain_until,
        {_lit(str(path))} AS source_file, CAST(e.first_row + 1 AS INTEGER) AS source_line,
        '' AS batch, TIMESTAMPTZ {_lit(now)} AS created_at, TIMESTAMPTZ {_lit(now)} AS updated_at
    FROM merged e ORDER BY e.first_row
    """


def _describe(problem: RowProblem) -> str:
    value = problem.value if problem.value is not None else ""
    if len(value) > 60:
        value = value[:57] + "..."
    return f"{value!r} {problem.reason}"


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"
