"""Checks of documents, persons and vehicles against the index; hits confirmed by the store.

`AlertIndex.build(store)` loads every live alert; `refresh` tops it up when the store's alert
generation moves (checked at most once a second: a server answering thousands of checks a
second does not ask the store each time). Every candidate the index finds is read back from
the store (`Store.alerts_at`), its key compared and its withdrawal and expiry checked, so an
alert withdrawn or expired a moment ago never hits.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cruce.checks._index import KeyIndex
from cruce.checks._keys import CONFUSABLE, country, document_type, number_key, vin
from cruce.checks._persons import PersonIndex, explain, standardise
from cruce.store import Store
from cruce.store._alert_tables import StoredAlert

EXACT, CONFUSED, DROPPED = 1.0, 0.85, 0.75
_LABELS = {"doc_key": "document number", "plate_key": "plate", "vin_key": "VIN"}
_REFRESH_EVERY = 1.0  # seconds between looks at the store's alert generation


@dataclass(frozen=True, slots=True)
class Hit:
    """An alert a check hit: its handle, score (0-1), why, and what the officer must do."""

    alert_id: str
    kind: str
    score: float
    explanation: str
    reason: str
    action: str
    issuer: str
    contact: str
    details: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"alert_id": self.alert_id, "kind": self.kind, "score": self.score,
                "explanation": self.explanation, "reason": self.reason, "action": self.action,
                "issuer": self.issuer, "contact": self.contact, "evidence": self.details}


class Variants:
    """A key and every one-error variant of it, as looked up (`keys`, the prefix on each):
    the key, each character dropped, each confusable swapped, each character inserted. Only
    the positions that matched are described (`describe`): most checks match none, so no
    score or text is made for the hundreds of variants a check tries."""

    _ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

    def __init__(self, prefix: str, key: str, *, fuzzy: bool = True) -> None:
        self.key = key
        self.swaps = [(i, twin) for i, char in enumerate(key) for twin in CONFUSABLE.get(char, "")]
        keys = [prefix + key]
        if fuzzy:
            n = len(key)
            keys += [prefix + key[:i] + key[i + 1:] for i in range(n)] if n > 1 else []
            keys += [prefix + key[:i] + twin + key[i + 1:] for i, twin in self.swaps]
            heads = [prefix + key[:i] for i in range(n + 1)]
            keys += [head + c + key[i:] for i, head in enumerate(heads) for c in self._ALPHABET]
        self.keys = keys

    def describe(self, position: int) -> tuple[float, str]:
        n = len(self.key)
        if position == 0:
            return EXACT, "exact"
        position -= 1
        dropped = n if n > 1 else 0
        if position < dropped:
            return DROPPED, f"one character too many ({self.key[position]})"
        position -= dropped
        if position < len(self.swaps):
            i, twin = self.swaps[position]
            return CONFUSED, f"{twin} read as {self.key[i]}"
        position -= len(self.swaps)
        return DROPPED, f"one character dropped ({self._ALPHABET[position % 36]})"


class AlertIndex:
    """Every live alert, indexed for checks (`build`), topped up as alerts change."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.documents = KeyIndex("doc_key")
        self.plates = KeyIndex("plate_key")
        self.vins = KeyIndex("vin_key")
        self.persons = PersonIndex()
        # Read once: a node's agency, once claimed, never changes; a check must not ask the
        # store for it (a query a request, the largest cost of a no-hit check over HTTP).
        self.agency = store.get_setting("agency") or "unknown"
        self.generation = -1
        self.built_seconds = 0.0
        self._lock = threading.Lock()
        self._looked = 0.0

    @classmethod
    def build(cls, store: Store, today: date | None = None) -> AlertIndex:
        index = cls(store)
        started = time.perf_counter()
        index.refresh(today, force=True)
        index.built_seconds = time.perf_counter() - started
        return index

    def refresh(self, today: date | None = None, *, force: bool = False) -> bool:
        """Load what changed since the last look, if the generation moved; True if it did."""
        now = time.monotonic()
        if not force and now - self._looked < _REFRESH_EVERY:
            return False
        with self._lock:
            self._looked = now
            generation = self.store.alerts_generation()
            if generation == self.generation:
                return False
            day = today or date.today()
            for keys in (self.documents, self.plates, self.vins):
                keys.load(self.store, day)
            self.persons.load(self.store, day)
            self.generation = generation
            return True

    def memory(self) -> dict[str, int]:
        """Alerts indexed and the bytes the key arrays hold (persons: their count only)."""
        return {"documents": self.documents.size, "plates": self.plates.size,
                "vins": self.vins.size, "persons": self.persons.size,
                "key_bytes": self.documents.nbytes + self.plates.nbytes + self.vins.nbytes}

    # -- checks -----------------------------------------------------------------------------
    def check_document(self, issuing: str, doc_type: str, number: str,
                       today: date | None = None) -> list[Hit]:
        """Hits for a document: its number exact, or one transcription error away (scored
        lower), with the same type and issuing country."""
        self.refresh()
        prefix = f"{country(issuing)}|{document_type(doc_type)}|"
        return self._keyed(self.documents, prefix, number_key(number), "doc_key", today)

    def check_vehicle(self, plate: str = "", plate_country: str = "", code: str = "",
                      today: date | None = None) -> list[Hit]:
        """Hits for a vehicle by plate (with its country; one error scored lower) or VIN."""
        self.refresh()
        hits: list[Hit] = []
        if plate:
            hits += self._keyed(self.plates, f"{country(plate_country)}|", number_key(plate),
                                "plate_key", today)
        if code:
            hits += self._keyed(self.vins, "", vin(code), "vin_key", today, fuzzy=False)
        return _best(hits)

    def check_person(self, given_names: str, surnames: str, birth_date: str = "",
                     nationality: str = "", today: date | None = None) -> list[Hit]:
        """Hits for a person, screened fuzzily; each with the evidence, field by field."""
        self.refresh()
        query = standardise(given_names, surnames, birth_date, nationality)
        found = self.persons.screen(query)
        alerts = {a.seq: a for a in self.store.alerts_at([seq for seq, _, _ in found])}
        day = today or date.today()
        return [_hit(alerts[seq], probability, explain(why), why)
                for seq, probability, why in found
                if seq in alerts and alerts[seq].is_live(day)]

    def _keyed(self, keys: KeyIndex, prefix: str, key: str, column: str, today: date | None,
               *, fuzzy: bool = True) -> list[Hit]:
        variants = Variants(prefix, key, fuzzy=fuzzy)
        found = keys.find(variants.keys)
        if not found:
            return []
        alerts = {a.seq: a for a in self.store.alerts_at(sorted({s for _, s in found}))}
        day = today or date.today()
        hits = []
        for position, seq in found:
            alert = alerts.get(seq)
            if (alert is None or not alert.is_live(day)
                    or _key_of(alert, column) != variants.keys[position]):
                continue
            score, why = variants.describe(position)
            hits.append(_hit(alert, score, f"{_LABELS[column]} {why}"))
        return _best(hits)


def _key_of(alert: StoredAlert, column: str) -> str:
    body = alert.body
    if column == "doc_key":
        return f"{body['country']}|{body['doc_type']}|{body['number']}"
    if column == "plate_key":
        return f"{body['country']}|{body['plate']}"
    return str(body.get("vin", ""))


def _hit(alert: StoredAlert, score: float, why: str,
         details: list[dict[str, Any]] | None = None) -> Hit:
    body = alert.body
    return Hit(alert.alert_id, alert.kind, score, why, str(body["reason"]), str(body["action"]),
               alert.issuer, str(body.get("contact") or alert.issuer), details or [])


def _best(hits: list[Hit]) -> list[Hit]:
    """One hit per alert, its best score, best first."""
    best: dict[str, Hit] = {}
    for hit in hits:
        if hit.alert_id not in best or hit.score > best[hit.alert_id].score:
            best[hit.alert_id] = hit
    return sorted(best.values(), key=lambda h: (-h.score, h.alert_id))
