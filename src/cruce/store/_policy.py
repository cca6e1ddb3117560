"""Who may change a stored record, and how far: pure rules the store applies to every write.

Three rules, in this order (issue 10, "Provenance is immutable" and "Protection only ratchets up
without a supervisor"):

1. provenance -- a record keeps the agency it was first stored with. A node's own records are
   changed only by its own ingest, never by a package (whoever sealed it). A record held from
   another agency (its provider) is changed only by a package from that provider (a
   correction), or from the agency whose package brought it here (the channel of an onward
   share, relaying the provider's correction); never by a local ingest and never by another
   member's package. A write that breaks this is refused for that record; the others go on.
2. protection -- a write the first rule lets through may raise a record's protection, never
   lower it, unless it is the provider's own correction (the provider's rules already applied
   at the provider) or a local ingest a supervisor made with a justification (`Lowering`).
   Otherwise each field keeps the more protective of the stored and the new value, and the
   answer counts the records so kept. The order is `is_lowered`'s.
3. one id, one record -- an id that is not stored but folds (NFKC, case-folded: `fold_id`) to
   the id of a record held from another agency than the one the write names is refused, by a
   local ingest and on arrival alike: `HN-48572E6A` never becomes this node's own record beside
   hn's `hn-48572e6a`.

The store gives `judge_write` what it holds (`Held`) and what a write brings; nothing here reads
or writes a store.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from cruce.records import TLP, HandlingCode

VICTIM = "victim"
# The protection fields, in the order their changes are reported.
FIELDS = ("tlp", "handling_code", "handling_restriction", "is_shareable", "subject_category",
          "purpose", "retain_until")


class Protection(NamedTuple):
    """The fields of an envelope that protect the data subject, as stored (a tuple: a store
    compares millions of them on a re-ingest)."""

    tlp: str
    handling_code: str
    handling_restriction: str | None
    is_shareable: bool
    subject_category: str | None
    purpose: str
    retain_until: date

    @property
    def is_victim(self) -> bool:
        return self.subject_category == VICTIM


@dataclass(frozen=True, slots=True)
class Lowering:
    """A supervisor's justification for lowering the protection of the records a write holds."""

    supervisor: str
    justification: str


@dataclass(frozen=True, slots=True)
class Writer:
    """Who writes: this node's own ingest (`sender` None) or a package from `sender`."""

    agency: str  # this node's agency
    sender: str | None = None
    lowering: Lowering | None = None

    @property
    def is_own_ingest(self) -> bool:
        return self.sender is None


class Held(NamedTuple):
    """A record this node holds: its provider, the agencies whose packages brought it (none for
    the node's own records) and its protection. `collides` names the stored id when the id
    written is not stored itself but folds to the same text as this stored record's (rule 3)."""

    agency: str
    senders: frozenset[str]
    protection: Protection
    collides: str | None = None


def fold_id(record_id: str) -> str:
    """The text two ids that name one record share: Unicode NFKC, then case-folded (a person
    typed `HN-48572E6A` for `hn-48572e6a`; people and spreadsheets do not keep case)."""
    return unicodedata.normalize("NFKC", record_id).casefold()


def collision_problem(held: Held, record_id: str, agency: str) -> str | None:
    """Why a record may not be stored under an id that folds onto another agency's (rule 3)."""
    if held.collides is None or held.agency == agency:
        return None
    return (f"record {record_id!r} differs only in case or form from {held.collides!r}, held "
            f"from {held.agency}: an id that folds to another agency's id is refused")


@dataclass(frozen=True, slots=True)
class Verdict:
    """A write's outcome for one record: refused (with the reason), or the protection to store,
    the fields kept at their stricter stored value and those a supervisor lowered."""

    refused: str | None = None
    protection: Protection | None = None
    kept: tuple[str, ...] = ()
    lowered: tuple[str, ...] = ()


_CODES = {code.value: rank for rank, code in enumerate(HandlingCode)}


def is_lowered(name: str, old: object, new: object) -> bool:
    """Does changing field `name` from `old` to `new` lower the data subject's protection?

    The order (sources: /work/shared/reference/sharing-rules.md):
    - tlp: CLEAR < GREEN < AMBER < AMBER+STRICT < RED (TLP 2.0; MISP: the most restrictive wins).
    - handling_code: H0 < H1 < H2 < H3 (each adds a restriction on use: SIENA handling codes);
      handling_restriction: at H3 the stated text cannot be ordered, so any other text counts as
      lowering (a supervisor rewrites it); a restriction dropped with H3 is lowered with it.
    - is_shareable: not shareable is more protective than shareable.
    - subject_category: victim is above every other category (Directive 2016/680 Art. 6; victims
      are RED and not shareable until released); other categories are not ordered.
    - purpose: any change is a lowering (purpose limitation, Art. 4(1)(b); processing for another
      purpose needs authorisation, Art. 4(2)).
    - retain_until: an earlier date is more protective (data kept no longer than necessary,
      Art. 4(1)(e) and Art. 5 time limits): extending retention is a lowering, shortening is not.
    """
    if old == new:
        return False
    if name == "tlp":
        return TLP(str(new)).rank < TLP(str(old)).rank
    if name == "handling_code":
        return _CODES[str(new)] < _CODES[str(old)]
    if name == "handling_restriction":
        return old is not None
    if name == "is_shareable":
        return bool(new) and not old
    if name == "subject_category":
        return old == VICTIM
    if name == "purpose":
        return True
    if name == "retain_until":
        assert isinstance(old, date) and isinstance(new, date)
        return new > old
    raise ValueError(f"{name!r} is not a protection field")


