"""`cruce check …`: border checks of a manifest or one traveller against the node's alerts.

Each command builds the index from the node's store (the store's query path is not the
check's), checks, and logs one consultation with the officer (`--user`) and the post."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cruce._why import justification
from cruce.cli._common import (
    CaseOption,
    DbOption,
    JsonOption,
    PurposeOption,
    console,
    err_console,
    open_node,
    print_json,
    print_table,
    reports_errors,
)

if TYPE_CHECKING:
    from cruce._node import Node
    from cruce.audit import Justification
    from cruce.checks import Hit, Traveller

app = typer.Typer(help="Border checks: documents, persons and vehicles against every agency's "
                       "alerts.", no_args_is_help=True)

PostOption = Annotated[str, typer.Option(
    "--post", envvar="CRUCE_POST", help="The border post checking (logged with each check).")]
WhyOption = Annotated[str, typer.Option("--why", help="Free-text justification.")]
HIT_COLUMNS = ["alert_id", "kind", "score", "explanation", "reason", "action", "issuer"]


@app.command()
@reports_errors
def manifest(
    file: Annotated[Path, typer.Argument(help="Manifest CSV: traveller_id,given_names,surnames,"
                                              "birth_date,nationality,document_type,"
                                              "document_country,document_number,plate,"
                                              "plate_country.")],
    out: Annotated[Path, typer.Option("--out", help="RESULTS.csv: traveller_id,kind,"
                                                    "alert_id,score, one row per hit.")],
    db: DbOption = "cruce.duckdb",
    purpose: PurposeOption = None,
    case: CaseOption = None,
    why: WhyOption = "",
    post: PostOption = "",
) -> None:
    """Check every traveller of a passenger manifest (one logged consultation). A bad row is
    named with its line and field, and the others are still checked; exit 2 if any was bad."""
    from cruce.checks import read_manifest, write_results

    reason = justification(purpose, case, why)
    read = read_manifest(file)
    with open_node(db) as node:
        results = _screen(node, read.travellers, reason, post)
    rows = write_results(out, read.travellers, results)
    for problem in read.problems:
        err_console.print(problem, markup=False, highlight=False, soft_wrap=True)
    hit = sum(1 for hits in results if hits)
    console.print(f"{len(read.travellers)} travellers checked, {hit} with hits ({rows} hits) "
                  f"-> {out}" + (f"; {len(read.problems)} bad rows not checked"
                                 if read.problems else ""), highlight=False, markup=False)
    if read.problems:
        raise typer.Exit(2)


@app.command()
@reports_errors
def document(
    number: Annotated[str, typer.Argument(help="The document number.")] = "",
    country: Annotated[str, typer.Option("--country", help="Issuing country (ISO 3166 "
                                                           "alpha-3).")] = "",
    doc_type: Annotated[str, typer.Option("--type", help="passport, id_card, visa, "
                                                         "residence_permit, travel_document.")]
    = "passport",
    mrz: Annotated[str, typer.Option("--mrz", help="The machine-readable zone instead (lines "
                                                   "separated by newlines or spaces); check "
                                                   "digits verified.")] = "",
    db: DbOption = "cruce.duckdb",
    purpose: PurposeOption = None,
    case: CaseOption = None,
    why: WhyOption = "",
    post: PostOption = "",
    as_json: JsonOption = False,
) -> None:
    """Check one travel document (and, from an MRZ, its holder too)."""
    from cruce.checks import Traveller, traveller_from_mrz

    if mrz:
        traveller = traveller_from_mrz("\n".join(mrz.split()))
    else:
        traveller = Traveller.from_dict({"traveller_id": "cli", "document_number": number,
                                         "document_country": country,
                                         "document_type": doc_type})
    _one(db, traveller, justification(purpose, case, why), post, as_json)


@app.command()
@reports_errors
def person(
    surnames: Annotated[str, typer.Option("--surnames", help="Surnames, as written.")],
    given_names: Annotated[str, typer.Option("--given-names", help="Given names.")] = "",
    birth_date: Annotated[str, typer.Option("--birth-date", help="YYYY-MM-DD, YYYY-MM or "
                                                                 "YYYY.")] = "",
    nationality: Annotated[str, typer.Option("--nationality", help="ISO 3166 alpha-3.")] = "",
    db: DbOption = "cruce.duckdb",
    purpose: PurposeOption = None,
    case: CaseOption = None,
    why: WhyOption = "",
    post: PostOption = "",
    as_json: JsonOption = False,
) -> None:
    """Screen one person against person alerts, fuzzily; each hit with its evidence."""
    from cruce.checks import Traveller

    traveller = Traveller.from_dict({"traveller_id": "cli", "given_names": given_names,
                                     "surnames": surnames, "birth_date": birth_date,
                                     "nationality": nationality})
    _one(db, traveller, justification(purpose, case, why), post, as_json)


@app.command()
@reports_errors
def vehicle(
    plate: Annotated[str, typer.Option("--plate", help="The plate, as read.")] = "",
    country: Annotated[str, typer.Option("--country", help="The plate's country.")] = "",
    vin: Annotated[str, typer.Option("--vin", help="The VIN (check digit verified).")] = "",
    db: DbOption = "cruce.duckdb",
    purpose: PurposeOption = None,
    case: CaseOption = None,
    why: WhyOption = "",
    post: PostOption = "",
    as_json: JsonOption = False,
) -> None:
    """Check one vehicle by plate (with its country) and/or VIN."""
    from cruce.checks import Traveller

    traveller = Traveller.from_dict({"traveller_id": "cli", "plate": plate,
                                     "plate_country": country, "vin": vin})
    _one(db, traveller, justification(purpose, case, why), post, as_json)


def _post(post: str) -> str:
    return post or os.environ.get("CRUCE_POST", "") or "cli"


def _screen(node: Node, travellers: list[Traveller], reason: Justification,
            post: str) -> list[list[Hit]]:
    from cruce.checks import AlertIndex, screen

    return screen(node, AlertIndex.build(node.store), travellers, reason, _post(post))


def _one(db: str, traveller: Traveller, reason: Justification, post: str, as_json: bool) -> None:
    with open_node(db) as node:
        (hits,) = _screen(node, [traveller], reason, post)
    _print_hits(hits, as_json)


def _print_hits(hits: list[Hit], as_json: bool) -> None:
    if as_json:
        print_json({"hits": [h.to_dict() for h in hits]})
        return
    if not hits:
        console.print("no hit", highlight=False)
        return
    print_table([h.to_dict() for h in hits], HIT_COLUMNS, ids=("alert_id",))
