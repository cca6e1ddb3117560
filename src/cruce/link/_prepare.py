"""From FtM Person entities to the standardised comparison table the model reads.

Names are parsed in Python (cruce.names) once per distinct spelling; dates, documents, phones,
places and addresses are standardised in SQL. Each record keeps its source (file or agency) so
that links across sources and duplicates inside one are both found.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from cruce.errors import InvalidInput
from cruce.link._countries import country_code_sql, is_country_sql
from cruce.link._input import FileCheck, check_jsonl, good_people
from cruce.link._name_table import name_table

NAME_PROPS = ("name", "firstName", "middleName", "lastName", "fatherName", "motherName", "alias")
LIST_FEATURES = ("given_all", "given_canonical_all", "surname_all", "aliases_norm", "aliases_rare")
TEXT_FEATURES = (
    "given1",
    "given2",
    "given1_canonical",
    "surname1",
    "surname2",
    "surname_married",
    "given1_phonetic",
    "surname1_phonetic",
    "surname2_phonetic",
    "full_norm",
)


def load_jsonl(
    con: duckdb.DuckDBPyConnection, files: Sequence[Path]
) -> tuple[int, list[FileCheck]]:
    """Table `entities` (id, source, props) from FtM JSON lines; only Person entities.

    Every line is checked first (`check_jsonl`): a file that is not JSON lines is refused
    (BadRow), a bad line among good ones is skipped and reported in the checks returned.
    """
    missing = [f for f in files if not Path(f).exists()]
    if missing:
        raise InvalidInput(f"{missing[0]}: no such file")
    checks = [check_jsonl(Path(f)) for f in files]
    clean = [c.path for c in checks if not c.skipped]
    paths = ", ".join("'" + str(f).replace("'", "''") + "'" for f in clean)
    con.execute(
        "CREATE OR REPLACE TABLE entities (id VARCHAR, source VARCHAR, "
        "props MAP(VARCHAR, VARCHAR[]))"
    )
    if clean:
        con.execute(
            "INSERT INTO entities SELECT id, filename AS source, properties AS props "
            f"FROM read_json([{paths}], format = 'newline_delimited', filename = true, "
            "columns = {'id': 'VARCHAR', 'schema': 'VARCHAR', "
            "'properties': 'MAP(VARCHAR, VARCHAR[])'}) WHERE schema = 'Person' AND id IS NOT NULL"
        )
    for check in checks:
        if check.skipped:  # only the good lines, read in Python (a rare, slower path)
            _insert_people(con, str(check.path), list(good_people(check.path)))
    return _count(con, "entities"), checks


def _insert_people(con: duckdb.DuckDBPyConnection, source: str,
                   people: list[tuple[str, str]]) -> None:
    table = pa.table({"id": [p[0] for p in people], "properties": [p[1] for p in people]})
    con.register("good_people", table)
    con.execute(
        "INSERT INTO entities SELECT id, ?, CAST(properties::JSON AS MAP(VARCHAR, VARCHAR[])) "
        "FROM good_people", (source,)
    )
    con.unregister("good_people")


def load_table(con: duckdb.DuckDBPyConnection, table: pa.Table) -> int:
    """Table `entities` from an Arrow table (id, source, properties as JSON text)."""
    con.register("incoming_people", table)
    con.execute(
        "CREATE OR REPLACE TABLE entities AS SELECT id, source, "
        "CAST(properties::JSON AS MAP(VARCHAR, VARCHAR[])) AS props FROM incoming_people"
    )
    con.unregister("incoming_people")
    return _count(con, "entities")


def build_features(con: duckdb.DuckDBPyConnection) -> int:
    """Table `features`: one row per record, the columns the comparisons read. Returns how
    many records had a name the parser could not read (linked on the raw name instead)."""
    con.execute(
        f"CREATE OR REPLACE TABLE raw AS SELECT id AS unique_id, source, {_raw_columns()} "
        "FROM entities"
    )
    names = name_table(con, TEXT_FEATURES, LIST_FEATURES)
    con.register("name_features", names)
    con.execute(
        f"CREATE OR REPLACE TABLE features AS SELECT r.unique_id, r.source, "
        f"{_feature_columns()} FROM raw r LEFT JOIN name_features n ON n.name_key = r.name_key"
    )
    row = con.execute(
        "SELECT count(*) FROM raw r JOIN name_features n ON n.name_key = r.name_key "
        "WHERE n.unparsed"
    ).fetchall()[0]
    con.unregister("name_features")
    return int(row[0])


def _raw_columns() -> str:
    first = [f"props['{p}'][1] AS {p}" for p in NAME_PROPS if p != "alias"]
    return ", ".join(
        [
            *first,
            "props['alias'] AS alias",
            "concat_ws('|', "
            + ", ".join(f"coalesce(props['{p}'][1], '')" for p in NAME_PROPS[:-1])
            + ", coalesce(array_to_string(list_sort(props['alias']), ';'), '')) AS name_key",
            "list_sort(props['birthDate'])[1] AS birth_date",
            "props['gender'][1] AS gender",
            "props['nationality'] AS nationality",
            "props['birthPlace'][1] AS birth_place",
            "coalesce(props['idNumber'], []) || coalesce(props['passportNumber'], []) AS documents",
            "props['phone'] AS phones",
            "props['address'] AS addresses",
        ]
    )


_COUNTRY = (
    f"coalesce({country_code_sql('r.nationality[1]')}, CASE WHEN "
    f"{is_country_sql('r.birth_place')} THEN {country_code_sql('r.birth_place')} END, '')"
)


def _feature_columns() -> str:
    return ", ".join(
        [
            *[f"n.{c}" for c in TEXT_FEATURES + LIST_FEATURES],
            # For blocking: a second given name cut to its initial, a surname's first letters
            # (a misread letter further on leaves them).
            "left(n.given2, 1) AS given2_initial",
            # Names in the country of the record (its first nationality, else the country it
            # names as birth place): how common a name is depends on where, and a common one
            # is weaker evidence (term frequencies of these columns).
            f"n.given1 || '|' || {_COUNTRY} AS given1_in_country",
            f"n.surname1 || '|' || {_COUNTRY} AS surname1_in_country",
            f"n.surname1 || ' ' || n.surname2 || '|' || {_COUNTRY} AS surnames_in_country",
            "CASE WHEN length(n.surname1) >= 4 THEN left(n.surname1, 3) END AS surname1_start",
            # Dates: full dates only where the day is known; a 1 January date is often an estimate.
            "CASE WHEN length(r.birth_date) = 10 THEN r.birth_date END AS dob",
            "CASE WHEN length(r.birth_date) = 10 AND NOT r.birth_date LIKE '%-01-01' "
            "THEN r.birth_date END AS dob_exact",
            "CASE WHEN length(r.birth_date) = 10 AND substr(r.birth_date, 9, 2) <= '12' "
            "AND substr(r.birth_date, 9, 2) <> substr(r.birth_date, 6, 2) THEN "
            "substr(r.birth_date, 1, 4) || '-' || substr(r.birth_date, 9, 2) || '-' || "
            "substr(r.birth_date, 6, 2) END AS dob_swapped",
            "CASE WHEN length(r.birth_date) >= 7 THEN substr(r.birth_date, 1, 7) END AS dob_ym",
            "CASE WHEN length(r.birth_date) >= 4 THEN substr(r.birth_date, 1, 4) END AS dob_year",
            # Day and month of a real (not 1 January) date: kept when the year was mistyped.
            "CASE WHEN length(r.birth_date) = 10 AND NOT r.birth_date LIKE '%-01-01' "
            "THEN substr(r.birth_date, 6, 5) END AS dob_md",
            # Two-year buckets, one shifted by a year: years one apart share one of the two
            # (blocking for an age-estimated year against a real one).
            "CASE WHEN regexp_full_match(substr(r.birth_date, 1, 4), '[0-9]{4}') THEN "
            "CAST(CAST(substr(r.birth_date, 1, 4) AS INTEGER) // 2 AS VARCHAR) END AS dob_years_a",
            "CASE WHEN regexp_full_match(substr(r.birth_date, 1, 4), '[0-9]{4}') THEN "
            "CAST((CAST(substr(r.birth_date, 1, 4) AS INTEGER) + 1) // 2 AS VARCHAR) END "
            "AS dob_years_b",
            # Documents: upper-case alphanumerics; transcription errors are left to the comparison.
            "nullif(list_sort(list_filter(list_distinct(list_transform(r.documents, lambda d: "
            "regexp_replace(upper(d), '[^0-9A-Z]', '', 'g'))), lambda d: length(d) >= 5)), []) "
            "AS documents",
            "regexp_replace(upper(r.documents[1]), '[^0-9A-Z]', '', 'g') AS doc1",
            # Phones: the subscriber part (last 8 digits) survives every national format.
            "nullif(list_filter(list_distinct(list_transform(r.phones, lambda p: "
            "right(regexp_replace(p, '[^0-9]', '', 'g'), 8))), lambda p: length(p) >= 7), []) "
            "AS phones",
            # Nationality as ISO2 whichever way it was written (code, name, demonym).
            f"nullif(list_distinct(list_transform(r.nationality, lambda c: "
            f"{country_code_sql('c')})), []) AS nationality",
            "lower(r.gender) AS gender",
            "nullif(trim(regexp_replace(lower(strip_accents(split_part(r.birth_place, ',', 1))), "
            "'[^a-z ]', '', 'g')), '') AS birth_place",
            # A birth place that names only a country ("Honduras"): no town to compare.
            f"CASE WHEN {is_country_sql('r.birth_place')} THEN "
            f"{country_code_sql('r.birth_place')} END AS birth_country",
            *_address_columns(),
        ]
    )


# Words that say what kind of place an address part is, not which: no evidence of identity.
ADDRESS_STOPWORDS = (
    "calle", "avenida", "ave", "av", "colonia", "col", "barrio", "bo", "bloque", "casa", "num",
    "numero", "no", "nro", "de", "del", "la", "el", "los", "las", "y", "km", "kilometro",
    "residencial", "res", "aldea", "caserio", "canton", "frente", "contiguo", "entre", "pasaje",
    "zona", "lote", "apartamento", "apto", "edificio", "piso", "street", "st", "road", "rd",
    "avenue", "place", "pl", "drive", "dr", "lane", "ln", "court", "ct", "crescent", "cres",
    "circuit", "close", "way", "parade", "terrace", "apt", "unit", "the", "of",
)


def _address_columns() -> list[str]:
    """address_norm: the first address in plain lower-case words; address_tokens: the
    distinguishing words and numbers of all of them; for blocking, address_number (the first
    number: house or street) and address_numbers (those of three digits or more: postcodes,
    long house numbers)."""
    plain = "trim(regexp_replace(lower(strip_accents({})), '[^a-z0-9]+', ' ', 'g'))"
    stop = "[" + ", ".join(f"'{w}'" for w in ADDRESS_STOPWORDS) + "]"
    tokens = (
        f"list_filter(list_distinct(flatten(list_transform(r.addresses, lambda a: "
        f"string_split({plain.format('a')}, ' ')))), lambda t: (length(t) >= 2 "
        f"OR regexp_full_match(t, '[0-9]+')) AND NOT list_contains({stop}, t))"
    )
    first = plain.format("r.addresses[1]")
    return [
        f"nullif({first}, '') AS address_norm",
        f"nullif(list_sort({tokens}), []) AS address_tokens",
        f"nullif(regexp_extract({first}, '[0-9]+'), '') AS address_number",
        f"nullif(list_filter({tokens}, lambda t: regexp_full_match(t, '[0-9]{{3,}}')), []) "
        "AS address_numbers",
    ]


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0]
    return int(row[0]) if row else 0
