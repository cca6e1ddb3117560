"""cruce's comparisons over its standardised features: which evidence exists for each field,
levels ordered from strongest to weakest. Splink estimates their m/u probabilities."""

from __future__ import annotations

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink.internals.comparison_level_creator import ComparisonLevelCreator
from splink.internals.dialects import SplinkDialect


class _Level(ComparisonLevelCreator):
    """A level written once for every backend: `{jw}` and `{dl}` stand for the dialect's
    Jaro-Winkler similarity and Damerau-Levenshtein distance functions."""

    def __init__(self, template: str, label: str) -> None:
        self.template = template
        self.label = label

    def create_sql(self, sql_dialect: SplinkDialect) -> str:
        return self.template.format(
            jw=sql_dialect.jaro_winkler_function_name,
            dl=sql_dialect.damerau_levenshtein_function_name,
        )

    def create_label_for_charts(self) -> str:
        return self.label


# Given name and surname entered in each other's fields, one of the two possibly misspelt. Only
# the given-name comparison credits it: the surname comparison of such a pair disagrees.
_SWAPPED = _Level(
    '("given1_l" = "surname1_r" AND {jw}("surname1_l", "given1_r") >= 0.88) '
    'OR ("given1_r" = "surname1_l" AND {jw}("surname1_r", "given1_l") >= 0.88)',
    "given name and surname in each other's fields",
)


def _within_edits(column: str, edits: int, ends: int, label: str) -> _Level:
    """At most `edits` edits apart. The edit distance is costly and nearly every random pair
    differs at both ends, so it is computed only when the first or last `ends` characters
    agree (which a single edit of a string longer than 2 * `ends` always leaves)."""
    l_, r_ = f'"{column}_l"', f'"{column}_r"'
    guard = f"left({l_}, {ends}) = left({r_}, {ends}) OR right({l_}, {ends}) = right({r_}, {ends})"
    return _Level(
        f"CASE WHEN abs(length({l_}) - length({r_})) <= {edits} AND ({guard}) "
        f"THEN {{dl}}({l_}, {r_}) <= {edits} ELSE FALSE END",
        label,
    )


def _misspelt(column: str, label: str) -> _Level:
    """One edit apart, or two in names of seven letters or more (two edits make many short
    names alike: 'ruiz' and 'diaz')."""
    l_, r_ = f'"{column}_l"', f'"{column}_r"'
    one = _within_edits(column, 1, 1, label).template
    two = _within_edits(column, 2, 2, label).template
    return _Level(f"({one}) OR (least(length({l_}), length({r_})) >= 7 AND ({two}))", label)


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
            # One letter mistyped or misread in a short name ('guan' / 'juan', 'lvis' / 'luis'):
            # Jaro-Winkler puts a four-letter name with one wrong letter at 0.83.
            _within_edits("given1", 1, 1, "given names one edit apart"),
            _SWAPPED,
            cll.ArrayIntersectLevel("given_canonical_all", 1).configure(
                label_for_charts="a given name in common"
            ),
            cll.ElseLevel(),
        ],
    )


def _second_given() -> cl.CustomComparison:
    """A second given name that disagrees tells siblings and namesakes apart (`José Luis` and
    `José Carlos` under the same surnames); one dropped or cut to an initial says nothing."""
    initial = ('((length("given2_l") = 1 OR length("given2_r") = 1) '
               'AND left("given2_l", 1) = left("given2_r", 1))')
    elsewhere = ('(list_contains("given_all_r", "given2_l") '
                 'OR list_contains("given_all_l", "given2_r"))')
    return cl.CustomComparison(
        output_column_name="second_given_name",
        comparison_levels=[
            cll.NullLevel("given2"),
            cll.ExactMatchLevel("given2", term_frequency_adjustments=True).configure(
                label_for_charts="same second given name"
            ),
            cll.CustomLevel(initial, base_dialect_str="duckdb").configure(
                label_for_charts="an initial that fits"
            ),
            cll.JaroWinklerLevel("given2", 0.88),
            _within_edits("given2", 1, 1, "second given names one edit apart"),
            # Counted by the given-name comparison ("a given name in common").
            _implied(elsewhere, "given names in another order"),
            cll.ElseLevel().configure(label_for_charts="second given names differ"),
        ],
    )


# A given name of one record parsed as the other's maternal surname, or the maternal surname
# moved into the given names ("LOPEZ, CARLOS ABARCA"): not the other maternal surname of a
# cousin.
_MATERNAL_AS_GIVEN = cll.CustomLevel(
    'list_contains("given_all_l", "surname2_r") OR list_contains("given_all_r", "surname2_l")',
    base_dialect_str="duckdb",
)


