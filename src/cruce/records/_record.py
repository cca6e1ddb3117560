"""A Record is a FollowTheMoney entity in its envelope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from followthemoney import EntityProxy, model
from followthemoney.exc import InvalidData
from followthemoney.schema import Schema

from cruce.errors import InvalidEntity, InvalidEntityField
from cruce.records._envelope import Envelope
from cruce.records._ids import check_record_id
from cruce.records._text import shown, text_problem
from cruce.records._vocab import nearest_key


@dataclass(frozen=True, slots=True)
class Record:
    """One stored item: an FtM entity and the envelope that says how it may be used."""

    entity: EntityProxy
    envelope: Envelope

    @property
    def id(self) -> str:
        assert self.entity.id is not None
        return self.entity.id

    @property
    def schema(self) -> str:
        return self.entity.schema.name

    @property
    def caption(self) -> str:
        return self.entity.caption

    def to_dict(self) -> dict[str, Any]:
        """The entity as FtM JSON with the envelope beside it (FtM tools ignore the extra key)."""
        data = self.entity.to_dict()
        data["envelope"] = self.envelope.to_dict()
        return data


def make_entity(
    data: dict[str, Any], *, where: str = "entity", is_stored: bool = False
) -> EntityProxy:
    """Build and validate an FtM entity from its JSON form, naming what is wrong.

    Every way a record enters a node (JSON lines, the API, a package) comes through here: the
    id follows the one id rule (`records._ids`), the schema is a concrete FtM schema (not an
    abstract one such as `Thing`), and every property is a list of text values. A row read
    back from the store (`is_stored`) was judged when it entered: its id is taken as it is, so
    a record stored before a rule tightened stays readable and erasable.
    """
    schema = checked_schema(data, where=where, is_stored=is_stored)
    return build_entity(data["id"], schema, data.get("properties") or {}, where)


def checked_schema(data: Any, *, where: str = "entity", is_stored: bool = False) -> Schema:
    """The checks of `make_entity` without building the entity: its schema, once the id,
    the schema and the shape of the properties are right."""
    if not isinstance(data, dict):
        raise InvalidEntity(f"{where}: expected a JSON object, got {type(data).__name__}")
    if not is_stored:
        check_record_id(data.get("id"), where)
    elif not isinstance(data.get("id"), str) or not data["id"]:
        raise InvalidEntityField(where, "id", "must be text")
    schema = _schema(data.get("schema"), where)
    properties = data.get("properties")
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        raise InvalidEntityField(where, "properties", "must be an object of lists of text")
    _check_properties(schema, properties, where)
    return schema


def build_entity(
    entity_id: str, schema: Schema, properties: dict[str, list[str]], where: str = "entity"
) -> EntityProxy:
    """The FtM entity of checked parts (see `checked_schema`)."""
    try:
        return model.get_proxy({"id": entity_id, "schema": schema.name, "properties": properties})
    except InvalidData as exc:
        raise InvalidEntity(f"{where}: {exc}") from None


def _schema(name: Any, where: str) -> Schema:
    schema = model.get(name) if isinstance(name, str) else None
    if schema is None:
        raise InvalidEntityField(where, "schema", f"{shown(name)} is not a FollowTheMoney schema")
    if schema.abstract:
        raise InvalidEntityField(
            where, "schema", f"{schema.name!r} is abstract; use a concrete schema such as Person"
        )
    return schema


def _check_properties(schema: Schema, properties: dict[Any, Any], where: str) -> None:
    for name, values in properties.items():
        prop = schema.get(name) if isinstance(name, str) else None
        if prop is None:
            short = str(name)[:64]
            hint = nearest_key(short, schema.properties)
            raise InvalidEntityField(
                where, f"properties.{short}", f"{schema.name} has no property {short!r}{hint}"
            )
        if not isinstance(values, list):
            raise InvalidEntityField(
                where, f"properties.{name}", "must be a list of values (text)"
            )
        for value in values:
            if not isinstance(value, str):
                raise InvalidEntityField(
                    where, f"properties.{name}", f"values must be text, not {type(value).__name__}"
                )
            problem = text_problem(value, prop.type.max_length)
            if problem is not None:
                raise InvalidEntityField(where, f"properties.{name}", f"a value {problem}")
