"""The Fellegi-Sunter model: cruce's comparisons over its standardised features, for Splink.

Splink estimates every m/u probability, the term frequencies and the clusters; cruce decides
which evidence exists (levels ordered from strongest to weakest) and which pairs are worth
comparing at all (blocking).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule
from splink.internals.blocking_rule_creator import BlockingRuleCreator

# All sources together: links across sources and duplicates within each.
LINK_TYPE: Literal["dedupe_only"] = "dedupe_only"


def _given() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="given_name",
        comparison_levels=[
            cll.NullLevel("given1"),
            cll.ExactMatchLevel("given1", term_frequency_adjustments=True).configure(
                label_for_charts="same given name"
            ),
            cll.ExactMatchLevel("given1_canonical").configure(
                label_for_charts="same given name (nickname or formal)"
            ),
            cll.ExactMatchLevel("given1_phonetic").configure(
                label_for_charts="given names sound alike"
            ),
            cll.JaroWinklerLevel("given1", 0.88),
            cll.ArrayIntersectLevel("given_canonical_all", 1).configure(
                label_for_charts="a given name in common"
            ),
            cll.ElseLevel(),
        ],
    )


def _surnames() -> cl.CustomComparison:
    crossed = '("surname1_l" = "surname2_r" OR "surname2_l" = "surname1_r")'
    return cl.CustomComparison(
        output_column_name="surnames",
        comparison_levels=[
            cll.NullLevel("surname1"),
            cll.And(cll.ExactMatchLevel("surname1"), cll.ExactMatchLevel("surname2")).configure(
                label_for_charts="both surnames equal"
            ),
            cll.And(cll.ExactMatchLevel("surname1"), cll.NullLevel("surname2")).configure(
                label_for_charts="paternal equal, maternal missing"
            ),
            cll.CustomLevel(crossed, base_dialect_str="duckdb").configure(
                label_for_charts="surnames in swapped places"
            ),
            cll.ExactMatchLevel("surname1", term_frequency_adjustments=True).configure(
                label_for_charts="paternal equal, maternal differs"
            ),
            cll.ExactMatchLevel("surname1_phonetic").configure(
                label_for_charts="paternal surnames sound alike"
            ),
            cll.JaroWinklerLevel("surname1", 0.88),
            cll.ArrayIntersectLevel("surname_all", 1).configure(
                label_for_charts="a surname in common"
            ),
            cll.ElseLevel(),
        ],
    )


def _birth_date() -> cl.CustomComparison:
    years = 'abs(CAST("dob_year_l" AS INTEGER) - CAST("dob_year_r" AS INTEGER)) <= 2'
    return cl.CustomComparison(
        output_column_name="birth_date",
        comparison_levels=[
            cll.NullLevel("dob_year"),
            cll.ExactMatchLevel("dob_exact").configure(label_for_charts="same birth date"),
            cll.CustomLevel('"dob_l" = "dob_swapped_r"', base_dialect_str="duckdb").configure(
                label_for_charts="day and month swapped"
            ),
            cll.ExactMatchLevel("dob").configure(
                label_for_charts="same 1 January (often estimated)"
            ),
            cll.DamerauLevenshteinLevel("dob", 1).configure(label_for_charts="one digit apart"),
            cll.ExactMatchLevel("dob_ym").configure(label_for_charts="same year and month"),
            cll.ExactMatchLevel("dob_year").configure(label_for_charts="same year"),
            cll.CustomLevel(years, base_dialect_str="duckdb").configure(
                label_for_charts="within two years"
            ),
            cll.ElseLevel(),
        ],
    )


def _array(name: str, column: str, label: str, m_agree: float) -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name=name,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ArrayIntersectLevel(column, 1).configure(
                label_for_charts=label, m_probability=m_agree
            ),
            cll.ElseLevel().configure(m_probability=1 - m_agree),
        ],
    )


def _documents() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="documents",
        comparison_levels=[
            cll.NullLevel("documents"),
            cll.ArrayIntersectLevel("documents", 1).configure(
                label_for_charts="a document number equal"
            ),
            cll.DamerauLevenshteinLevel("doc1", 1).configure(
                label_for_charts="document numbers one edit apart"
            ),
            cll.ElseLevel(),
        ],
    )


def _place() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="birth_place",
        comparison_levels=[
            cll.NullLevel("birth_place"),
            cll.ExactMatchLevel("birth_place", term_frequency_adjustments=True).configure(
                label_for_charts="same birth place"
            ),
            cll.JaroWinklerLevel("birth_place", 0.9),
            cll.ElseLevel(),
        ],
    )


def _gender() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="gender",
        comparison_levels=[
            cll.NullLevel("gender"),
            cll.ExactMatchLevel("gender").configure(m_probability=0.98),
            cll.ElseLevel().configure(m_probability=0.02),
        ],
    )


def _aliases() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="aliases",
        comparison_levels=[
            cll.NullLevel("aliases_rare"),
            cll.ArrayIntersectLevel("aliases_rare", 1).configure(
                label_for_charts="an uncommon alias in common", m_probability=0.4
            ),
            cll.ElseLevel().configure(m_probability=0.6),
        ],
    )


def blocking_rules() -> list[BlockingRuleCreator | dict[str, Any]]:
    """Which pairs are compared: each rule must catch true pairs the others miss."""
    return [
        block_on("surname1_phonetic", "given1_phonetic", "dob_year"),
        block_on("surname1_phonetic", "given1_canonical", "surname2_phonetic"),
        block_on("dob", "surname1_phonetic"),
        block_on("dob", "given1_canonical"),
        CustomRule(
            "l.dob = r.dob_swapped AND l.given1_canonical = r.given1_canonical",
            sql_dialect="duckdb",
        ),
        CustomRule(
            # Surnames in swapped places: alone this compares 88M pairs at 635k records.
            "l.surname1 = r.surname2 AND l.given1_canonical = r.given1_canonical "
            "AND l.dob_year = r.dob_year",
            sql_dialect="duckdb",
        ),
        CustomRule(
            # Given name and surname entered in each other's fields.
            "l.given1 = r.surname1 AND l.surname1 = r.given1", sql_dialect="duckdb"
        ),
        block_on("documents", arrays_to_explode=["documents"]),
        block_on("phones", arrays_to_explode=["phones"]),
    ]


# Wider rules catch pairs with errors in both the name and the date, at a cost that grows with
# the square of the data: each is used only while its comparisons stay within the budget.
WIDE_RULES: tuple[tuple[str, ...], ...] = (
    ("dob",),
    ("surname1_phonetic", "given1_phonetic"),
    ("given1_phonetic", "birth_place"),
    ("surname1_phonetic", "birth_place"),
    ("dob_ym", "given1_phonetic"),
    ("dob_ym", "surname1_phonetic"),
)
WIDE_BUDGET_PER_RECORD = 8


def settings(wide: Sequence[tuple[str, ...]] = ()) -> SettingsCreator:
    """The model settings (untrained), with the wide blocking rules the data can afford."""
    return SettingsCreator(
        link_type=LINK_TYPE,
        unique_id_column_name="unique_id",
        comparisons=[
            _given(),
            _surnames(),
            _birth_date(),
            _documents(),
            _array("phones", "phones", "a phone number in common", 0.6),
            _array("nationality", "nationality", "a nationality in common", 0.95),
            _gender(),
            _place(),
            _aliases(),
        ],
        blocking_rules_to_generate_predictions=[
            *blocking_rules(),
            *(block_on(*columns) for columns in wide),
        ],
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
        additional_columns_to_retain=["source"],
        max_iterations=25,
    )


# Small categorical comparisons whose m probabilities are set from domain knowledge (above)
# rather than estimated: on a few thousand records EM drives their rare levels to zero.
FIXED_M = ["phones", "nationality", "gender", "aliases"]