def _surnames() -> cl.CustomComparison:
    crossed = '("surname1_l" = "surname2_r" OR "surname2_l" = "surname1_r")'
    married = '("surname1_l" = "surname_married_r" OR "surname_married_l" = "surname1_r")'
    return cl.CustomComparison(
        output_column_name="surnames",
        comparison_levels=[
            cll.NullLevel("surname1"),
            # Weighed by how common the surnames are in the record's country (siblings and
            # namesakes share common ones).
            cll.And(cll.ExactMatchLevel("surname1"), cll.ExactMatchLevel("surname2")).configure(
                label_for_charts="both surnames equal",
                tf_adjustment_column="surnames_in_country", tf_adjustment_weight=1.0,
                disable_tf_exact_match_detection=True,
            ),
            # Most US-layout records keep one surname: how common it is (by record and
            # country) tells a namesake from the person (evalworld 20k seed 1: F1 0.9263
            # untouched, 0.9281 weighed; febrl3 and febrl4 no lower).
            cll.And(cll.ExactMatchLevel("surname1"), cll.NullLevel("surname2")).configure(
                label_for_charts="paternal equal, maternal missing",
                tf_adjustment_column="surname1_in_country", tf_adjustment_weight=1.0,
                disable_tf_exact_match_detection=True,
            ),
            cll.CustomLevel(crossed, base_dialect_str="duckdb").configure(
                label_for_charts="surnames in swapped places"
            ),
            cll.And(cll.ExactMatchLevel("surname1"), cll.JaroWinklerLevel("surname2", 0.88))
            .configure(label_for_charts="paternal equal, maternal misspelt"),
            cll.And(cll.ExactMatchLevel("surname1"), _MATERNAL_AS_GIVEN).configure(
                label_for_charts="paternal equal, a maternal surname among the given names",
            ),
            cll.ExactMatchLevel("surname1").configure(
                label_for_charts="paternal equal, maternal differs",
            ),
            # The other way round: the maternal surname confirms a misspelt paternal one ('Lopes
            # Aguilar' / 'Lopez Aguilar'), which alone would only sound alike.
            cll.And(
                cll.Or(cll.ExactMatchLevel("surname1_phonetic"),
                       cll.JaroWinklerLevel("surname1", 0.88),
                       _misspelt("surname1", "paternal surnames one or two edits apart")),
                cll.ExactMatchLevel("surname2"),
            ).configure(label_for_charts="paternal misspelt, maternal equal"),
            cll.ExactMatchLevel("surname1_phonetic").configure(
                label_for_charts="paternal surnames sound alike"
            ),
            cll.JaroWinklerLevel("surname1", 0.88),
            # Misread letters ('hemandez' / 'hernandez': 'rn' read as 'm', Jaro-Winkler 0.87).
            _misspelt("surname1", "paternal surnames one or two edits apart"),
            # A married woman recorded under her husband's surname alone.
            cll.CustomLevel(married, base_dialect_str="duckdb").configure(
                label_for_charts="one under her husband's surname"
            ),
            cll.ArrayIntersectLevel("surname_all", 1).configure(
                label_for_charts="a surname in common"
            ),
            cll.ElseLevel(),
        ],
    )


YEARS_APART_M = 0.01
GENERATION_APART_M = 0.003


def _birth_date() -> cl.CustomComparison:
    """Dates agree exactly, by a typing error, by a day/month swap (MM/DD against DD/MM), or
    as an estimate (1 January, year only) does; dates years apart are evidence against,
    most of all a generation apart (a father and his namesake son)."""
    gap = 'abs(CAST("dob_year_l" AS INTEGER) - CAST("dob_year_r" AS INTEGER))'
    estimated = '("dob_exact_l" IS NULL OR "dob_exact_r" IS NULL)'
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
            # ISO dates: one typing error leaves either the year or the month and day intact.
            _Level(
                'CASE WHEN substr("dob_l", 1, 4) = substr("dob_r", 1, 4) '
                'OR substr("dob_l", 6, 5) = substr("dob_r", 6, 5) '
                'THEN {dl}("dob_l", "dob_r") <= 1 ELSE FALSE END',
                "one digit apart",
            ),
            # An estimated date (1 January, year only) agrees with the real one as far as it
            # goes; two real dates of one year that differ beyond a typing error are most often
            # two people (evalworld 20k seed 1, the tuning world: same year, one estimated, 3,612
            # true pairs of 6,379; both real, 17 of 7,884).
            cll.And(cll.ExactMatchLevel("dob_ym"), cll.CustomLevel(estimated)).configure(
                label_for_charts="same year and month, one date estimated"
            ),
            cll.ExactMatchLevel("dob_ym").configure(label_for_charts="same year and month"),
            cll.ExactMatchLevel("dob_md").configure(
                label_for_charts="same day and month, another year"
            ),
            cll.And(cll.ExactMatchLevel("dob_year"), cll.CustomLevel(estimated)).configure(
                label_for_charts="same year, one date estimated"
            ),
            cll.ExactMatchLevel("dob_year").configure(label_for_charts="same year, dates differ"),
            cll.CustomLevel(f"{estimated} AND {gap} <= 1", base_dialect_str="duckdb").configure(
                label_for_charts="an estimated date a year off"
            ),
            cll.CustomLevel(f"{gap} <= 2", base_dialect_str="duckdb").configure(
                label_for_charts="within two years"
            ),
            # Fixed from domain knowledge: EM takes relatives (siblings, a father and his
            # namesake son) for matches and so learns dates years apart as usual in a match.
            # The levels above keep typing errors and estimates out of these two; Febrl's
            # wholly corrupted dates are why the m is not smaller (evalworld 20k seed 1, the
            # tuning world: F1 0.911 with EM's m, 0.923 with these, 0.925 with 0.003 / 0.001;
            # febrl4 without SSN 0.9918 / 0.9905 / 0.9890).
            cll.CustomLevel(f"{gap} <= 12", base_dialect_str="duckdb").configure(
                label_for_charts="years apart", m_probability=YEARS_APART_M,
                fix_m_probability=True,
            ),
            cll.ElseLevel().configure(
                label_for_charts="a generation apart", m_probability=GENERATION_APART_M,
                fix_m_probability=True,
            ),
        ],
    )


