"""Record ids: one rule wherever an id enters a node (JSON lines, the API, a package).

An id is text of 1 to 64 characters from `A-Z a-z 0-9 . _ : -`. The store's id column is
VARCHAR(64); the mapping path's ids are 40 hex digits (SHA-1, see `cruce.ingest._ids`); FtM
tools' ids (`ofac-123`, `Q42`, `NK-...`) fit. A `/` would make a record that
`GET /api/v1/records/{id}` cannot reach, and a list or a number would be stored as Python text.

    >>> check_record_id("hn-001")
    'hn-001'
    >>> id_problem("a/b")
    "'a/b' has characters outside A-Z a-z 0-9 . _ : -"
"""

from __future__ import annotations

import re
from typing import Any

from cruce.errors import InvalidEntityField

MAX_ID_LENGTH = 64
ID_CHARACTERS = "A-Z a-z 0-9 . _ : -"
_ID = re.compile(r"[A-Za-z0-9._:\-]+")


def id_problem(value: Any) -> str | None:
    """Why `value` is not a record id, or None when it is one."""
    if not isinstance(value, str):
        return f"must be text, not {type(value).__name__}"
    if not value:
        return "must not be empty"
    if len(value) > MAX_ID_LENGTH:
        return f"is {len(value)} characters long; at most {MAX_ID_LENGTH}"
    if not _ID.fullmatch(value):
        return f"{value!r} has characters outside {ID_CHARACTERS}"
    return None


def check_record_id(value: Any, where: str = "record", field: str = "id") -> str:
    """The id itself, or InvalidEntityField naming `field` and why."""
    problem = id_problem(value)
    if problem is not None:
        raise InvalidEntityField(where, field, problem)
    return str(value)


__all__ = ["ID_CHARACTERS", "MAX_ID_LENGTH", "check_record_id", "id_problem"]
