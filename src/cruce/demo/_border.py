"""The two border exports: Mexico's migration institute (INM) and the US border agency."""

from __future__ import annotations

from collections.abc import Iterator

from cruce.demo._layout import (
    Context,
    Export,
    Layout,
    Row,
    Subject,
    caps,
    day_date,
    fmt_phone,
    obs_date,
)
from cruce.demo._lexicon import COUNTRY_EN, COUNTRY_ES, lexicon, strip_accents
from cruce.demo._police import words

# --- Mexico: paternal/maternal surname columns, Spanish country names ------------------------

MX_ROLES = {
    "migrant": "MIGRANTE", "victim": "VICTIMA DE TRAFICO", "suspect": "PROBABLE TRAFICANTE",
    "witness": "TESTIGO",
}
MX_EVENTS = {
    "migrant": ("PRESENTACION", "CANALIZACION", "RETORNO ASISTIDO"), "victim": ("RESCATE",),
    "suspect": ("PUESTA A DISPOSICION",), "witness": ("COMPARECENCIA",),
}
MX_PERSONAS = (
    "folio", "nombre", "apellido_paterno", "apellido_materno", "sexo", "fecha_nacimiento",
    "nacionalidad", "lugar_nacimiento", "curp", "pasaporte", "telefono", "categoria", "oficina",
    "fecha_registro",
)
MX_EVENTOS = (
    "folio_evento", "fecha_evento", "punto", "estado", "tipo_evento", "folio", "nombre_completo",
    "nacionalidad", "categoria",
)
MX_VIAJES = (
    "folio_viaje", "fecha", "origen", "destino", "punto_control", "placa", "pais_placa",
    "tipo_vehiculo", "marca", "linea", "modelo_anio", "color", "folio_conductor",
    "nombre_conductor", "documento_conductor", "nacionalidad_conductor", "observaciones",
)


def _mx_names(s: Subject) -> list[str]:
    o = s.obs
    names = [words(*o.given), o.paternal, o.maternal]
    return [n.upper() for n in names] if s.draw < 0.2 else names  # capitals at some offices


def _mx_personas(ctx: Context) -> Iterator[Row]:
    rng, points = ctx.rng, lexicon().raw["mx_points"]
    for s in ctx.subjects:
        o, person = s.obs, s.person
        country = COUNTRY_ES[person.nationality]
        place = f"{o.birthplace.name}, {country}" if o.birthplace else ""
        curp = o.national_id if person.nationality == "mx" else o.curp
        row = [
            s.local_id, *_mx_names(s), "M" if person.male else "F", obs_date(o, "dmy", "/"),
            country, place, curp, o.passport, fmt_phone(o, "mx"), MX_ROLES.get(s.role, ""),
            rng.choice(points)[0], day_date(ctx.past_date(), "dmy", "/"),
        ]
        yield row, person.pid, ""


def _mx_eventos(ctx: Context) -> Iterator[Row]:
    rng, points = ctx.rng, lexicon().raw["mx_points"]
    count = 0
    for s in ctx.subjects:
        if not s.primary:
            continue
        name = words(*_mx_names(s))
        for _ in range(2 if rng.random() < 0.3 else 1):
            count += 1
            point, state = rng.choice(points)
            row = [
                f"EV-{count:08d}", day_date(ctx.past_date(3), "dmy", "/"), point, state,
                rng.choice(MX_EVENTS.get(s.role, ("PRESENTACION",))), s.local_id, name,
                COUNTRY_ES[s.person.nationality], MX_ROLES.get(s.role, ""),
            ]
            yield row, s.person.pid, ""


def _mx_viajes(ctx: Context) -> Iterator[Row]:
    rng, raw = ctx.rng, lexicon().raw
    count = 0
    for v in ctx.world.vehicles:
        s = ctx.primary.get(v.driver)
        if s is None:
            continue
        o = s.obs
        document = o.curp or o.passport or o.national_id
        for _ in range(rng.choice((1, 1, 2, 3))):
            count += 1
            origin, destination = rng.sample(raw["mx_route_ends"], 2)
            row = [
                f"VJ-{count:07d}", day_date(ctx.past_date(3), "dmy", "/"), origin, destination,
                rng.choice(raw["mx_points"])[0], v.plate, COUNTRY_ES[v.country], v.kind, v.make,
                v.model, str(v.year), v.colour[0], s.local_id, words(*_mx_names(s)), document,
                COUNTRY_ES[s.person.nationality],
                f"{rng.randrange(3, 40)} personas migrantes a bordo",
            ]
            yield row, s.person.pid, ""


MX_MIGRATION = Layout(
    agency="mx_migration", quality=1.0, year_only=False, overrides=(),
    local_id=lambda n: f"INM-{n:08d}", case_id=None,
    exports=(
        Export("mx_migration_personas", "personas.csv", MX_PERSONAS, _mx_personas),
        Export("mx_migration_eventos", "eventos.csv", MX_EVENTOS, _mx_eventos),
        Export("mx_migration_viajes", "viajes.csv", MX_VIAJES, _mx_viajes),
    ),
)

# --- United States: FIRST/MIDDLE/LAST, no accents, MM/DD/YYYY ---------------------------------

