"""Countries as records write them: ISO2 or ISO3 codes, names (Spanish, English) and demonyms.

A nationality "GTM", "guatemalteca" or "Guatemala" is the same claim as "GT"; agencies pick
one form each. Birth places written as a country only ("Honduras") name no place a town can
be compared with.
"""

from __future__ import annotations

# ISO2 -> every other way records write the country (normalised: lower case, no accents).
_FORMS: dict[str, tuple[str, ...]] = {
    "mx": ("mex", "mexico", "mexicano", "mexicana", "mexican", "mejico",
           "estados unidos mexicanos"),
    "gt": ("gtm", "guatemala", "guatemalteco", "guatemalteca", "guatemalan"),
    "hn": ("hnd", "honduras", "hondureno", "hondurena", "honduran"),
    "sv": ("slv", "el salvador", "salvador", "salvadoreno", "salvadorena", "salvadoran"),
    "ni": ("nic", "nicaragua", "nicaraguense", "nicaraguan"),
    "cr": ("cri", "costa rica", "costarricense", "costa rican"),
    "pa": ("pan", "panama", "panameno", "panamena", "panamanian"),
    "bz": ("blz", "belice", "belize", "beliceno", "belicena", "belizean"),
    "us": ("usa", "estados unidos", "united states", "united states of america",
           "estadounidense", "american", "norteamericano", "norteamericana"),
    "ca": ("can", "canada", "canadiense", "canadian"),
    "cu": ("cub", "cuba", "cubano", "cubana", "cuban"),
    "do": ("dom", "republica dominicana", "dominican republic", "dominicano", "dominicana",
           "dominican"),
    "ht": ("hti", "haiti", "haitiano", "haitiana", "haitian"),
    "co": ("col", "colombia", "colombiano", "colombiana", "colombian"),
    "ve": ("ven", "venezuela", "venezolano", "venezolana", "venezuelan"),
    "ec": ("ecu", "ecuador", "ecuatoriano", "ecuatoriana", "ecuadorian"),
    "pe": ("per", "peru", "peruano", "peruana", "peruvian"),
    "bo": ("bol", "bolivia", "boliviano", "boliviana", "bolivian"),
    "cl": ("chl", "chile", "chileno", "chilena", "chilean"),
    "ar": ("arg", "argentina", "argentino", "argentine", "argentinian"),
    "br": ("bra", "brasil", "brazil", "brasileno", "brasilena", "brazilian"),
    "es": ("esp", "espana", "spain", "espanol", "espanola", "spanish"),
}

COUNTRY_CODES: dict[str, str] = {
    form: code for code, forms in _FORMS.items() for form in (code, *forms)
}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _map_sql() -> str:
    pairs = ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in sorted(COUNTRY_CODES.items()))
    return "MAP {" + pairs + "}"


def _plain_sql(value: str) -> str:
    return f"trim(regexp_replace(lower(strip_accents({value})), '[^a-z ]+', ' ', 'g'))"


def country_code_sql(value: str) -> str:
    """SQL: the ISO2 code of a country written any known way, else the plain lower-case text
    (an unknown form still agrees with itself)."""
    plain = _plain_sql(value)
    return f"coalesce({_map_sql()}[{plain}], {plain})"


def is_country_sql(value: str) -> str:
    """SQL: whether a text names a country only ("Honduras", "MEX")."""
    return f"map_contains({_map_sql()}, {_plain_sql(value)})"
