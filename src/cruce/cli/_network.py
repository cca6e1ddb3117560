"""`cruce network`: an entity's neighbourhood across agencies, written as GEXF, JSON or CSV
(a logged consultation, limited to what --purpose may read)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cruce._why import justification
from cruce.cli import _remote
from cruce.cli._common import (
    CaseOption,
    DbOption,
    PurposeOption,
    WhyOption,
    err_console,
    open_node,
    reports_errors,
)
from cruce.cli._remote import NodeOption, TokenOption
from cruce.errors import InvalidInput

if TYPE_CHECKING:
    from cruce.audit import Justification
    from cruce.network import Ask

FORMATS = ("gexf", "json", "csv")


@reports_errors
def network(
    entity_id: Annotated[str, typer.Argument(help="The person's or organisation's record id.")],
    depth: Annotated[int, typer.Option(help="How many links out from the entity (1 to 3).")] = 1,
    fmt: Annotated[str, typer.Option(
        "--format", help="gexf (Gephi, FtM's graph exporter), json (nodes, links, analysis "
                         "and the FtM entities) or csv (one row per link).")] = "json",
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write (0600); - for "
                                                          "stdout.")] = Path("-"),
    db: DbOption = "cruce.duckdb",
    relation: Annotated[list[str] | None, typer.Option(
        metavar="RELATION", help="Only these relations (repeat): membership, associate, family, "
                                 "phone, address, vehicle, trip, … (default: all).")] = None,
    agency: Annotated[list[str] | None, typer.Option(
        metavar="AGENCY", help="Only records of these agencies (repeat; default: all).")] = None,
    page_size: Annotated[int, typer.Option(
        help="At most this many links per entity; a hub's rest is counted, with a cursor.")] = 20,
    cursor: Annotated[str | None, typer.Option(
        help="The entity's next page of links: the cursor a previous network gave.")] = None,
    to: Annotated[str | None, typer.Option(
        "--to", metavar="ENTITY_ID", help="A shortest path from ENTITY_ID to this one instead "
                                          "(each expanded --depth links).")] = None,
    purpose: PurposeOption = None,
    case: CaseOption = None,
    why: WhyOption = "",
    node: NodeOption = "",
    token: TokenOption = "",
) -> None:
    """Write the network around ENTITY_ID: memberships, associates, family, shared phones and
    addresses, vehicles and trips, across the node's records and the shares it received, with
    communities and brokers; every level read is a logged consultation."""
    if fmt not in FORMATS:
        raise InvalidInput(f"--format {fmt!r}: choose gexf, json or csv")
    reason = justification(purpose, case, why)
    from cruce.network import Ask, Format, Network, write_network

    ask = Ask.build(depth, relation, agency, page_size, cursor)
    if node:
        _from_node(node, token, entity_id, to, ask, fmt, out, reason)
        return
    with open_node(db) as opened:
        investigation = Network(opened)
        view = (investigation.path(entity_id, to, reason, depth=depth, ask=ask) if to
                else investigation.neighbourhood(entity_id, reason, ask))
    write_network(view, Format(fmt), out)
    doc = view.to_dict()
    hubs = f"; {len(doc['more'])} with more links (see `more`)" if doc["more"] else ""
    path = f"; path of {len(view.path) - 1} links" if view.path else ""
    err_console.print(f"{len(doc['nodes'])} nodes, {len(doc['links'])} links{path}{hubs}; "
                      f"{doc['withheld']} withheld (collected for purposes not compatible with "
                      f"{reason.purpose})", highlight=False)


def _from_node(node: str, token: str, entity_id: str, to: str | None, ask: Ask, fmt: str,
               out: Path, reason: Justification) -> None:
    """While the node serves, its API builds the network (and its file) for the token's user."""
    from urllib.parse import quote

    from cruce.network import RELATIONS
    from cruce.network._export import write_text

    path = f"/api/v1/network/{quote(entity_id, safe='')}"
    if to:
        path += f"/path/{quote(to, safe='')}"
    params: dict[str, Any] = {"depth": ask.depth, "format": fmt, "agency": ask.agencies or []}
    if len(ask.relations) < len(RELATIONS):
        params["relation"] = sorted(ask.relations)
    if not to:
        params.update(page_size=ask.page_size, **({"cursor": ask.cursor} if ask.cursor else {}))
    with _remote.client(node, token) as api:
        write_text(out, api.answer("GET", path, reason, params=params).text)
    err_console.print(f"network of {entity_id} written by the node at {node}", highlight=False)


__all__ = ["network"]
