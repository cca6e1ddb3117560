"""A mapping compiled to SQL: cleaned columns, bad-row checks, and entity statements.

FtM's own mapper runs Python per row; cruce runs the same mapping as a few set-based queries in
an in-memory DuckDB, so a million rows take seconds. Ids follow FtM's key rule (see _ids).
"""

from __future__ import annotations

from dataclasses import dataclass

from followthemoney.types import registry

from cruce.errors import InvalidMapping
from cruce.ingest._clean import (
    LOOKUP_TYPES,
    ColumnPlan,
    date_sql,
    literal,
    phone_sql,
    quote,
    text_sql,
)
from cruce.ingest._ids import key_prefix
from cruce.ingest._mapping import (
    ColumnCleaning,
    DatasetMapping,
    EntityMapping,
    FromColumn,
    PropertyMapping,
    QuerySource,
)


def plan_columns(mapping: DatasetMapping, query: QuerySource) -> list[ColumnPlan]:
    """Decide each used column's kind from its declared cleaning or the property it feeds."""
    kinds: dict[str, str] = {}
    limits: dict[str, int] = {}
    for ent in query.entities:
        for prop in ent.properties:
            ptype = ent.schema.properties[prop.name].type
            kind = ptype.name if ptype.name in ("date", "phone", *LOOKUP_TYPES) else "text"
            for col in prop.columns:
                if kinds.get(col, "text") == "text":
                    kinds[col] = kind
                # A value is as long as FtM allows its type, as a JSON line's (`make_entity`).
                limits[col] = min(limits.get(col, ptype.max_length), ptype.max_length)
    plans = []
    for col in sorted(mapping.columns_used(query)):
        cleaning = mapping.columns.get(col, ColumnCleaning())
        kind = kinds.get(col, "text")
        if cleaning.date_formats:
            kind = "date"
        elif cleaning.phone_country:
            kind = "phone"
        plans.append(ColumnPlan(col, kind, cleaning, limits.get(col)))
    return plans


def cleaned_sql(plan: ColumnPlan, lookup: str | None) -> str:
    """The cleaned value of a column in table `src` (lookups join table `lookup`)."""
    ref = f"src.{quote(plan.column)}"
    if plan.kind == "date":
        return date_sql(ref, plan.cleaning.date_formats)
    if plan.kind == "phone":
        return f"COALESCE({phone_sql(ref, plan.cleaning.phone_country)}, {lookup}.clean)"
    if lookup is not None:
        return f"{lookup}.clean"
    return text_sql(ref, plan.cleaning.case)


