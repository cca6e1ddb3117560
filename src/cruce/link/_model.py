"""The Fellegi-Sunter model for Splink: cruce's comparisons (link/_comparisons.py), blocking.

Splink estimates every m/u probability, the term frequencies and the clusters; cruce decides
which evidence exists (levels ordered from strongest to weakest) and which pairs are worth
comparing at all (blocking).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Literal

from splink import SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule
from splink.internals.blocking_rule_creator import BlockingRuleCreator

from cruce.link._comparisons import GENERATION_APART_M, YEARS_APART_M, comparisons

# The comparisons live in link/_comparisons.py; these names stay here for the model's callers.
__all__ = ["GENERATION_APART_M", "YEARS_APART_M", "comparisons"]

# All sources together: links across sources and duplicates within each.
LINK_TYPE: Literal["dedupe_only"] = "dedupe_only"


def _equal(*columns: str) -> tuple[frozenset[str], BlockingRuleCreator]:
    return frozenset(columns), block_on(*columns)


def _custom(equal: tuple[str, ...], sql: str) -> tuple[frozenset[str], BlockingRuleCreator]:
    """A rule in SQL; `equal` names the columns it requires equal on both sides."""
    return frozenset(equal), CustomRule(sql, sql_dialect="duckdb")


# Which pairs are compared: each rule must catch true pairs the others miss. With each rule the
# columns it requires equal on both sides, so that a wider rule in use makes it redundant.
BASE_RULES: tuple[tuple[frozenset[str], BlockingRuleCreator], ...] = (
    _equal("surname1_phonetic", "given1_phonetic", "dob_year"),
    # An estimated year against the real one, and a real day and month under a wrong year.
    _equal("surname1_phonetic", "given1_phonetic", "dob_years_a"),
    _equal("surname1_phonetic", "given1_phonetic", "dob_years_b"),
    _equal("surname1_phonetic", "given1_phonetic", "dob_md"),
    # Names alike and one birth date unknown.
    _custom(("surname1_phonetic", "given1_phonetic"),
            "l.surname1_phonetic = r.surname1_phonetic AND l.given1_phonetic = r.given1_phonetic "
            "AND (l.dob_year IS NULL OR r.dob_year IS NULL)"),
    _equal("surname1_phonetic", "given1_phonetic", "given2_initial"),
    # One name misspelt or misread, the rest agreeing.
    _equal("given1_canonical", "dob_year", "surname1_start"),
    _equal("given1_phonetic", "dob_year", "given2"),
    _equal("surname1_phonetic", "dob_year", "surname2_phonetic"),
    _equal("surname1_phonetic", "surname2_phonetic", "given2"),
    _equal("given1_phonetic", "surname2_phonetic", "given2"),
    _equal("surname1_phonetic", "given1_canonical", "surname2_phonetic"),
    _equal("dob", "surname1_phonetic"),
    _equal("dob", "given1_canonical"),
    _custom((), "l.dob = r.dob_swapped AND l.given1_canonical = r.given1_canonical"),
    # Surnames in swapped places: alone this compares 88M pairs at 635k records.
    _custom(("given1_canonical", "dob_year"), "l.surname1 = r.surname2 AND "
            "l.given1_canonical = r.given1_canonical AND l.dob_year = r.dob_year"),
    # A married woman under her husband's surname in one record, her own in the other.
    _custom(("given1_canonical",), "l.surname_married = r.surname1 AND "
            "l.given1_canonical = r.given1_canonical"),
    _custom(("given1_canonical",), "l.surname1 = r.surname_married AND "
            "l.given1_canonical = r.given1_canonical"),
    # Given name and surname entered in each other's fields.
    _custom((), "l.given1 = r.surname1 AND l.surname1 = r.given1"),
    # The same, one of the two misspelt: one side of the swap and the birth date agree.
    _custom(("dob",), "l.given1 = r.surname1 AND l.dob = r.dob"),
    _custom(("dob",), "l.surname1 = r.given1 AND l.dob = r.dob"),
    (frozenset({"documents"}), block_on("documents", arrays_to_explode=["documents"])),
    (frozenset({"phones"}), block_on("phones", arrays_to_explode=["phones"])),
)


def blocking_rules(
    wide: Sequence[tuple[str, ...]] = (), absent_columns: Collection[str] = ()
) -> list[BlockingRuleCreator | dict[str, Any]]:
    """The base rules, less those a wide rule in use already covers (its columns all among
    theirs) and those on a column no record carries, then the wide rules."""
    kept = [
        rule for equal, rule in BASE_RULES
        if not any(set(w) <= equal for w in wide) and not equal & set(absent_columns)
    ]
    return [*kept, *(wide_rule(columns) for columns in wide)]


# Wider rules catch pairs with errors in both the name and the date, at a cost that grows with
# the square of the data: each is used only while its comparisons stay within the budget.
WIDE_RULES: tuple[tuple[str, ...], ...] = (
    ("dob",),
    ("surname1_phonetic", "given1_phonetic"),
    ("given1_phonetic", "birth_place"),
    ("surname1_phonetic", "birth_place"),
    ("dob_ym", "given1_phonetic"),
    ("dob_ym", "surname1_phonetic"),
    ("address_norm",),
    ("address_number", "surname1_phonetic"),
    ("address_number", "given1_phonetic"),
    ("address_numbers",),
)
# List columns: a wide rule on one pairs records sharing any of its values.
LIST_COLUMNS = frozenset({"address_numbers"})


def wide_rule(columns: Sequence[str]) -> BlockingRuleCreator:
    lists = [c for c in columns if c in LIST_COLUMNS]
    return block_on(*columns, arrays_to_explode=lists) if lists else block_on(*columns)
WIDE_BUDGET_PER_RECORD = 8


# The feature column whose absence (null) makes each comparison's null level.
PRESENCE = {
    "given_name": "given1",
    "second_given_name": "given2",
    "surnames": "surname1",
    "birth_date": "dob_year",
    "documents": "documents",
    "phones": "phones",
    "nationality": "nationality",
    "gender": "gender",
    "birth_place": "birth_place",
    "address": "address_norm",
    "aliases": "aliases_rare",
}


def settings(
    wide: Sequence[tuple[str, ...]] = (), absent: Collection[str] = ()
) -> SettingsCreator:
    """The model settings (untrained), with the wide blocking rules the data can afford and
    without the comparisons in `absent` (a property no record carries is no evidence)."""
    return SettingsCreator(
        link_type=LINK_TYPE,
        unique_id_column_name="unique_id",
        comparisons=[c for c in comparisons() if c.create_output_column_name() not in absent],
        blocking_rules_to_generate_predictions=blocking_rules(
            wide, [PRESENCE[name] for name in absent]
        ),
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
        additional_columns_to_retain=["source"],
        max_iterations=25,
    )


# Small categorical comparisons whose m probabilities are set from domain knowledge (above,
# fix_m_probability) rather than estimated: on a few thousand records EM drives their rare
# levels to zero. EM still reads them as evidence while it estimates the others.
FIXED_M = ["phones", "nationality", "gender", "aliases"]
