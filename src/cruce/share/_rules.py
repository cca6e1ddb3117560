"""Whether one record may go to one recipient agency: a pure function the server enforces.

Rules, checked in this order; every failing rule is reported, the first one names the decision:

1. victim  -- a victim record (subject_category victim) or one marked not shareable is never
   shared without a supervisor's explicit Release naming the record and the recipient. A
   released record is handled as TLP:RED (the Decision's `tlp`): the named recipients only,
   never onward, whatever consent exists (a further share needs a new release).
2. tlp     -- RED never goes into a share package (named-recipient briefings only, outside
   cruce). AMBER+STRICT (recipient organisation only) and AMBER (recipient organisation and its
   clients; another agency is not a client) may not be passed on by a recipient without the
   provider's consent. GREEN and CLEAR go to the community, which the compact members are.
3. purpose -- the share's purpose must be the record's purpose area (Directive 2016/680
   Art. 4(1)(b)), unless the provider consented to that purpose.
4. handling code -- H0: crime prevention only (every purpose area is one, so a condition);
   H1: condition "not for judicial proceedings without the provider's permission"; H2: no onward
   sharing without consent; H3: the stated restriction travels as a condition, and onward
   sharing needs consent.

"Onward" means the sender is not the record's provider: passing on what was received. A share
by anyone other than the provider is treated as onward even if `onward=False` was passed.
Consent counts only if granted by the record's provider for this record id, this recipient and
this purpose, asked by the sender or the recipient; otherwise it is ignored and the reason says
why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cruce.records import TLP, Envelope, HandlingCode, PurposeArea, Record
from cruce.share._consent import Consent


@dataclass(frozen=True, slots=True)
class Release:
    """A supervisor's explicit release of one protected (victim) record to named recipients."""

    supervisor: str
    justification: str
    record_id: str
    recipients: tuple[str, ...]
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str
    rule: str  # the rule that decided: "victim", "tlp", "purpose", "H2", ... or "allowed"
    conditions: tuple[str, ...] = ()  # to be carried with the recipient's copy
    tlp: TLP | None = None  # the label the recipient's copy is handled under
    denials: tuple[str, ...] = field(default=())  # every rule that failed, most restrictive first


COND_H0 = "H0: use only to prevent and combat crime, within the applicable law"
COND_H1 = "H1: not for judicial proceedings without the provider's permission"
COND_H2 = "H2: not to be passed on without the provider's permission"
COND_TLP = {
    TLP.AMBER_STRICT: "TLP:AMBER+STRICT: the recipient organisation only; not to be passed on",
    TLP.AMBER: "TLP:AMBER: the recipient organisation and its clients, on a need-to-know basis",
    TLP.GREEN: "TLP:GREEN: within the community; not public",
}
COND_RELEASED = (
    "TLP:RED handling: released victim record; the named recipient only, not to be passed on"
)


def decide(
    record: Envelope | Record,
    *,
    sender: str,
    recipient: str,
    purpose: PurposeArea | str,
    consent: Consent | None,
    supervisor_release: Release | None,
    onward: bool,
    record_id: str | None = None,
) -> Decision:
    """Decide whether `record` may go from `sender` to `recipient` for `purpose`.

    Pass a Record, or an Envelope together with `record_id`: consent and releases name a record,
    and without its id they cannot be checked, so they are ignored (fail closed).
    """
    env = record.envelope if isinstance(record, Record) else record
    rid = record.id if isinstance(record, Record) else record_id
    purpose = PurposeArea(purpose)
    onward = onward or sender != env.agency
    if sender == recipient:
        return _deny([("recipient", "the recipient is the sender itself")], env.tlp)

    consent_ok, consent_note = _consent_check(consent, env, rid, sender, recipient, purpose)
    denials: list[tuple[str, str]] = []
    conditions: list[str] = []
    tlp = env.tlp

    if env.is_victim or not env.is_shareable:
        problem = _release_problem(supervisor_release, rid, recipient)
        if problem:
            denials.append(("victim", problem))
        elif onward:
            denials.append(("victim", "a released victim record goes to the named recipients "
                            "only and is never passed on"))
        tlp = TLP.RED
        conditions.append(COND_RELEASED)
    elif env.tlp is TLP.RED:
        denials.append(("tlp", "TLP:RED is for named-recipient briefings only, never a share "
                        "package to another agency"))
    else:
        if env.tlp in (TLP.AMBER_STRICT, TLP.AMBER) and onward and not consent_ok:
            denials.append(("tlp", f"TLP:{env.tlp} may not be passed on beyond the recipient "
                            f"organisation without the provider's consent{consent_note}"))
        if env.tlp in COND_TLP:
            conditions.append(COND_TLP[env.tlp])

    if purpose != env.purpose and not consent_ok:
        denials.append(("purpose", f"purpose limitation (Directive 2016/680 Art. 4(1)(b)): the "
                        f"record was collected for {env.purpose}, not {purpose}{consent_note}"))

    code = env.handling_code
    if code is HandlingCode.H0:
        conditions.append(COND_H0)
    elif code is HandlingCode.H1:
        conditions.append(COND_H1)
    elif code is HandlingCode.H2:
        conditions.append(COND_H2)
    else:
        conditions.append(f"H3: {env.handling_restriction}")
    if code in (HandlingCode.H2, HandlingCode.H3) and onward and not consent_ok:
        denials.append((str(code), f"{code}: not to be passed on without the provider's "
                        f"consent{consent_note}"))

    if denials:
        return _deny(denials, tlp)
    used = " with the provider's consent" if consent_ok else ""
    return Decision(
        allowed=True,
        reason=f"allowed{used}: TLP:{env.tlp}, {code}, purpose {purpose}"
        + (", released by a supervisor" if tlp is TLP.RED else ""),
        rule="allowed",
        conditions=tuple(conditions),
        tlp=tlp,
    )


def _deny(denials: list[tuple[str, str]], tlp: TLP) -> Decision:
    return Decision(
        allowed=False,
        reason="; ".join(text for _, text in denials),
        rule=denials[0][0],
        tlp=tlp,
        denials=tuple(rule for rule, _ in denials),
    )


def _consent_check(
    consent: Consent | None,
    env: Envelope,
    rid: str | None,
    sender: str,
    recipient: str,
    purpose: PurposeArea,
) -> tuple[bool, str]:
    """(counts, note for the reason): a consent that does not fit is ignored, and said so."""
    if consent is None:
        return False, ""
    req = consent.request
    problem = (
        "it was refused" if not consent.granted
        else "the record id is unknown to the rules" if rid is None
        else "it is for another record" if req.record_id != rid
        else f"it was not given by the provider {env.agency}" if req.provider != env.agency
        else f"it is for recipient {req.recipient}" if req.recipient != recipient
        else f"it is for purpose {req.purpose}" if req.purpose != purpose
        else f"it was asked by {req.requester}" if req.requester not in (sender, recipient)
        else ""
    )
    return (False, f" (consent does not count: {problem})") if problem else (True, "")


def _release_problem(release: Release | None, rid: str | None, recipient: str) -> str:
    base = "victim or not-shareable record: never shared without a supervisor's release"
    if release is None:
        return base
    if rid is None or release.record_id != rid:
        return f"{base} (the release is for another record)"
    if not release.supervisor.strip() or not release.justification.strip():
        return f"{base} (the release lacks a supervisor or a justification)"
    if recipient not in release.recipients:
        return f"{base} (the release does not name {recipient})"
    return ""
