"""Mapping files: FtM mapping YAML plus cruce's `cruce:` block (see docs/mapping.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from followthemoney import model
from followthemoney.schema import Schema

from cruce.errors import CruceError, InvalidMapping
from cruce.records import Envelope, SubjectCategory

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
ENVELOPE_KEYS = {
    "purpose",
    "subject_category",
    "handling_code",
    "handling_restriction",
    "tlp",
    "source_reliability",
    "information_accuracy",
    "retention",
    "retain_until",
}
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
    path: Path | None
    sheet: str | None
    entities: tuple[EntityMapping, ...]


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
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidMapping(f"{path}: cannot read mapping: {exc}") from None
    if not isinstance(data, dict) or not data:
        raise InvalidMapping(f"{path}: a mapping file is a YAML object of datasets")
    return [_dataset(path, name, spec, today or date.today()) for name, spec in data.items()]


def _dataset(path: Path, name: str, spec: Any, today: date) -> DatasetMapping:
    where = f"{path}: dataset {name!r}"
    if not isinstance(spec, dict):
        raise InvalidMapping(f"{where}: expected an object")
    block = spec.get("cruce")
    if not isinstance(block, dict) or not block.get("agency"):
        raise InvalidMapping(f"{where}: needs a 'cruce:' block with 'agency' and 'envelope'")
    envelope = _envelope_defaults(where, str(name), block, today)
    columns = {str(k): _cleaning(where, k, v) for k, v in (block.get("columns") or {}).items()}
    queries = spec.get("queries") or ([spec["query"]] if "query" in spec else [])
    if not queries:
        raise InvalidMapping(f"{where}: has no 'queries'")
    sources = tuple(_query(path, where, i, q) for i, q in enumerate(queries))
    return DatasetMapping(str(name), str(block["agency"]), envelope, columns, sources, path)


def _envelope_defaults(
    where: str, dataset: str, block: dict[str, Any], today: date
) -> dict[str, Any]:
    env = dict(block.get("envelope") or {})
    unknown = set(env) - ENVELOPE_KEYS
    if unknown:
        raise InvalidMapping(f"{where}: unknown envelope field {sorted(unknown)[0]!r}")
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
    case = str(spec.get("case", "keep"))
    if case not in ("keep", "upper", "lower", "title"):
        raise InvalidMapping(
            f"{where}: column {column!r}: case {case!r} is not upper/lower/title/keep"
        )
    formats = tuple(str(f) for f in _as_list(spec.get("date_formats")))
    country = spec.get("phone_country")
    return ColumnCleaning(formats, str(country).upper() if country else None, case)


def _query(path: Path, where: str, index: int, spec: Any) -> QuerySource:
    if not isinstance(spec, dict) or not isinstance(spec.get("entities"), dict):
        raise InvalidMapping(f"{where}: query {index} needs 'entities'")
    url = spec.get("csv_url") or spec.get("xlsx_url") or (spec.get("csv_urls") or [None])[0]
    source = (path.parent / str(url)) if url else None
    entities = tuple(_entity(f"{where}, entity {n!r}", n, e) for n, e in spec["entities"].items())
    names = {e.name for e in entities}
    _check_distinct_keys(where, entities)
    for ent in entities:
        for prop in ent.properties:
            ref = prop.spec.get("entity")
            if ref is not None and ref not in names:
                raise InvalidMapping(
                    f"{where}: property {prop.name!r} refers to unknown entity {ref!r}"
                )
    return QuerySource(source, spec.get("sheet"), entities)


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
    schema = model.get(str(spec.get("schema")))
    if schema is None:
        raise InvalidMapping(f"{where}: {spec.get('schema')!r} is not a FollowTheMoney schema")
    keys = tuple(str(k) for k in _as_list(spec.get("key")) + _as_list(spec.get("keys")))
    id_column = spec.get("id_column")
    if not keys and not id_column:
        raise InvalidMapping(f"{where}: needs 'keys' (or 'id_column') for stable ids")
    props = []
    for prop_name, prop_spec in (spec.get("properties") or {}).items():
        props.append(_property(where, schema, prop_name, prop_spec))
    category = _subject_category(
        where, schema, (spec.get("envelope") or {}).get("subject_category")
    )
    return EntityMapping(
        name, schema, keys, str(spec.get("key_literal") or ""), id_column, tuple(props), category
    )


def _property(where: str, schema: Schema, name: str, spec: Any) -> PropertyMapping:
    if schema.get(name) is None:
        raise InvalidMapping(f"{where}: {schema.name} has no property {name!r}")
    if not isinstance(spec, dict):
        raise InvalidMapping(f"{where}: property {name!r} must be an object")
    unknown = set(spec) - PROPERTY_KEYS
    if unknown:
        raise InvalidMapping(f"{where}: property {name!r}: unsupported key {sorted(unknown)[0]!r}")
    return PropertyMapping(name, spec)


def _subject_category(where: str, schema: Schema, spec: Any) -> str | FromColumn | None:
    if spec is None:
        return SubjectCategory.UNKNOWN.value if schema.is_a("Person") else None
    if isinstance(spec, str):
        return _category_value(where, spec)
    if not isinstance(spec, dict) or "column" not in spec:
        raise InvalidMapping(f"{where}: subject_category must be a value or {{column, map}}")
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


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]
