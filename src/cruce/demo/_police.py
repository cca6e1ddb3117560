"""The three police exports: Honduras (DPI), Guatemala (PNC) and El Salvador (PNC)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from random import Random

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
from cruce.demo._lexicon import COUNTRY_ES, lexicon


def words(*parts: str) -> str:
    """Join the non-empty parts with single spaces."""
    return " ".join(p for p in parts if p)


def membership(ctx: Context, s: Subject, kinds: tuple[str, ...]) -> tuple[str, str, str]:
    """(organisation name, true org id, rank) of a suspect whose organisation the agency
    tracks; empty for everyone else."""
    person = s.person
    if s.role != "suspect" or person.org < 0:
        return "", "", ""
    org = ctx.world.orgs[person.org]
    if org.kind not in kinds:
        return "", "", ""
    return org.name, org.oid, person.rank


def _place(s: Subject) -> tuple[str, str]:
    place = s.obs.birthplace
    return (place.name, place.region) if place else ("", "")


# --- Honduras: one capitalised name column, surnames first -----------------------------------

HN_ROLES = {"suspect": "IMPUTADO", "victim": "VICTIMA", "witness": "TESTIGO"}
HN_PERSONAS = (
    "id_persona", "nombre_completo", "alias", "sexo", "fecha_nacimiento", "lugar_nacimiento",
    "nacionalidad", "dni", "telefono", "pandilla", "rango", "calidad", "numero_caso",
    "fecha_registro",
)
HN_DETENCIONES = (
    "numero_detencion", "fecha_detencion", "lugar", "municipio", "motivo", "id_persona",
    "nombre_detenido", "dni_detenido",
)


def hn_name(s: Subject, plain: bool, married_style: bool) -> str:
    """'HERNANDEZ GARCIA JOSE LUIS', or 'LOPEZ DE HERNANDEZ MARIA' for a married woman."""
    o = s.obs
    if o.spouse and married_style:
        return caps(words(o.paternal, "DE", o.spouse, *o.given), plain)
    return caps(words(o.paternal, o.maternal, *o.given), plain)


def _hn_personas(ctx: Context) -> Iterator[Row]:
    rng = ctx.rng
    for s in ctx.subjects:
        o, person = s.obs, s.person
        plain = rng.random() < 0.7  # the older system has no accented capitals
        gang, oid, rank = membership(ctx, s, ("gang",))
        dni = o.national_id if rng.random() < 0.75 else o.national_id.replace("-", "")
        row = [
            s.local_id, hn_name(s, plain, rng.random() < 0.5), caps(o.alias, plain),
            "M" if person.male else "F", obs_date(o, "dmy", "/"),
            caps(", ".join(p for p in _place(s) if p), plain),
            caps(COUNTRY_ES[person.nationality], plain), dni, fmt_phone(o, "hn"),
            caps(gang, True), rank, HN_ROLES.get(s.role, ""), s.case,
            day_date(ctx.past_date(), "dmy", "/"),
        ]
        yield row, person.pid, oid


def _hn_detenciones(ctx: Context) -> Iterator[Row]:
    rng, raw = ctx.rng, lexicon().raw
    count = 0
    for s in ctx.subjects:
        if not s.primary or s.role != "suspect" or rng.random() > 0.6:
            continue
        o = s.obs
        name = caps(words(*o.given, o.paternal, o.maternal), True)  # given names first here
        for _ in range(rng.choice((1, 1, 2))):
            count += 1
            when = ctx.past_date()
            place, town = rng.choice(raw["hn_arrest_places"])
            row = [
                f"DET-{when.year}-{count:06d}", day_date(when, "dmy", "/"), place, town,
                rng.choice(raw["arrest_reasons"]), s.local_id, name,
                o.national_id.replace("-", ""),
            ]
            yield row, s.person.pid, ""


def _hn_case(rng: Random, n: int, when: date) -> str:
    return f"DPI-{when.year}-{n:06d}"


HN_POLICE = Layout(
    agency="hn_police", quality=1.2, year_only=True, overrides=(("year_only", 0.3),),
    local_id=lambda n: f"HN-DPI-{n:07d}", case_id=_hn_case,
    exports=(
        Export("hn_police_personas", "personas.csv", HN_PERSONAS, _hn_personas),
        Export("hn_police_detenciones", "detenciones.csv", HN_DETENCIONES, _hn_detenciones),
    ),
)

# --- Guatemala: DPI-style name columns, dates DD-MM-YYYY --------------------------------------

GT_ROLES = {"suspect": "SINDICADO", "victim": "AGRAVIADO", "witness": "TESTIGO"}
GT_PERSONAS = (
    "no_registro", "nombres", "primer_apellido", "segundo_apellido", "apellido_casada", "alias",
    "sexo", "fecha_nacimiento", "cui", "pasaporte", "telefono", "municipio_nacimiento",
    "departamento_nacimiento", "nacionalidad", "estructura", "rol", "caso_mp", "calidad",
)
GT_VEHICULOS = (
    "placa", "pais_placa", "tipo_vehiculo", "marca", "linea", "modelo", "color", "propietario",
    "nit_propietario", "forma_juridica", "pais_empresa", "no_registro", "nombre_poseedor",
    "cui_poseedor", "caso_mp",
)


def _gt_personas(ctx: Context) -> Iterator[Row]:
    rng = ctx.rng
    for s in ctx.subjects:
        o, person = s.obs, s.person
        shout = rng.random() < 0.15  # some stations type everything in capitals
        married = ""
        if o.spouse and rng.random() < 0.7:
            married = f"de {o.spouse}" if rng.random() < 0.5 else o.spouse
        names = [words(*o.given), o.paternal, o.maternal, married]
        if shout:
            names = [n.upper() for n in names]
        cui = o.national_id if rng.random() < 0.6 else o.national_id.replace(" ", "")
        org, oid, rank = membership(ctx, s, ("gang", "smuggling"))
        row = [
            s.local_id, *names, o.alias, "M" if person.male else "F",
            obs_date(o, "dmy", "/" if rng.random() < 0.05 else "-"), cui, o.passport,
            fmt_phone(o, "gt"), *_place(s), COUNTRY_ES[person.nationality].upper(), org, rank,
            s.case, GT_ROLES.get(s.role, ""),
        ]
        yield row, person.pid, oid


def _gt_vehiculos(ctx: Context) -> Iterator[Row]:
    rng, world = ctx.rng, ctx.world
    for v in world.vehicles:
        s = ctx.primary.get(v.driver)
        owner = world.orgs[v.owner] if v.owner >= 0 else None
        registered_here = owner is not None and owner.countries[0] == "gt"
        if s is None and not (registered_here and rng.random() < 0.5):
            continue
        company = ["", "", "", ""]
        if owner is not None:
            country = COUNTRY_ES[owner.countries[0]].upper()
            company = [owner.name.upper(), owner.tax_number, owner.legal_form, country]
        holder = ["", "", "", ""]
        if s is not None:
            o = s.obs
            holder = [s.local_id, caps(words(*o.given, o.paternal, o.maternal), False),
                      o.national_id, s.case]
        row = [
            v.plate, COUNTRY_ES[v.country].upper(), v.kind, v.make.upper(), v.model.upper(),
            str(v.year), v.colour[0], *company, *holder,
        ]
        yield row, s.person.pid if s else "", owner.oid if owner else ""


def _gt_case(rng: Random, n: int, when: date) -> str:
    return f"MP{rng.randrange(1, 400):03d}-{when.year}-{n:05d}"


GT_POLICE = Layout(
    agency="gt_police", quality=1.4, year_only=True, overrides=(),
    local_id=lambda n: f"PNC-{n:08d}", case_id=_gt_case,
    exports=(
        Export("gt_police_personas", "personas.csv", GT_PERSONAS, _gt_personas),
        Export("gt_police_vehiculos", "vehiculos.csv", GT_VEHICULOS, _gt_vehiculos),
    ),
)

# --- El Salvador: 'APELLIDOS, NOMBRES', monikers, ISO dates ----------------------------------

SV_PERSONAS = (
    "id_registro", "nombre", "alias", "sexo", "fecha_nacimiento", "dui", "telefono",
    "municipio_origen", "departamento_origen", "nacionalidad", "clica", "rango", "expediente",
    "calidad",
)


def sv_name(s: Subject, plain: bool, married_style: bool) -> str:
    """'HERNANDEZ GARCIA, JOSE LUIS'."""
    o = s.obs
    surnames = words(o.paternal, "DE", o.spouse) if o.spouse and married_style else words(
        o.paternal, o.maternal
    )
    return caps(f"{surnames}, {words(*o.given)}", plain)


def _sv_aliases(ctx: Context, s: Subject, plain: bool) -> str:
    aliases = [s.obs.alias] if s.obs.alias else []
    nicknames = lexicon().hypocoristics.get(s.person.given[0])
    if nicknames and ctx.rng.random() < 0.2:
        aliases.append(ctx.rng.choice(nicknames))
    return ";".join(caps(a, plain) for a in aliases)


def _sv_personas(ctx: Context) -> Iterator[Row]:
    rng = ctx.rng
    for s in ctx.subjects:
        o, person = s.obs, s.person
        plain = rng.random() < 0.5
        gang, oid, rank = membership(ctx, s, ("gang",))
        clica = gang.removeprefix("Clica ")  # a clica is a clica: the word is left out
        dui = o.national_id if rng.random() < 0.8 else o.national_id.replace("-", "")
        row = [
            s.local_id, sv_name(s, plain, rng.random() < 0.6), _sv_aliases(ctx, s, plain),
            "M" if person.male else "F", obs_date(o, "ymd", "-"), dui, fmt_phone(o, "sv"),
            *(caps(p, plain) for p in _place(s)), caps(COUNTRY_ES[person.nationality], plain),
            caps(clica, True), rank, s.case, HN_ROLES.get(s.role, ""),
        ]
        yield row, person.pid, oid


def _sv_case(rng: Random, n: int, when: date) -> str:
    return f"EXP-{n:05d}-{when.year}"


SV_POLICE = Layout(
    agency="sv_police", quality=1.0, year_only=True, overrides=(("year_only", 3.0),),
    local_id=lambda n: f"DIC-{n:07d}", case_id=_sv_case,
    exports=(Export("sv_police_personas", "personas.csv", SV_PERSONAS, _sv_personas),),
)
