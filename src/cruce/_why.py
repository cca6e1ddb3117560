"""A consultation's justification: the purpose area and case reference every read needs.

Kept apart from the Node facade so that commands which only parse their options load nothing
heavy (the command line starts in a fraction of a second).
"""

from __future__ import annotations

from cruce.audit import Justification
from cruce.errors import InvalidInput
from cruce.records._vocab import PurposeArea


def justification(
    purpose: str | None, case_reference: str | None, text: str = "", legal_basis: str = ""
) -> Justification:
    """A consultation's justification; refused without a purpose area and a case reference."""
    if not purpose or not case_reference:
        raise InvalidInput(
            "a consultation needs a justification: give --purpose and --case "
            "(or CRUCE_PURPOSE and CRUCE_CASE)"
        )
    return checked(Justification(purpose, legal_basis, case_reference, text))


def checked(why: Justification) -> Justification:
    allowed = {p.value for p in PurposeArea}
    if why.purpose not in allowed:
        raise InvalidInput(f"purpose {why.purpose!r} is not one of {', '.join(sorted(allowed))}")
    if not why.case_reference.strip():
        raise InvalidInput("a consultation needs a case reference")
    return why
