"""A Record is a FollowTheMoney entity in its envelope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from followthemoney import EntityProxy, model
from followthemoney.exc import InvalidData

from cruce.errors import InvalidEntity
from cruce.records._envelope import Envelope


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


def make_entity(data: dict[str, Any], *, where: str = "entity") -> EntityProxy:
    """Build and validate an FtM entity from its JSON form, naming what is wrong."""
    if not isinstance(data, dict):
        raise InvalidEntity(f"{where}: expected a JSON object, got {type(data).__name__}")
    if not data.get("id"):
        raise InvalidEntity(f"{where}: the entity has no 'id'")
    schema = data.get("schema")
    if not isinstance(schema, str) or model.get(schema) is None:
        raise InvalidEntity(f"{where}: {schema!r} is not a FollowTheMoney schema")
    properties = data.get("properties") or {}
    if not isinstance(properties, dict):
        raise InvalidEntity(f"{where}: 'properties' must be an object of lists")
    _check_properties(model.get(schema).name, properties, where)  # type: ignore[union-attr]
    try:
        return model.get_proxy({"id": data["id"], "schema": schema, "properties": properties})
    except InvalidData as exc:
        raise InvalidEntity(f"{where}: {exc}") from None


def _check_properties(schema: str, properties: dict[str, Any], where: str) -> None:
    entity_schema = model.get(schema)
    assert entity_schema is not None
    for name, values in properties.items():
        prop = entity_schema.get(name)
        if prop is None:
            raise InvalidEntity(f"{where}: {schema} has no property {name!r}")
        if not isinstance(values, list):
            raise InvalidEntity(f"{where}: property {name!r} must be a list of values")