@dataclass(frozen=True, slots=True)
class EntitySQL:
    """SQL pieces of one entity mapping over table `clean` (c."col" = cleaned value)."""

    mapping: DatasetMapping
    query: QuerySource

    def id_sql(self, ent: EntityMapping) -> str:
        cols = [ent.id_column] if ent.id_column else list(ent.keys)
        keys = ", ".join(f"src.{quote(c)}" for c in cols)
        values = f"list_filter([{keys}], lambda x: x IS NOT NULL AND x <> '')"
        prefix = key_prefix(self.mapping.agency, self.mapping.dataset)
        seed = literal(prefix + ent.key_literal)
        return (
            f"CASE WHEN len({values}) = 0 THEN NULL "
            f"ELSE sha1({seed} || array_to_string(list_sort({values}), '')) END"
        )

    def values_sql(self, ent: EntityMapping, prop: PropertyMapping) -> str:
        spec = prop.spec
        if "entity" in spec:
            return f"[c.{quote('#id:' + str(spec['entity']))}]"
        if "literal" in spec or "literals" in spec:
            raw = spec.get("literals") or [spec.get("literal")]
            ptype = ent.schema.properties[prop.name].type
            cleaned = [ptype.clean(str(v)) for v in raw if v is not None]
            return "[" + ", ".join(literal(v) for v in cleaned if v) + "]::VARCHAR[]"
        if "template" in spec:
            return f"[{_template_sql(str(spec['template']))}]"
        cols = [f"c.{quote(c)}" for c in prop.columns]
        if not cols:
            raise InvalidMapping(
                f"{self.mapping.mapping_file}: property {prop.name!r} of "
                f"{ent.name!r} names no column, literal or entity"
            )
        if "join" in spec:
            return f"[NULLIF(concat_ws({literal(str(spec['join']))}, {', '.join(cols)}), '')]"
        if "split" in spec:
            sep = literal(str(spec["split"]))
            parts = " || ".join(f"COALESCE(string_split({c}, {sep}), [])" for c in cols)
            return f"list_transform({parts}, lambda x: NULLIF(trim(x), ''))"
        return f"[{', '.join(cols)}]"

    def category_sql(self, ent: EntityMapping) -> str:
        cat = ent.subject_category
        if cat is None:
            return "NULL"
        if isinstance(cat, str):
            return literal(cat)
        whens = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in cat.mapping.items())
        default = literal(cat.default) if cat.default else "NULL"
        return f"CASE upper(src.{quote(cat.column)}) {whens} ELSE {default} END"

    def row_columns_sql(self) -> list[str]:
        """Per-row id and subject category of every entity mapping, computed once from `src`."""
        out = []
        for ent in self.query.entities:
            out.append(f"{self.id_sql(ent)} AS {quote('#id:' + ent.name)}")
            out.append(f"{self.category_sql(ent)} AS {quote('#cat:' + ent.name)}")
        return out

    def statements_sql(self, ent: EntityMapping) -> str:
        """Rows (id, schema, _row, category, props) of one entity mapping over table `clean`.

        `props` lists {p: property, v: values} sorted by property, so a record seen on one row
        becomes its stored JSON without any grouping.
        """
        props = sorted(ent.properties, key=lambda p: p.name)
        entries = (
            ", ".join(f"{{'p': {literal(p.name)}, 'v': {self.values_sql(ent, p)}}}" for p in props)
            or "{'p': NULL, 'v': []::VARCHAR[]}"
        )
        # FtM skips an entity whose mapping marks a property required, or whose schema
        # requires one (a Membership without an organization is no membership).
        required = [p for p in props if p.spec.get("required") or p.name in ent.schema.required]
        checks = "".join(
            f" AND len(list_filter({self.values_sql(ent, p)}, lambda x: x IS NOT NULL)) > 0"
            for p in required
        )
        own = f"c.{quote('#id:' + ent.name)}"
        return (
            f"SELECT {own} AS id, {literal(ent.schema.name)} AS schema, c._row AS _row, "
            f"c.{quote('#cat:' + ent.name)} AS category, [{entries}] AS props FROM clean c "
            f"WHERE {own} IS NOT NULL{checks}"
        )

    def category_errors_sql(self) -> list[tuple[str, str]]:
        """(sql selecting _row, column name) for rows whose subject category maps to nothing."""
        out = []
        for ent in self.query.entities:
            cat = ent.subject_category
            if isinstance(cat, FromColumn) and cat.default is None:
                keys = ", ".join(literal(k) for k in cat.mapping)
                sql = (
                    f"SELECT _row FROM src k WHERE k.{quote(cat.column)} IS NOT NULL "
                    f"AND upper(k.{quote(cat.column)}) NOT IN ({keys})"
                )
                out.append((sql, cat.column))
        return out


def caption_sql(schemas: set[str], present: set[str]) -> str:
    """FtM's caption: the first value of the schema's caption properties."""
    from followthemoney import model

    whens = []
    for name in sorted(schemas):
        schema = model.get(name)
        assert schema is not None
        firsts = [f"m[{literal(p)}][1]" for p in schema.caption if p in present]
        whens.append(
            f"WHEN {literal(name)} THEN COALESCE({', '.join(firsts + [literal(schema.label)])})"
        )
    return f"CASE e.schema {' '.join(whens)} END"


def _template_sql(template: str) -> str:
    import re

    parts: list[str] = []
    pos = 0
    for match in re.finditer(r"{{\s*([^}]+?)\s*}}", template):
        if match.start() > pos:
            parts.append(literal(template[pos : match.start()]))
        parts.append(f"COALESCE(c.{quote(match.group(1))}, '')")
        pos = match.end()
    if pos < len(template):
        parts.append(literal(template[pos:]))
    return f"NULLIF(trim({' || '.join(parts) or literal('')}), '')"


def is_lookup(plan: ColumnPlan) -> bool:
    return plan.kind == "phone" or (
        plan.kind in LOOKUP_TYPES and registry.get(plan.kind) is not None
    )
