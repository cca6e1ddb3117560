"""Organisation names: legal forms split off and standardised."""

from __future__ import annotations

import pytest

from cruce.names import normalise_org_name


@pytest.mark.parametrize(
    ("text", "core", "form"),
    [
        ("Inversiones El Progreso, S.A. de C.V.", "inversiones el progreso", "S.A. de C.V."),
        ("INVERSIONES EL PROGRESO SA DE CV", "inversiones el progreso", "S.A. de C.V."),
        ("Inversiones El Progreso S.A.", "inversiones el progreso", "S.A."),
        ("Inversiones El Progreso, Sociedad Anónima", "inversiones el progreso", "S.A."),
        ("Transportes Lempira S. de R.L.", "transportes lempira", "S. de R.L."),
        ("TRANSPORTES LEMPIRA S DE RL", "transportes lempira", "S. de R.L."),
        ("Transportes Lempira S. de R.L. de C.V.", "transportes lempira", "S. de R.L. de C.V."),
        ("Agroexportadora del Norte, Ltda.", "agroexportadora del norte", "Ltda."),
        ("Pérez y Cía.", "perez", "y Cía."),
        ("Comercial Maya Cía. Ltda.", "comercial maya cia", "Ltda."),
        ("Blue Harbor Shipping LLC", "blue harbor shipping", "LLC"),
        ("Blue Harbor Shipping, L.L.C.", "blue harbor shipping", "LLC"),
        ("Tri-County Produce Inc.", "tri county produce", "Inc."),
        ("Gulf Freight Corp.", "gulf freight", "Corp."),
        ("Gulf Freight Corporation", "gulf freight", "Corp."),
        ("Asociación Civil Manos Unidas", "manos unidas", "Asociación Civil"),
        ("Asociación de Ganaderos de Olancho", "ganaderos de olancho", "Asociación"),
        ("Fundación Nueva Esperanza", "nueva esperanza", "Fundación"),
        ("Cooperativa Agrícola San José", "agricola san jose", "Sociedad Cooperativa"),
        ("Servicios Médicos Integrales", "servicios medicos integrales", None),
        ("Banco del Istmo", "banco del istmo", None),
    ],
)
def test_legal_form_is_split_off_and_standardised(text, core, form):
    assert normalise_org_name(text) == (core, form)


def test_name_that_is_only_a_legal_form_keeps_it_as_core():
    assert normalise_org_name("S.A.") == ("s a", None)
    assert normalise_org_name("") == ("", None)


def test_spelling_variants_of_one_company_agree():
    variants = [
        "Maderas Finas, S.A. de C.V.",
        "MADERAS FINAS SA DE CV",
        "Maderas Finas S.A.DE C.V.",
    ]
    assert len({normalise_org_name(v) for v in variants}) == 1
