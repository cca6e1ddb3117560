"""Screening travellers: one at a time or a passenger manifest, each call one consultation.

A manifest is CSV with the contract's columns (`MANIFEST_COLUMNS`, any value may be empty;
names as airline manifests write them); a bad row is reported with its line and field and the
others are still checked. The results are one row per hit (`RESULT_COLUMNS`), none for a
traveller without one. Every call is logged as one consultation with the officer, the post,
how many travellers were checked and which alerts hit (never the travellers' data).
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from cruce._csvsafe import csv_writer
from cruce._node import Node
from cruce.audit import Actor, Justification
from cruce.checks._checker import AlertIndex, Hit
from cruce.checks._keys import country, document_type, number_key, vin
from cruce.checks._mrz import parse_mrz
from cruce.errors import InvalidInput

MANIFEST_COLUMNS = ("traveller_id", "given_names", "surnames", "birth_date", "nationality",
                    "document_type", "document_country", "document_number", "plate",
                    "plate_country")
RESULT_COLUMNS = ("traveller_id", "kind", "alert_id", "score")
MAX_TRAVELLERS = 100_000
MAX_POST = 64


@dataclass(frozen=True, slots=True)
class Traveller:
    """One traveller of a manifest (or one check): every field may be empty."""

    traveller_id: str = ""
    given_names: str = ""
    surnames: str = ""
    birth_date: str = ""
    nationality: str = ""
    document_type: str = ""
    document_country: str = ""
    document_number: str = ""
    plate: str = ""
    plate_country: str = ""
    vin: str = ""  # not a manifest column: a check of one vehicle may give it

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> Traveller:
        """From a manifest row or a JSON object; InvalidInput `field: why` if one is bad."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(row) - names)
        if unknown:
            raise InvalidInput(f"{unknown[0]}: not a traveller field")
        values = {}
        for name, value in row.items():
            if value is not None and not isinstance(value, str):
                raise InvalidInput(f"{name}: must be text")
            if value and len(value) > 200:
                raise InvalidInput(f"{name}: {len(value)} characters, at most 200")
            values[name] = (value or "").strip()
        traveller = cls(**values)
        traveller.validate()
        return traveller

    def validate(self) -> None:
        if self.document_number:
            for name, parse in (("document_type", document_type),
                                ("document_country", country),
                                ("document_number", number_key)):
                _checked(name, getattr(self, name), parse)
        if self.plate:
            _checked("plate_country", self.plate_country, country)
            _checked("plate", self.plate, number_key)
        if self.vin:
            _checked("vin", self.vin, vin)
        if self.nationality:
            _checked("nationality", self.nationality, country)
        if not (self.document_number or self.surnames or self.plate or self.vin):
            raise InvalidInput("surnames: nothing to check (no document number, surnames or "
                               "plate)")


def _checked(name: str, value: str, parse: Any) -> None:
    if not value:
        raise InvalidInput(f"{name}: missing")
    try:
        parse(value)
    except InvalidInput as exc:
        raise InvalidInput(f"{name}: {exc.message}") from None


_MRZ_TYPES = {"P": "passport", "I": "id_card", "A": "id_card", "C": "id_card", "V": "visa"}


def traveller_from_mrz(text: str, traveller_id: str = "mrz") -> Traveller:
    """The traveller a machine-readable zone names, every check digit verified first."""
    zone = parse_mrz(text)
    kind = _MRZ_TYPES.get(zone.document_code[:1], "travel_document")

    def state(code: str) -> str:  # Germany writes D<< (ICAO 9303 part 3)
        return "DEU" if code == "D" else code

    return Traveller(traveller_id, zone.given_names, zone.surnames, zone.birth_date,
                     state(zone.nationality), kind, state(zone.issuing_country),
                     zone.document_number)


def check_traveller(index: AlertIndex, t: Traveller) -> list[Hit]:
    """Every hit for one traveller: their document, their person, their vehicle."""
    hits: list[Hit] = []
    if t.document_number:
        hits += index.check_document(t.document_country, t.document_type, t.document_number)
    if t.surnames:
        hits += index.check_person(t.given_names, t.surnames, t.birth_date, t.nationality)
    if t.plate or t.vin:
        hits += index.check_vehicle(t.plate, t.plate_country, t.vin)
    return hits