def ratchet(stored: Protection, incoming: Protection, may_lower: bool) -> Verdict:
    """The protection to store: `incoming`, except that, unless `may_lower`, every field it would
    lower keeps its stored value (a kept victim stays RED and not shareable)."""
    lowered = tuple(n for n in FIELDS
                    if is_lowered(n, getattr(stored, n), getattr(incoming, n)))
    if may_lower or not lowered:
        return Verdict(protection=incoming, lowered=lowered if may_lower else ())
    kept = {n: getattr(stored, n) for n in lowered}
    if "handling_code" in kept or "handling_restriction" in kept:  # they go together
        kept["handling_code"] = stored.handling_code
        kept["handling_restriction"] = stored.handling_restriction
    result = incoming._replace(**kept)
    if result.is_victim:  # victims are RED and not shareable until released (the envelope rule)
        result = result._replace(tlp=TLP.RED.value, is_shareable=False)
    return Verdict(protection=result, kept=lowered)


def provenance_problem(held: Held, record_id: str, agency: str, writer: Writer) -> str | None:
    """Why `writer` may not change the held record (rule 1), or None if it may."""
    if writer.is_own_ingest:
        if held.agency != writer.agency:
            return (f"record {record_id!r} is held from {held.agency}: only {held.agency}'s own "
                    "share (a correction) may change it, never a local ingest")
        if agency != writer.agency:
            return f"record {record_id!r} is {writer.agency}'s own: its agency never changes"
        return None
    sender = writer.sender
    if held.agency == writer.agency:
        return (f"record {record_id!r} is {writer.agency}'s own: a package from {sender} never "
                "changes it")
    if agency != held.agency:
        return (f"record {record_id!r} is held from {held.agency}: a package from {sender} may "
                f"not relabel it as {agency}'s")
    if sender != held.agency and sender not in held.senders:
        return (f"record {record_id!r} is held from {held.agency}: a package from {sender}, "
                "which did not provide it, may not change it")
    return None


def judge_write(
    held: Held | None, record_id: str, agency: str, incoming: Protection, writer: Writer
) -> Verdict:
    """May `writer` store this record as `agency`'s with `incoming` protection, and with what?

    >>> p = Protection("AMBER", "H2", None, True, "suspect", "intelligence", date(2031, 1, 1))
    >>> held = Held("hn_police", frozenset({"hn_police"}), p)
    >>> gt = Writer("gt_police")
    >>> judge_write(held, "hn-1", "gt_police", p, gt).refused is not None
    True
    """
    if held is None:
        if writer.is_own_ingest and agency != writer.agency:
            return Verdict(refused=f"record {record_id!r} names {agency}, not this node's "
                           f"agency {writer.agency}")
        if not writer.is_own_ingest and agency == writer.agency:
            return Verdict(refused=f"record {record_id!r} claims to be {writer.agency}'s own: a "
                           "package never creates a record of the receiving agency")
        return Verdict(protection=incoming)
    problem = provenance_problem(held, record_id, agency, writer)
    if problem is not None:
        return Verdict(refused=problem)
    providers_own = writer.sender is not None and writer.sender == held.agency
    may_lower = providers_own or (writer.is_own_ingest and writer.lowering is not None)
    return ratchet(held.protection, incoming, may_lower)


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """What the rules did to one write: records refused (id, reason), records kept at a stricter
    value, records a supervisor lowered (and which fields), and records whose protection rose
    so far that they may no longer be shared at all (their recipients must be told)."""

    refused: tuple[tuple[str, str], ...] = ()
    kept: int = 0
    lowered: dict[str, tuple[str, ...]] = field(default_factory=dict)
    withdrawn: tuple[str, ...] = ()


def is_unshareable(p: Protection) -> bool:
    """No package may carry it any more: a victim, not shareable, or TLP:RED."""
    return p.is_victim or not p.is_shareable or p.tlp == TLP.RED.value


def now_unshareable(before: Protection, after: Protection) -> bool:
    """A protective change that must reach every recipient as a withdrawal."""
    return is_unshareable(after) and not is_unshareable(before)
