"""Alerts: stolen, lost or invalidated travel documents, wanted or missing persons, stolen or
wanted vehicles, one JSON object a line (the contract of `cruce alerts import`).

Every field is checked; a file with any bad line is refused whole, each bad line named
`FILE:LINE: field: why` (nothing is stored from a bad file). Unknown fields are refused too: a
misspelt `expires` must not leave an alert that never expires.

    >>> alert = parse_alert({"id": "A1", "kind": "document", "country": "hnd",
    ...     "doc_type": "passport", "number": "E-1234567", "reason": "stolen",
    ...     "action": "seize", "expires": "2027-12-31"}, today=date(2026, 1, 1))
    >>> alert.fields["number"], alert.expires
    ('E1234567', datetime.date(2027, 12, 31))
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from cruce.checks._keys import country, document_type, number_key, vin
from cruce.errors import InvalidInput

KINDS = ("document", "person", "vehicle")
REASONS = {
    "document": ("stolen", "lost", "invalidated", "revoked"),
    "person": ("wanted", "missing"),
    "vehicle": ("stolen", "wanted"),
}
# INTERPOL keeps records no longer than five years initially: an alert without `expires`.
DEFAULT_YEARS = 5
MAX_TEXT = 2000
MAX_NAME = 200
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
_BIRTH = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
_COMMON = {"id", "kind", "reason", "action", "expires", "contact"}
_FIELDS = {
    "document": {"country", "doc_type", "number"},
    "person": {"given_names", "surnames", "birth_date", "nationality", "victim"},
    "vehicle": {"plate", "country", "vin"},
}


class BadAlertFile(InvalidInput):
    """A file with bad lines: `problems` names each (`FILE:LINE: field: why`)."""

    def __init__(self, label: str, problems: list[str]) -> None:
        self.problems = problems
        line = "line" if len(problems) == 1 else "lines"
        super().__init__(f"{label}: {len(problems)} bad {line}, nothing imported"
                         + (f" (first: {problems[0]})" if problems else ""))


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert as its issuer sent it, its keys normalised (`fields`: kind's own fields)."""

    alert_id: str
    kind: str
    reason: str
    action: str
    expires: date
    contact: str
    fields: dict[str, Any]
    line: int = 0

    def to_body(self) -> dict[str, Any]:
        """What the store keeps (JSON): everything but the id, kind and expiry (columns)."""
        return {"reason": self.reason, "action": self.action, "contact": self.contact,
                **self.fields}