US_TYPES = {
    "migrant": ("APPREHENDED", "INADMISSIBLE"), "suspect": ("SMUGGLER",), "victim": ("VICTIM",),
    "witness": ("MATERIAL WITNESS",),
}
US_ENCOUNTER = {
    "migrant": ("APPREHENSION", "OFO INADMISSIBLE"), "suspect": ("SMUGGLING ARREST",),
    "victim": ("RESCUE",), "witness": ("WITNESS INTERVIEW",),
}
US_SUBJECTS = (
    "SUBJECT_ID", "LAST_NAME", "FIRST_NAME", "MIDDLE_NAME", "DOB", "SEX", "CITIZENSHIP",
    "BIRTH_COUNTRY", "BIRTH_CITY", "A_NUMBER", "PASSPORT_NUMBER", "PASSPORT_COUNTRY", "PHONE",
    "AKA", "SUBJECT_TYPE",
)
US_ENCOUNTERS = (
    "EVENT_ID", "EVENT_DATE", "LOCATION", "AOR", "ENCOUNTER_TYPE", "SUBJECT_ID", "SUBJECT_NAME",
    "A_NUMBER", "CITIZENSHIP", "SUBJECT_TYPE",
)
US_CROSSINGS = (
    "CROSSING_ID", "CROSSING_DATE", "PORT_OF_ENTRY", "ORIGIN_CITY", "PLATE", "PLATE_COUNTRY",
    "MAKE", "MODEL", "VEHICLE_YEAR", "COLOR", "DRIVER_ID", "DRIVER_NAME", "DRIVER_DOB",
    "DRIVER_PASSPORT", "DRIVER_CITIZENSHIP", "REMARKS",
)
US_REMARKS = ("", "", "NO FINDINGS", "REFERRED TO SECONDARY", "{n} CONCEALED PERSONS FOUND")


def us_names(s: Subject) -> tuple[str, str, str]:
    """(LAST, FIRST, MIDDLE): the maternal surname dropped, moved to the middle name or
    hyphenated; a married woman often under her husband's surname."""
    o, draw = s.obs, s.draw
    first, middle = o.given[0], list(o.given[1:])
    if o.spouse and draw < 0.4:
        last = o.spouse
    elif not o.maternal or draw < 0.45:
        last = o.paternal
    elif draw < 0.7:
        last = o.paternal
        middle.append(o.maternal)
    elif draw < 0.85:
        last = f"{o.paternal}-{o.maternal}"
    else:
        last = f"{o.paternal} {o.maternal}"
    return caps(last, True), caps(first, True), caps(words(*middle), True)


def _subject_type(s: Subject) -> str:
    types = US_TYPES.get(s.role, ("APPREHENDED",))
    return types[s.person.index % len(types)]


def _us_subjects(ctx: Context) -> Iterator[Row]:
    rng = ctx.rng
    for s in ctx.subjects:
        o, person = s.obs, s.person
        a_number = o.a_number if rng.random() < 0.8 else o.a_number.removeprefix("A")
        city = strip_accents(o.birthplace.name).upper() if o.birthplace else ""
        row = [
            s.local_id, *us_names(s), obs_date(o, "mdy", "/"), "M" if person.male else "F",
            COUNTRY_EN[person.nationality], COUNTRY_EN[person.nationality], city, a_number,
            o.passport, COUNTRY_EN[person.nationality] if o.passport else "",
            fmt_phone(o, "us"), caps(o.alias, True), _subject_type(s),
        ]
        yield row, person.pid, ""


def _us_encounters(ctx: Context) -> Iterator[Row]:
    rng, points = ctx.rng, lexicon().raw["us_points"]
    count = 0
    for s in ctx.subjects:
        if not s.primary:
            continue
        last, first, middle = us_names(s)
        for _ in range(2 if rng.random() < 0.35 else 1):
            count += 1
            location, area, _ = rng.choice(points)
            row = [
                f"ENC{count:09d}", day_date(ctx.past_date(3), "mdy", "/"), location, area,
                rng.choice(US_ENCOUNTER.get(s.role, ("APPREHENSION",))), s.local_id,
                f"{last}, {words(first, middle)}", s.obs.a_number,
                COUNTRY_EN[s.person.nationality], _subject_type(s),
            ]
            yield row, s.person.pid, ""


def _us_crossings(ctx: Context) -> Iterator[Row]:
    rng, points = ctx.rng, lexicon().raw["us_points"]
    count = 0
    for v in ctx.world.vehicles:
        s = ctx.primary.get(v.driver)
        if s is None:
            continue
        last, first, middle = us_names(s)
        nationality = COUNTRY_EN[s.person.nationality]
        for _ in range(rng.choice((1, 1, 2, 3))):
            count += 1
            port, _, origin = rng.choice(points)
            row = [
                f"XNG{count:09d}", day_date(ctx.past_date(3), "mdy", "/"), port, origin,
                v.plate, COUNTRY_EN[v.country], v.make.upper(), v.model.upper(), str(v.year),
                v.colour[1], s.local_id, words(first, middle, last),
                obs_date(s.obs, "mdy", "/"), s.obs.passport, nationality,
                rng.choice(US_REMARKS).format(n=rng.randrange(2, 15)),
            ]
            yield row, s.person.pid, ""


US_BORDER = Layout(
    agency="us_border", quality=0.8, year_only=False, overrides=(),
    local_id=lambda n: str(1_000_000_000 + n * 7), case_id=None,
    exports=(
        Export("us_border_subjects", "subjects.csv", US_SUBJECTS, _us_subjects),
        Export("us_border_encounters", "encounters.csv", US_ENCOUNTERS, _us_encounters),
        Export("us_border_crossings", "crossings.csv", US_CROSSINGS, _us_crossings),
    ),
)