def screen(node: Node, index: AlertIndex, travellers: Sequence[Traveller], why: Justification,
           post: str) -> list[list[Hit]]:
    """Check travellers; one consultation logged (officer, post, counts, the alerts hit)
    before the answer is given."""
    _refuse_other_purposes(why)
    results = _check_all(index, travellers, post)
    node.store.log_checks(_actor(node, index), why, *_logged(results, post))
    return results


async def screen_async(node: Node, index: AlertIndex, travellers: Sequence[Traveller],
                       why: Justification, post: str) -> list[list[Hit]]:
    """`screen` for asyncio: a few travellers are checked in the task (a check takes a
    fraction of a millisecond), a manifest in a worker thread; the consultation awaited."""
    _refuse_other_purposes(why)
    if len(travellers) > _INLINE:
        results = await asyncio.to_thread(_check_all, index, travellers, post)
    else:
        results = _check_all(index, travellers, post)
    await node.store.log_checks_async(_actor(node, index), why, *_logged(results, post))
    return results


def _actor(node: Node, index: AlertIndex) -> Actor:
    """The officer, with the node's agency as the index read it (no store query a check)."""
    return Actor(index.agency, node.user, node.role)


_INLINE = 4


# A border check serves border security, or the search for a missing person who may be a
# trafficking victim; a check justified as gang or intelligence work is not a border check.
CHECK_PURPOSES = frozenset({"border_security", "trafficking_smuggling"})


def _refuse_other_purposes(why: Justification) -> None:
    if why.purpose not in CHECK_PURPOSES:
        raise InvalidInput(f"a border check is made for {' or '.join(sorted(CHECK_PURPOSES))}, "
                           f"not {why.purpose!r}")


def _check_all(index: AlertIndex, travellers: Sequence[Traveller], post: str) -> list[list[Hit]]:
    # The post goes into the audit log: printable text only, so it cannot forge a line there.
    if not post or len(post) > MAX_POST or not post.isprintable():
        raise InvalidInput(f"the post checking must be named: 1 to {MAX_POST} printable "
                           "characters, no control characters or line breaks")
    if len(travellers) > MAX_TRAVELLERS:
        raise InvalidInput(f"{len(travellers)} travellers: at most {MAX_TRAVELLERS} a call")
    return [check_traveller(index, t) for t in travellers]


def _logged(results: list[list[Hit]], post: str) -> tuple[list[str], dict[str, Any]]:
    hit_ids = [h.alert_id for hits in results for h in hits]
    return hit_ids, {"check": "border", "post": post, "travellers": len(results),
                     "hits": len(hit_ids)}


@dataclass(frozen=True, slots=True)
class ManifestRead:
    travellers: list[Traveller]
    problems: list[str]


def read_manifest(path: Path) -> ManifestRead:
    """A manifest's good rows and a `FILE:LINE: field: why` for each bad one."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path}: not UTF-8 (byte {exc.start})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in MANIFEST_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(f"{path.name}:1: header: missing column(s) {', '.join(missing)} "
                           f"(expected {','.join(MANIFEST_COLUMNS)})")
    travellers: list[Traveller] = []
    problems: list[str] = []
    for row in reader:
        if len(travellers) >= MAX_TRAVELLERS:
            raise InvalidInput(f"{path.name}: more than {MAX_TRAVELLERS} travellers")
        try:
            if None in row:
                raise InvalidInput("line: more values than columns")
            wanted = {c: row.get(c) or "" for c in MANIFEST_COLUMNS}
            if not wanted["traveller_id"]:
                raise InvalidInput("traveller_id: missing")
            travellers.append(Traveller.from_dict(wanted))
        except InvalidInput as exc:
            problems.append(f"{path.name}:{reader.line_num}: {exc.message}")
    return ManifestRead(travellers, problems)


def write_results(path: Path, travellers: Sequence[Traveller],
                  results: Sequence[Sequence[Hit]]) -> int:
    """RESULTS.csv: one row per hit; returns how many rows."""
    rows = [(t.traveller_id, h.kind, h.alert_id, round(h.score, 4))
            for t, hits in zip(travellers, results, strict=True) for h in hits]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv_writer(out)
        writer.writerow(RESULT_COLUMNS)
        writer.writerows(rows)
    return len(rows)