def _array(name: str, column: str, label: str, m_agree: float) -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name=name,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ArrayIntersectLevel(column, 1).configure(
                label_for_charts=label, m_probability=m_agree,
                fix_m_probability=True,
            ),
            cll.ElseLevel().configure(m_probability=1 - m_agree, fix_m_probability=True),
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
            _within_edits("doc1", 1, 2, "document numbers one edit apart"),
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
            _implied('"birth_country_l" IS NOT NULL OR "birth_country_r" IS NOT NULL',
                     "one names only the country"),
            cll.ElseLevel(),
        ],
    )


def _address() -> cl.CustomComparison:
    """Where a person lives: typed by hand, in any order and with parts missing, so beyond the
    exact address the evidence is how many of its words (street, number, district, town) agree;
    EM weighs each level, random pairs say how common it is by chance."""
    return cl.CustomComparison(
        output_column_name="address",
        comparison_levels=[
            cll.NullLevel("address_norm"),
            cll.ExactMatchLevel("address_norm", term_frequency_adjustments=True).configure(
                label_for_charts="same address"
            ),
            _within_edits("address_norm", 2, 3, "address one or two typing errors apart"),
            cll.ArrayIntersectLevel("address_tokens", 3).configure(
                label_for_charts="three or more address words in common"
            ),
            cll.ArrayIntersectLevel("address_tokens", 2).configure(
                label_for_charts="two address words in common"
            ),
            cll.ArrayIntersectLevel("address_tokens", 1).configure(
                label_for_charts="one address word in common"
            ),
            cll.ElseLevel(),
        ],
    )


def _implied(condition: str, label: str) -> ComparisonLevelCreator:
    """A level of no weight (m = u): agreement another comparison has already counted."""
    return cll.CustomLevel(condition, base_dialect_str="duckdb").configure(
        label_for_charts=label, m_probability=0.5, u_probability=0.5, fix_m_probability=True,
        fix_u_probability=True,
    )


def _nationality() -> cl.CustomComparison:
    """Born in the same place, two records share the nationality as a matter of course: only
    when the birth places differ or are unknown does a common nationality add evidence.
    Nationalities are ISO2 codes whichever way a record wrote them (_countries)."""
    return cl.CustomComparison(
        output_column_name="nationality",
        comparison_levels=[
            cll.NullLevel("nationality"),
            _implied('"birth_place_l" = "birth_place_r"',
                     "same birth place (the nationality follows)"),
            cll.ArrayIntersectLevel("nationality", 1).configure(
                label_for_charts="a nationality in common", m_probability=0.8,
                fix_m_probability=True,
            ),
            # Weak evidence against: people claim a neighbour's nationality at borders, and
            # clerks map demonyms and ISO3 codes to the wrong country.
            cll.ElseLevel().configure(m_probability=0.2, fix_m_probability=True),
        ],
    )


def _gender() -> cl.CustomComparison:
    """With the same given name the same gender goes without saying (the name tells it)."""
    return cl.CustomComparison(
        output_column_name="gender",
        comparison_levels=[
            cll.NullLevel("gender"),
            _implied('"given1_l" = "given1_r" AND "gender_l" = "gender_r"',
                     "same given name (the gender follows)"),
            cll.ExactMatchLevel("gender").configure(m_probability=0.98, fix_m_probability=True),
            cll.ElseLevel().configure(m_probability=0.02, fix_m_probability=True),
        ],
    )


def _aliases() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="aliases",
        comparison_levels=[
            cll.NullLevel("aliases_rare"),
            cll.ArrayIntersectLevel("aliases_rare", 1).configure(
                label_for_charts="an uncommon alias in common", m_probability=0.4,
                fix_m_probability=True,
            ),
            cll.ElseLevel().configure(m_probability=0.6, fix_m_probability=True),
        ],
    )


def comparisons() -> list[cl.CustomComparison]:
    """Every comparison cruce knows, strongest evidence first within each."""
    return [
        _given(),
        _second_given(),
        _surnames(),
        _birth_date(),
        _documents(),
        _array("phones", "phones", "a phone number in common", 0.6),
        _nationality(),
        _gender(),
        _place(),
        _address(),
        _aliases(),
    ]
