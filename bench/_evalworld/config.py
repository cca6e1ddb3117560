"""Every phenomenon's rate, in one place (the defaults are the world's reported draw)."""

from __future__ import annotations

from dataclasses import dataclass, field

AGENCIES = ("hn_police", "gt_police", "sv_police", "mx_migration", "us_border")


@dataclass(frozen=True)
class WorldConfig:
    # population: where people were born (US = US-born Hispanic population)
    origin_share: dict[str, float] = field(default_factory=lambda: {
        "HN": 0.27, "GT": 0.27, "SV": 0.18, "MX": 0.20, "US": 0.08})
    # how many agencies a person appears in (1-4)
    agency_count_share: tuple[float, ...] = (0.46, 0.33, 0.15, 0.06)
    second_given_name: float = 0.75          # registered with two given names
    # false-link traps
    sibling: float = 0.14                    # a sibling: both surnames, birthplace, one given name
    sibling_travels_along: float = 0.6       # the sibling shows up in the same agencies
    namesake_son: float = 0.05               # father/son with the same given names
    namesake_same_maternal: float = 0.35     # ... and the same maternal surname too
    junior_suffix: float = 0.3               # the son's record says "Jr" (US agency only)
    # married women
    married: float = 0.45                    # a woman over 22 is married
    married_name_ca: float = 0.3             # CA/MX agency writes "Zelaya de Santos"
    married_name_us: float = 0.55            # US agency uses husband's name alone / hyphenated
    married_hyphen_us: float = 0.35          # of those: "Zelaya-Santos"
    # US layouts of Hispanic names
    us_maternal_dropped: float = 0.45
    us_maternal_as_middle: float = 0.2       # "Juan Pablo Kuc" / "Orozco" moved into given names
    us_surnames_collapsed: float = 0.1       # "PEREZLOPEZ"
    us_surnames_hyphenated: float = 0.1
    us_second_given_as_initial: float = 0.3
    mx_maternal_dropped: float = 0.12
    ca_second_given_dropped: float = 0.12
    # spelling
    hypocorism: float = 0.07                 # a given name given as its hypocorism (per record)
    phonetic_variant: float = 0.05           # per name token: b/v, s/z/c, ll/y, h dropped, k/c...
    ocr_confusion: float = 0.025             # per name token: e->c, rn->m, l->I ...
    typo: float = 0.02                       # per name token: a letter dropped, doubled, swapped
    accents_dropped_ca: float = 0.35         # per record in CA/MX agencies (US: always)
    given_first_order_hn: float = 0.2        # hn_police writes "Surnames, Given" else given first
    # dates
    date_missing: float = 0.04
    date_estimated: float = 0.06             # YYYY-01-01, year from the stated age (maybe +-1)
    date_year_only: float = 0.05
    date_month_only: float = 0.02
    date_swap_us: float = 0.12               # MM/DD read as DD/MM (when the day is <= 12)
    date_swap_other: float = 0.03
    date_typo: float = 0.03                  # a day or a year digit off
    # nationality
    nationality_missing: float = 0.1
    false_claim_mexican: float = 0.18        # a Central American at mx/us claims MX
    false_claim_neighbour: float = 0.05      # ... or a neighbouring CA country
    nationality_confused: float = 0.03       # demonym/ISO3 mapped to a wrong ISO2 code
    # identifiers
    national_id_home: float = 0.85           # own country's police record the national id
    national_id_abroad: float = 0.25         # another agency copies it from a document
    has_passport: float = 0.35
    passport_recorded: float = 0.6
    a_number_us: float = 0.7                 # us_border's own per-person number
    id_typo: float = 0.02
    id_format_noise: float = 0.3             # dashes/spaces removed or added
    # other fields
    alias: float = 0.08
    gender_missing: float = 0.06
    gender_wrong: float = 0.01
    birthplace_ca: float = 0.75
    birthplace_mx: float = 0.4
    birthplace_us: float = 0.15
    address: float = 0.4
    moved: float = 0.3                       # a later record has another address
    upper_case: dict[str, float] = field(default_factory=lambda: {
        "hn_police": 0.9, "gt_police": 0.3, "sv_police": 0.5, "mx_migration": 0.7,
        "us_border": 0.95})
    # within-agency duplicates (a second arrest / crossing)
    duplicate: dict[str, float] = field(default_factory=lambda: {
        "hn_police": 0.06, "gt_police": 0.05, "sv_police": 0.06, "mx_migration": 0.09,
        "us_border": 0.16})
