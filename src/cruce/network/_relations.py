"""The relations a network is made of, named as analysts ask for them, and how each is read
from FollowTheMoney: an edge schema (a Membership links member and organization), a schema
that mentions its parties (a Vehicle its owner, a Trip the people involved), or a value two
records share (the same phone number).

A link's relation is that of the record holding the reference (a Membership, a Vehicle), else
that of the schema the property points to (Person.addressEntity -> Address), else "other".
"""

from __future__ import annotations

from collections.abc import Iterable

from followthemoney import model
from followthemoney.property import Property
from followthemoney.schema import Schema
from followthemoney.types import registry

from cruce.errors import InvalidInput

# relation -> the FtM schemata that carry it (their descendants too)
SCHEMA_RELATIONS: dict[str, tuple[str, ...]] = {
    "membership": ("Membership",),
    "associate": ("Associate",),
    "family": ("Family",),
    "ownership": ("Ownership",),
    "employment": ("Employment", "Directorship"),
    "representation": ("Representation",),
    "court_case": ("CourtCaseParty", "CourtCase"),
    "vehicle": ("Vehicle",),
    "address": ("Address",),
    "trip": ("Trip",),
    "event": ("Event",),
    "document": ("Identification", "Passport"),
    "link": ("UnknownLink",),
}
# relation -> the FtM property type whose shared values link records
VALUE_RELATIONS: dict[str, str] = {
    "phone": registry.phone.name,
    "email": registry.email.name,
    "identifier": registry.identifier.name,
    "shared_address": registry.address.name,
}
# Records the linkage put in one cluster (`cruce link --db`): the same person, seen by two
# agencies or twice by one.
SAME_PERSON = "same_person"
OTHER = "other"
RELATIONS: tuple[str, ...] = (*SCHEMA_RELATIONS, *VALUE_RELATIONS, SAME_PERSON, OTHER)


def _schema_relation() -> dict[str, str]:
    # The most specific schema wins: Trip is an Event, but a trip is asked for as "trip".
    named = {s: rel for rel, names in SCHEMA_RELATIONS.items() for s in names}
    found: dict[str, str] = {}
    for schema in model.schemata.values():
        for ancestor in [schema, *sorted(schema.extends, key=lambda s: s.name)]:
            if ancestor.name in named:
                found[schema.name] = named[ancestor.name]
                break
    found.update({s: rel for s, rel in named.items()})
    return found


_BY_SCHEMA = _schema_relation()


def relation_of(holder: Schema, prop: Property | None = None) -> str:
    """The relation of a reference held by a record of `holder` through `prop`.

    >>> relation_of(model.get("Membership"))
    'membership'
    >>> relation_of(model["Person"], model["Person"].get("addressEntity"))
    'address'
    """
    if holder.name in _BY_SCHEMA:
        return _BY_SCHEMA[holder.name]
    if prop is not None and prop.range is not None and prop.range.name in _BY_SCHEMA:
        return _BY_SCHEMA[prop.range.name]
    return OTHER


def value_relation(type_name: str) -> str | None:
    """The relation of a shared value of this FtM type (None: values of this type link no
    records: names, dates, countries are shared by strangers)."""
    for relation, name in VALUE_RELATIONS.items():
        if name == type_name:
            return relation
    return None


def chosen(relations: Iterable[str] | None) -> frozenset[str]:
    """The relations asked for (none given: all), refused naming any unknown one."""
    asked = [r.strip() for r in relations or () if r.strip()]
    unknown = [r for r in asked if r not in RELATIONS]
    if unknown:
        raise InvalidInput(f"relation {unknown[0][:64]!r} is not one of {', '.join(RELATIONS)}")
    return frozenset(asked) if asked else frozenset(RELATIONS)


def holder_schemata(relations: frozenset[str], target: Schema) -> tuple[str, ...] | None:
    """The schemata of the records that may link `target` by one of `relations` (None: any:
    every reference to an Address is an address link, whoever holds it)."""
    if relations == frozenset(RELATIONS) or relation_of(target) in relations:
        return None
    return tuple(sorted(s for s, rel in _BY_SCHEMA.items() if rel in relations))


# Whose shared values link them: people, organisations, companies, public bodies. Two events
# at one border crossing share its address, and that says nothing about who was there.
PARTIES: tuple[str, ...] = tuple(sorted(
    s.name for s in model.schemata.values() if s.is_a("LegalEntity") and not s.abstract))


def shares_values(schema: Schema) -> bool:
    """Do this schema's phones, e-mails, identifiers and addresses link its records?"""
    return schema.name in PARTIES


def value_types(relations: frozenset[str]) -> tuple[str, ...]:
    """The FtM types whose shared values are asked for."""
    return tuple(t for rel, t in VALUE_RELATIONS.items() if rel in relations)


__all__ = ["OTHER", "PARTIES", "RELATIONS", "SAME_PERSON", "chosen", "holder_schemata",
           "relation_of", "shares_values", "value_relation", "value_types"]
