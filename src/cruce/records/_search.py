"""The text a record is found by: names, aliases and identifiers, folded for search."""

from __future__ import annotations

import re
import unicodedata

from followthemoney import EntityProxy

_NON_WORD = re.compile(r"[^0-9a-z]+")
SEARCH_PROPERTIES = (
    "name",
    "alias",
    "weakAlias",
    "previousName",
    "firstName",
    "middleName",
    "lastName",
    "fatherName",
    "motherName",
    "idNumber",
    "passportNumber",
    "registrationNumber",
    "number",
    "phone",
)


def fold(text: str) -> str:
    """Lower case, no accents, punctuation to spaces: 'Hernández-García' -> 'hernandez garcia'."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return _NON_WORD.sub(" ", bare).strip()


def search_text(entity: EntityProxy) -> str:
    values: list[str] = []
    for prop in SEARCH_PROPERTIES:
        if prop in entity.schema.properties:
            values.extend(entity.get(prop, quiet=True))
    return fold(" ".join(values))
