"""Two records of a pair side by side, as a reviewer compares them: names and fields."""

from __future__ import annotations

from typing import Any

from cruce.records import Record

# The Person properties the linkage reads, in the order a reviewer compares them.
FIELDS = (
    "name", "firstName", "secondName", "middleName", "fatherName", "motherName", "lastName",
    "alias", "birthDate", "birthPlace", "nationality", "gender", "idNumber", "passportNumber",
    "phone", "address",
)
MAX_VALUES = 3  # a field with more values shows the first few and how many more


def side_by_side(left: Record | None, right: Record | None) -> dict[str, Any]:
    """{"left": {id, name, agency}, "right": ..., "fields": [{property, left, right}]}; a
    record not read (None) shows no content."""
    values = [_values(r) for r in (left, right)]
    fields = [{"property": prop, "left": _text(values[0].get(prop)),
               "right": _text(values[1].get(prop))}
              for prop in FIELDS if values[0].get(prop) or values[1].get(prop)]
    return {"left": _head(left), "right": _head(right), "fields": fields}


def _values(record: Record | None) -> dict[str, list[str]]:
    if record is None:
        return {}
    return {prop: [str(v) for v in record.entity.get(prop, quiet=True)] for prop in FIELDS}


def _head(record: Record | None) -> dict[str, Any]:
    if record is None:
        return {"name": None, "agency": None, "read": False}
    return {"name": record.caption, "agency": record.envelope.agency, "read": True}


def _text(values: list[str] | None) -> str:
    if not values:
        return ""
    more = len(values) - MAX_VALUES
    return "; ".join(values[:MAX_VALUES]) + (f" (+{more} more)" if more > 0 else "")
