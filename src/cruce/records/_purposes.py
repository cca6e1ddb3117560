"""Purpose limitation at consultation: which records a stated purpose may read.

Directive 2016/680 Art. 4(1)(b): personal data are collected for specified, explicit and
legitimate purposes and not processed in a way incompatible with them. Art. 4(2): processing by
the same or another controller for another of the Directive's purposes (Art. 1(1)) is permitted
only where it is authorised by law and necessary and proportionate to that other purpose. Art.
4(1)(b) is also the rule `share._rules.decide` applies to disclosures, strictly (same purpose or
the provider's consent); a consultation inside the node applies the compact's table below.

The purposes are the compact's four areas of collaboration (`PurposeArea`). A consultation
states one; it reads only records whose purpose area is compatible with it:

    stated purpose \\ record's purpose   trafficking  gangs   intelligence  border
    trafficking_smuggling               yes          yes     -             yes
    gangs_organized_crime               yes          yes     -             -
    intelligence                        -            -       yes           -
    border_security                     yes          -       -             yes

Why each "yes" off the diagonal (Art. 4(2): the law authorising it, and why it is necessary):

- trafficking_smuggling <-> gangs_organized_crime: the UN Convention against Transnational
  Organized Crime (Palermo, 2000) and its Trafficking (Art. 1) and Migrant Smuggling (Art. 1)
  Protocols make trafficking and smuggling offences of organised criminal groups; an
  investigation into one needs the other's records of the same groups and people.
- trafficking_smuggling <-> border_security: the Migrant Smuggling Protocol (Art. 11) and the
  Trafficking Protocol (Art. 11) require border measures to detect both; border records of
  crossings are the evidence of the routes, and the routes are what border checks look for.

Every "-" is refused, in both directions where the table is not symmetric by design:

- gangs_organized_crime <-> border_security: the compact's border checks are for crossings and
  smuggling, not for gang intelligence (issue 10 #10: a border search of gang records).
- intelligence is read for intelligence only, and reads nothing else: criminal-intelligence
  holdings are collected on lower thresholds of suspicion and are the most sensitive; operational
  areas ask their provider (a consent, as for a disclosure) instead. Strategic analysis over the
  other areas uses aggregate counts (`cruce stats`), which read no record.

A record with no purpose, or a stated purpose outside the four areas, is compatible with
nothing. `compatible` is pure; `tests/security/test_purposes.py` checks the whole matrix against
the table as written here.
"""

from __future__ import annotations

from cruce.records._vocab import PurposeArea

_T = PurposeArea.TRAFFICKING_SMUGGLING
_G = PurposeArea.GANGS_ORGANIZED_CRIME
_I = PurposeArea.INTELLIGENCE
_B = PurposeArea.BORDER_SECURITY

# stated purpose -> the records' purposes it may read (the table above, row by row)
READABLE: dict[PurposeArea, frozenset[PurposeArea]] = {
    _T: frozenset({_T, _G, _B}),
    _G: frozenset({_G, _T}),
    _I: frozenset({_I}),
    _B: frozenset({_B, _T}),
}


def compatible(stated: str, record_purpose: str | None) -> bool:
    """May a consultation stated for `stated` read a record collected for `record_purpose`?

    >>> compatible("border_security", "gangs_organized_crime")
    False
    >>> compatible("trafficking_smuggling", "border_security")
    True
    """
    try:
        area = PurposeArea(stated)
        held = PurposeArea(record_purpose) if record_purpose is not None else None
    except ValueError:
        return False
    return held is not None and held in READABLE[area]


def readable(stated: str) -> tuple[str, ...]:
    """The records' purposes a stated purpose may read, sorted (for a store query)."""
    return tuple(sorted(p.value for p in PurposeArea if compatible(stated, p.value)))


__all__ = ["READABLE", "compatible", "readable"]