def parse_alert(obj: Any, *, today: date | None = None) -> Alert:
    """One alert from its JSON object; InvalidInput `field: why` for the first bad field."""
    if not isinstance(obj, dict):
        raise InvalidInput("not a JSON object")
    kind = _text(obj, "kind")
    if kind not in KINDS:
        raise InvalidInput(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    unknown = sorted(set(obj) - _COMMON - _FIELDS[kind])
    if unknown:
        raise InvalidInput(f"{unknown[0]}: not a field of a {kind} alert")
    alert_id = _text(obj, "id")
    if not _ID.fullmatch(alert_id):
        raise InvalidInput(f"id: {alert_id[:70]!r} must be 1 to 64 letters, digits, _ . : -")
    reason = _text(obj, "reason")
    if reason not in REASONS[kind]:
        raise InvalidInput(f"reason: {reason!r} is not one of {', '.join(REASONS[kind])} "
                           f"for a {kind}")
    today = today or date.today()
    return Alert(alert_id, kind, reason, _text(obj, "action", MAX_TEXT),
                 _expiry(obj, today), _text(obj, "contact", MAX_TEXT, required=False),
                 _PARSERS[kind](obj))


def _document(obj: dict[str, Any]) -> dict[str, Any]:
    return {"country": _field(obj, "country", country),
            "doc_type": _field(obj, "doc_type", document_type),
            "number": _field(obj, "number", number_key)}


def _person(obj: dict[str, Any]) -> dict[str, Any]:
    given = _text(obj, "given_names", MAX_NAME, required=False)
    surnames = _text(obj, "surnames", MAX_NAME)
    birth = _text(obj, "birth_date", 10, required=False)
    if birth and not (_BIRTH.fullmatch(birth) and _is_partial_date(birth)):
        raise InvalidInput(f"birth_date: {birth!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    nationality = _text(obj, "nationality", 3, required=False)
    victim = obj.get("victim", False)
    if not isinstance(victim, bool):
        raise InvalidInput("victim: must be true or false")
    if victim and _text(obj, "reason") != "missing":
        raise InvalidInput("victim: only a missing person's alert is about a victim")
    return {"given_names": given, "surnames": surnames, "birth_date": birth,
            "nationality": _field(obj, "nationality", country) if nationality else "",
            "victim": victim}


def _vehicle(obj: dict[str, Any]) -> dict[str, Any]:
    plate = _text(obj, "plate", 40, required=False)
    code = _text(obj, "vin", 40, required=False)
    if not plate and not code:
        raise InvalidInput("plate: a vehicle alert needs a plate (with its country) or a VIN")
    found: dict[str, Any] = {"plate": "", "country": "", "vin": ""}
    if plate:
        found["plate"] = _field(obj, "plate", number_key)
        found["country"] = _field(obj, "country", country)
    if code:
        found["vin"] = _field(obj, "vin", vin)
    return found


_PARSERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "document": _document, "person": _person, "vehicle": _vehicle}


def _text(obj: dict[str, Any], name: str, most: int = 64, *, required: bool = True) -> str:
    value = obj.get(name)
    if value is None or value == "":
        if required:
            raise InvalidInput(f"{name}: missing")
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{name}: must be text, not {type(value).__name__}")
    if len(value) > most or "\x00" in value:
        raise InvalidInput(f"{name}: {len(value)} characters, at most {most} (no NUL)")
    return value.strip()


def _field(obj: dict[str, Any], name: str, parse: Callable[[str], str]) -> str:
    try:
        return parse(_text(obj, name))
    except InvalidInput as exc:
        message = exc.message
        raise InvalidInput(message if message.startswith(f"{name}:")
                           else f"{name}: {message}") from None


def _is_partial_date(text: str) -> bool:
    parts = [int(p) for p in text.split("-")]
    try:
        date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        return False
    return True


def _expiry(obj: dict[str, Any], today: date) -> date:
    text = _text(obj, "expires", 10, required=False)
    if not text:
        return _add_years(today, DEFAULT_YEARS)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"expires: {text!r} is not a date (YYYY-MM-DD)") from None


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def read_alerts(path: Path, *, today: date | None = None) -> list[Alert]:
    """Every alert of a JSON-lines file, or InvalidInput naming each bad line (and nothing).
    An id given twice in one file is refused: which line would win is not the file's to say."""
    return parse_lines(path.name, _lines(path), today=today)


def parse_lines(label: str, lines: Iterable[str], *, today: date | None = None) -> list[Alert]:
    """Alerts of JSON lines; InvalidInput `LABEL:LINE: field: why` for every bad line."""
    alerts: list[Alert] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            alert = replace(parse_alert(_json(line), today=today), line=number)
        except InvalidInput as exc:
            errors.append(f"{label}:{number}: {exc.message}")
            continue
        if alert.alert_id in seen:
            errors.append(f"{label}:{number}: id: {alert.alert_id!r} is already on line "
                          f"{seen[alert.alert_id]}")
            continue
        seen[alert.alert_id] = number
        alerts.append(alert)
    if errors:
        raise BadAlertFile(label, errors)
    return alerts


def _json(line: str) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"line: not JSON ({exc.msg} at column {exc.colno})") from None


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path}: not UTF-8 (byte {exc.start})") from None


__all__ = ["KINDS", "Alert", "BadAlertFile", "parse_alert", "parse_lines", "read_alerts"]
