"""Mapping files: FtM mapping YAML plus cruce's `cruce:` block (see docs/mapping.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from followthemoney import model
from followthemoney.schema import Schema

from cruce.errors import CruceError, InvalidMapping
from cruce.ingest._encoding import check_encoding
from cruce.ingest._yaml import check_keys, load_yaml
from cruce.records import POLICY_FIELDS, Envelope, SubjectCategory
from cruce.records._vocab import nearest_key

PROPERTY_KEYS = {
    "column",
    "columns",
    "literal",
    "literals",
    "join",
    "split",
    "template",
    "entity",
    "required",
    "format",
    "fuzzy",
}
# The envelope's policy fields a mapping may set (agency and dataset come from the mapping
# itself; shareability follows the subject category), plus `retention` for `retain_until`.
ENVELOPE_KEYS = {*POLICY_FIELDS, "retention"} - {"agency", "dataset", "is_shareable"}
# Every other key a mapping may hold, by place: anything else is a typo and is refused.
DATASET_KEYS = {"cruce", "queries", "query", "title", "description"}
BLOCK_KEYS = {"agency", "envelope", "columns", "encoding"}
CLEANING_KEYS = {"date_formats", "phone_country", "case", "whitespace"}
QUERY_KEYS = {"csv_url", "csv_urls", "xlsx_url", "sheet", "entities", "encoding"}
ENTITY_KEYS = {"schema", "key", "keys", "key_literal", "id_column", "properties", "envelope"}
ENTITY_ENVELOPE_KEYS = {"subject_category"}
CATEGORY_KEYS = {"column", "map", "default"}
_RETENTION = re.compile(r"^(\d+)\s*([ymd])$")


@dataclass(frozen=True, slots=True)
class ColumnCleaning:
    date_formats: tuple[str, ...] = ()
    phone_country: str | None = None
    case: str = "keep"


@dataclass(frozen=True, slots=True)
class FromColumn:
    """An envelope value read from a column, through a value map."""

    column: str
    mapping: dict[str, str]
    default: str | None


@dataclass(frozen=True, slots=True)
class PropertyMapping:
    name: str
    spec: dict[str, Any]

    @property
    def columns(self) -> list[str]:
        cols = _as_list(self.spec.get("column")) + _as_list(self.spec.get("columns"))
        template = self.spec.get("template")
        if isinstance(template, str):
            cols += re.findall(r"{{\s*([^}]+?)\s*}}", template)
        return cols


@dataclass(frozen=True, slots=True)
class EntityMapping:
    name: str
    schema: Schema
    keys: tuple[str, ...]
    key_literal: str
    id_column: str | None
    properties: tuple[PropertyMapping, ...]
    subject_category: str | FromColumn | None


@dataclass(frozen=True, slots=True)
class QuerySource:
    """One file a dataset reads: the path the mapping names (inside its folder), or None when
    the file is given on the command line; the sheet of a workbook, the encoding of a CSV."""

    path: Path | None
    sheet: str | None
    entities: tuple[EntityMapping, ...]
    encoding: str = "utf-8"


@dataclass(frozen=True, slots=True)
class DatasetMapping:
    """One dataset of a mapping file: who owns it, how it may be used, how to read it."""

    dataset: str
    agency: str
    envelope: dict[str, Any]
    columns: dict[str, ColumnCleaning]
    queries: tuple[QuerySource, ...]
    mapping_file: Path
    extra: dict[str, Any] = field(default_factory=dict)

    def columns_used(self, query: QuerySource) -> set[str]:
        """The columns one query reads (cleaning declared for other files' columns aside)."""
        used: set[str] = set()
        for ent in query.entities:
            used.update(ent.keys)
            if ent.id_column:
                used.add(ent.id_column)
            for prop in ent.properties:
                used.update(prop.columns)
            if isinstance(ent.subject_category, FromColumn):
                used.add(ent.subject_category.column)
        return used


def load_mapping(path: Path, today: date | None = None) -> list[DatasetMapping]:
    """Read and check a mapping file; every problem names the file and the place in it."""
    data = load_yaml(path)
    if not isinstance(data, dict) or not data:
        raise InvalidMapping(f"{path}: a mapping file is a YAML object of datasets")
    return [_dataset(path, name, spec, today or date.today()) for name, spec in data.items()]


def _dataset(path: Path, name: str, spec: Any, today: date) -> DatasetMapping:
    where = f"{path}: dataset {str(name)[:60]!r}"
    if not isinstance(spec, dict):
        raise InvalidMapping(f"{where}: expected an object")
    check_keys(where, spec, DATASET_KEYS)
    block = spec.get("cruce")
    if not isinstance(block, dict) or not block.get("agency"):
        raise InvalidMapping(f"{where}: needs a 'cruce:' block with 'agency' and 'envelope'")
    check_keys(f"{where}, cruce", block, BLOCK_KEYS)
    envelope = _envelope_defaults(where, str(name), block, today)
    columns = {str(k): _cleaning(where, k, v) for k, v in _object(where, block, "columns").items()}
    encoding = check_encoding(str(block.get("encoding") or "utf-8"), where)
    queries = spec.get("queries") or ([spec["query"]] if "query" in spec else [])
    if not isinstance(queries, list) or not queries:
        raise InvalidMapping(f"{where}: has no 'queries' (a list)")
    sources = tuple(_query(path, where, i, q, encoding) for i, q in enumerate(queries))
    return DatasetMapping(str(name), str(block["agency"]), envelope, columns, sources, path)


def _envelope_defaults(
    where: str, dataset: str, block: dict[str, Any], today: date
) -> dict[str, Any]:
    if "envelope" not in block:
        raise InvalidMapping(f"{where}: the 'cruce:' block needs an 'envelope'")
    env = dict(_object(where, block, "envelope"))
    check_keys(f"{where}, envelope", env, ENVELOPE_KEYS)
    retention = env.pop("retention", None)
    if retention is not None and "retain_until" not in env:
        env["retain_until"] = retain_until(where, str(retention), today)
    if isinstance(env.get("retain_until"), date):
        env["retain_until"] = env["retain_until"].isoformat()
    env.pop("subject_category", None)  # per entity, see _entity
    values = {"agency": block["agency"], "dataset": dataset, **env}
    try:
        Envelope.build(**values)
    except CruceError as exc:
        raise InvalidMapping(f"{where}: {exc.message}") from None
    return values


def retain_until(where: str, text: str, today: date) -> str:
    match = _RETENTION.match(text.strip().lower())
    if not match:
        raise InvalidMapping(f"{where}: retention {text!r} is not like '5y', '18m' or '90d'")
    n, unit = int(match.group(1)), match.group(2)
    if unit == "d":
        return (today + timedelta(days=n)).isoformat()
    months = n * 12 if unit == "y" else n
    year, month = divmod(today.month - 1 + months, 12)
    day = min(today.day, 28)
    return date(today.year + year, month + 1, day).isoformat()


def _cleaning(where: str, column: Any, spec: Any) -> ColumnCleaning:
    if not isinstance(spec, dict):
        raise InvalidMapping(f"{where}: cleaning of column {column!r} must be an object")
    check_keys(f"{where}, column {str(column)[:60]!r}", spec, CLEANING_KEYS)
    case = str(spec.get("case", "keep"))
    if case not in ("keep", "upper", "lower", "title"):
        raise InvalidMapping(
            f"{where}: column {column!r}: case {case!r} is not upper/lower/title/keep"
        )
    formats = tuple(str(f) for f in _as_list(spec.get("date_formats")))
    country = spec.get("phone_country")
    return ColumnCleaning(formats, str(country).upper() if country else None, case)


def _query(path: Path, where: str, index: int, spec: Any, encoding: str) -> QuerySource:
    if not isinstance(spec, dict) or not isinstance(spec.get("entities"), dict):
        raise InvalidMapping(f"{where}: query {index} needs 'entities'")
    check_keys(f"{where}, query {index}", spec, QUERY_KEYS)
    source = _source(path, f"{where}, query {index}", spec)
    if spec.get("encoding"):
        encoding = check_encoding(str(spec["encoding"]), f"{where}, query {index}")
    entities = tuple(
        _entity(f"{where}, entity {str(n)[:60]!r}", n, e) for n, e in spec["entities"].items()
    )
    names = {e.name for e in entities}
    _check_distinct_keys(where, entities)
    for ent in entities:
        for prop in ent.properties:
            ref = prop.spec.get("entity")
            if ref is not None and ref not in names:
                raise InvalidMapping(
                    f"{where}: property {prop.name!r} refers to unknown entity {ref!r}"
                )
    sheet = spec.get("sheet")
    return QuerySource(source, str(sheet) if sheet is not None else None, entities, encoding)


def _source(path: Path, where: str, spec: dict[str, Any]) -> Path | None:
    """The file a query names, which must lie in the mapping's folder (resolved, so neither
    `../`, an absolute path nor a symlink leads out of it): a mapping handed to cruce must not
    read the operator's other files. A file elsewhere is given on the command line."""
    urls = spec.get("csv_urls") or []
    if not isinstance(urls, list) or len(urls) > 1:
        raise InvalidMapping(f"{where}: csv_urls names one file per query in cruce; "
                             "write one query per file")
    url = spec.get("csv_url") or spec.get("xlsx_url") or (urls[0] if urls else None)
    if not url:
        return None
    folder = path.parent.resolve()
    target = (folder / str(url)).resolve()
    if "://" in str(url) or not target.is_relative_to(folder):
        raise InvalidMapping(
            f"{where}: {str(url)[:200]!r} is outside the mapping's folder; put the file beside "
            "the mapping, or give it on the command line (cruce ingest FILE --mapping ...)"
        )
    return target


def _check_distinct_keys(where: str, entities: tuple[EntityMapping, ...]) -> None:
    # Two entities keyed on the same columns would get the same id and merge into one.
    seen: dict[tuple[tuple[str, ...], str], str] = {}
    for ent in entities:
        key = (tuple(sorted(ent.keys or (ent.id_column or "",))), ent.key_literal)
        if key in seen:
            raise InvalidMapping(
                f"{where}: entities {seen[key]!r} and {ent.name!r} have the same "
                "keys and would get the same id; give one a key_literal"
            )
        seen[key] = ent.name


def _entity(where: str, name: str, spec: Any) -> EntityMapping:
    if not isinstance(spec, dict):
        raise InvalidMapping(f"{where}: expected an object")
    check_keys(where, spec, ENTITY_KEYS)
    schema = model.get(str(spec.get("schema")))
    if schema is None:
        raise InvalidMapping(f"{where}: {spec.get('schema')!r} is not a FollowTheMoney schema")
    if schema.abstract:
        raise InvalidMapping(f"{where}: {schema.name!r} is an abstract schema; use a concrete one")
    keys = tuple(str(k) for k in _as_list(spec.get("key")) + _as_list(spec.get("keys")))
    id_column = spec.get("id_column")
    if not keys and not id_column:
        raise InvalidMapping(f"{where}: needs 'keys' (or 'id_column') for stable ids")
    props = []
    for prop_name, prop_spec in _object(where, spec, "properties").items():
        props.append(_property(where, schema, prop_name, prop_spec))
    envelope = _object(where, spec, "envelope")
    check_keys(f"{where}, envelope", envelope, ENTITY_ENVELOPE_KEYS)
    category = _subject_category(where, schema, envelope.get("subject_category"))
    return EntityMapping(
        name, schema, keys, str(spec.get("key_literal") or ""), id_column, tuple(props), category
    )


def _property(where: str, schema: Schema, name: str, spec: Any) -> PropertyMapping:
    if schema.get(name) is None:
        hint = nearest_key(str(name), schema.properties)
        raise InvalidMapping(f"{where}: {schema.name} has no property {str(name)[:60]!r}{hint}")
    if not isinstance(spec, dict):
        raise InvalidMapping(f"{where}: property {name!r} must be an object")
    check_keys(f"{where}, property {name!r}", spec, PROPERTY_KEYS)
    return PropertyMapping(name, spec)


def _subject_category(where: str, schema: Schema, spec: Any) -> str | FromColumn | None:
    if spec is None:
        return SubjectCategory.UNKNOWN.value if schema.is_a("Person") else None
    if isinstance(spec, str):
        return _category_value(where, spec)
    if not isinstance(spec, dict) or "column" not in spec:
        raise InvalidMapping(f"{where}: subject_category must be a value or {{column, map}}")
    check_keys(f"{where}, subject_category", spec, CATEGORY_KEYS)
    if not isinstance(spec.get("map") or {}, dict):
        raise InvalidMapping(f"{where}: subject_category's map must be an object")
    mapping = {
        str(k).strip().upper(): _category_value(where, v)
        for k, v in (spec.get("map") or {}).items()
    }
    default = spec.get("default")
    return FromColumn(
        str(spec["column"]), mapping, _category_value(where, default) if default else None
    )


def _category_value(where: str, value: Any) -> str:
    text = str(value).strip().lower()
    if text not in {c.value for c in SubjectCategory}:
        allowed = ", ".join(c.value for c in SubjectCategory)
        raise InvalidMapping(f"{where}: subject category {value!r} is not one of {allowed}")
    return text


def _object(where: str, spec: dict[str, Any], key: str) -> dict[Any, Any]:
    """`spec[key]` as an object ({} when absent); any other type is refused by name."""
    value = spec.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidMapping(f"{where}: {key!r} must be an object, not {type(value).__name__}")
    return value


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]
