"""The controlled vocabularies of an envelope (see shared reference: sharing rules)."""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches
from enum import StrEnum


class PurposeArea(StrEnum):
    """The compact's four areas of collaboration; data is used only for the area it came for."""

    TRAFFICKING_SMUGGLING = "trafficking_smuggling"
    GANGS_ORGANIZED_CRIME = "gangs_organized_crime"
    INTELLIGENCE = "intelligence"
    BORDER_SECURITY = "border_security"


class SubjectCategory(StrEnum):
    """Directive 2016/680 Art. 6: categories of data subject are kept apart."""

    SUSPECT = "suspect"
    VICTIM = "victim"
    WITNESS = "witness"
    MIGRANT = "migrant"
    OTHER = "other"
    UNKNOWN = "unknown"


class HandlingCode(StrEnum):
    """Europol SIENA handling codes."""

    H0 = "H0"  # use only to prevent and combat crime
    H1 = "H1"  # not for judicial proceedings without the provider's permission
    H2 = "H2"  # not to be passed on without the provider's permission
    H3 = "H3"  # other restrictions, stated as free text


class TLP(StrEnum):
    """Traffic Light Protocol 2.0 labels, least to most restrictive."""

    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    AMBER_STRICT = "AMBER+STRICT"
    RED = "RED"

    @property
    def rank(self) -> int:
        return list(TLP).index(self)

    @classmethod
    def most_restrictive(cls, *labels: TLP) -> TLP:
        """MISP's rule for nested settings: the most restrictive label wins."""
        return max(labels, key=lambda label: label.rank)


class SourceReliability(StrEnum):
    """Europol evaluation: how reliable the source is."""

    A = "A"  # no doubt about authenticity and reliability
    B = "B"  # proved reliable in most instances
    C = "C"  # proved unreliable in most instances
    X = "X"  # cannot be assessed


class InformationAccuracy(StrEnum):
    """Europol evaluation: how accurate the information is."""

    CONFIRMED = "1"  # accuracy not in doubt
    KNOWN_TO_SOURCE = "2"  # known personally to the source, not to the official
    CORROBORATED = "3"  # not known to the source, corroborated by held information
    UNCORROBORATED = "4"  # not known to the source and not corroborated


def nearest_key(word: str, known: Iterable[str]) -> str:
    """' (did you mean ...?)' for a mistyped key, or '' when nothing is close: a mapping's
    `properites:` or an envelope's `tpl` is refused with the key it was meant to be.

    >>> nearest_key("properites", ["properties", "schema"])
    " (did you mean 'properties'?)"
    """
    close = get_close_matches(str(word), sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
