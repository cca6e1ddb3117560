"""`GET /api/v1/network/{entity_id}`: an entity's neighbourhood across agencies, and
`GET /api/v1/network/{entity_id}/path/{other_id}`: a shortest path between two entities.

For the consulting roles, with the stated purpose and case: the network holds only what the
user could read directly, and every level read is a logged consultation (`cruce.network`).
"""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations, which
# name the wiring's dependencies (locals of install_network).
import csv
import io
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query
from fastapi.responses import Response

from cruce.api._users import User
from cruce.api._wiring import Wiring
from cruce.audit import Justification
from cruce.network import MAX_DEPTH, MAX_PAGE, Ask, Format, Network, NetworkView
from cruce.network._export import CSV_HEADER, csv_rows, to_gexf

_ID = Path(min_length=1, max_length=64, description="A record id")
_MEDIA = {Format.GEXF: "application/gexf+xml", Format.CSV: "text/csv; charset=utf-8"}


def install_network(app: FastAPI, wiring: Wiring) -> None:
    """The network routes, on the app's users, roles and justification headers."""

    def asked(
        depth: Annotated[int, Query(ge=1, le=MAX_DEPTH, description="Links out")] = 1,
        relation: Annotated[list[str] | None, Query(
            max_length=20, description="Only these relations (repeat)")] = None,
        agency: Annotated[list[str] | None, Query(
            max_length=10, description="Only records of these agencies (repeat)")] = None,
        page_size: Annotated[int, Query(ge=1, le=MAX_PAGE,
                                        description="Links per entity")] = 20,
        cursor: Annotated[str | None, Query(max_length=1000,
                                            description="A hub's next page")] = None,
    ) -> Ask:
        return Ask.build(depth, relation, agency, page_size, cursor)

    @app.get("/api/v1/network/{entity_id}", tags=["network"])
    def network(
        entity_id: Annotated[str, _ID],
        user: Annotated[User, Depends(wiring.consulting)],
        reason: Annotated[Justification, Depends(wiring.why)],
        ask: Annotated[Ask, Depends(asked)],
        format: Annotated[Format, Query(description="json, gexf or csv")] = Format.JSON,
    ) -> Any:
        """The records around an entity the stated purpose may read, `depth` links out: nodes
        (entities and the phones, addresses… they share), links with their relation, each
        node's community and betweenness, the brokers, and for each hub cut short its
        `remaining` links and the `cursor` of its next page; `withheld` counts the links not
        shown as collected for purposes not compatible with the stated one."""
        with wiring.acting(user) as acting_node:
            view = Network(acting_node).neighbourhood(entity_id, reason, ask)
        return _answer(view, format)

    @app.get("/api/v1/network/{entity_id}/path/{other_id}", tags=["network"])
    def path(
        entity_id: Annotated[str, _ID],
        other_id: Annotated[str, _ID],
        user: Annotated[User, Depends(wiring.consulting)],
        reason: Annotated[Justification, Depends(wiring.why)],
        depth: Annotated[int, Query(ge=1, le=MAX_DEPTH,
                                    description="Links out from each end")] = MAX_DEPTH,
        relation: Annotated[list[str] | None, Query(max_length=20)] = None,
        agency: Annotated[list[str] | None, Query(max_length=10)] = None,
        format: Annotated[Format, Query(description="json, gexf or csv")] = Format.JSON,
    ) -> Any:
        """A shortest path between two entities (`path`: the node ids, both ends included),
        with the network both expansions found; 404 if there is none within the depth."""
        ask = Ask.build(depth, relation, agency, page_size=200)
        with wiring.acting(user) as acting_node:
            view = Network(acting_node).path(entity_id, other_id, reason, depth=depth, ask=ask)
        return _answer(view, format)


def _answer(view: NetworkView, fmt: Format) -> Any:
    if fmt is Format.JSON:
        return view.to_dict()
    if fmt is Format.GEXF:
        body = to_gexf(view)
    else:
        buffer = io.StringIO()
        from cruce._csvsafe import csv_writer

        writer = csv_writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(CSV_HEADER)
        writer.writerows(csv_rows(view))
        body = buffer.getvalue()
    name = f"network-{view.net.root}.{fmt.value}"
    return Response(body, media_type=_MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


__all__ = ["install_network"]
