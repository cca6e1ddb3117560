"""The parsed form of a person's name and the word orders a record can come in."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Layout(Enum):
    """Word order of a full-name string; a hint for the parser and a record of what it used.

    GIVEN_FIRST:    "José Luis Hernández García" (given names, paternal, maternal).
    SURNAMES_FIRST: "HERNÁNDEZ GARCÍA JOSÉ LUIS" (police and registry style) and every comma
                    form "Hernández García, José Luis".
    US:             "first [middle...] last" as US systems store a Hispanic name: the last word
                    is the paternal surname and a surname among the middle words is the maternal
                    one ("Jose Luis Garcia Hernandez" -> paternal Hernandez, maternal Garcia).
    """

    GIVEN_FIRST = "given_first"
    SURNAMES_FIRST = "surnames_first"
    US = "us"


@dataclass(frozen=True, slots=True)
class PersonName:
    """A person's name split into its Spanish-naming parts, as written (case and accents kept).

    given:       given names in order; a devotional complement stays one element
                 ("María", "de los Ángeles"); initials are kept ("L.").
    paternal:    first (paternal) surname with its particle ("de la Cruz"), or None.
    maternal:    second (maternal) surname, or None (US records often drop it).
    married:     the husband's surname taken on marriage ("López de Hernández" -> "Hernández").
    widowed:     the married surname came with "viuda de" / "vda. de".
    extra_surnames: surname words beyond paternal and maternal (rare compound surnames).
    particles:   normalised particles seen in the surnames ("de la", "del").
    aliases:     aliases and monikers as written ("El Flaco"); weak evidence, see moniker_weight.
    is_moniker_only: the record carries only a moniker, no name.
    layout:      the word order the parser used.
    raw:         the input text (for parse_name_parts: the fields joined with " | ").
    """

    given: tuple[str, ...] = ()
    paternal: str | None = None
    maternal: str | None = None
    married: str | None = None
    widowed: bool = False
    extra_surnames: tuple[str, ...] = ()
    particles: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    is_moniker_only: bool = False
    layout: Layout = Layout.GIVEN_FIRST
    raw: str = ""

    @property
    def surnames(self) -> tuple[str, ...]:
        """Every surname in order: paternal, maternal, extra, married."""
        parts = (self.paternal, self.maternal, *self.extra_surnames, self.married)
        return tuple(p for p in parts if p)

    @property
    def is_empty(self) -> bool:
        """No name and no alias: a placeholder such as "N.N." or "DESCONOCIDO"."""
        return not (self.given or self.surnames or self.aliases)
