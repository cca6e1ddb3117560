"""Text a node can store: what a JSON string may hold that no store column can.

JSON escapes allow a lone surrogate (`"\\ud800"`), which has no UTF-8 form, and NUL, which
PostgreSQL's text refuses; either would fail the write after every check had passed (a 500,
not a bad row). Both are refused where the text enters, with the rest of the value checks.

    >>> text_problem("Ana")
    >>> text_problem("\\ud800")
    'holds a lone surrogate (\\\\ud800), which is not text'
"""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def text_problem(value: str, max_length: int | None = None) -> str | None:
    """Why `value` cannot be stored as text, or None."""
    if max_length is not None and len(value) > max_length:
        return f"is {len(value)} characters long; at most {max_length}"
    if "\x00" in value:
        return "holds a NUL character"
    found = _SURROGATE.search(value)
    if found is not None:
        return f"holds a lone surrogate (\\u{ord(found.group()):04x}), which is not text"
    return None


def shown(value: object, width: int = 60) -> str:
    """A bad value as the caller gave it, cut short: a 1 MB value is never echoed back."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


__all__ = ["shown", "text_problem"]
