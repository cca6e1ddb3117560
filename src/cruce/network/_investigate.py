"""The network investigation facade: a neighbourhood with its analysis, and shortest paths.

    >>> from cruce import Node
    >>> from cruce.audit import Justification
    >>> node = Node.open(":memory:", agency="hn_police")
    >>> Network(node).neighbourhood("hn_police-x", Justification("gangs_organized_crime",
    ...     case_reference="HN-1"))
    Traceback (most recent call last):
    cruce.errors.NotFound: no record with id 'hn_police-x'
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from cruce.audit import Justification
from cruce.network._expand import MAX_DEPTH, Ask, Expansion, Neighbourhood
from cruce.network._graph import Analysis, Graph, analyse, graph_of, shortest_path

if TYPE_CHECKING:
    from cruce._node import Node

PATH_PAGE = 200  # links per entity while looking for a path: wider than a page on screen


@dataclass(frozen=True)
class NetworkView:
    """A neighbourhood, its graph and its analysis, as the API and `cruce network` give it."""

    net: Neighbourhood
    graph: Graph
    analysis: Analysis
    path: list[str] | None = None

    @property
    def edge_records(self) -> list[str]:
        """The edge records (Memberships, Families…) the graph's links come from."""
        return sorted({k.via for k in self.graph.links if k.via is not None})

    def to_dict(self) -> dict[str, Any]:
        """The document of `GET /api/v1/network/{entity_id}` and `--format json`: nodes and
        links with their analysis, the hubs cut short (`more`: remaining and cursor), the
        count withheld, and `entities`: every record shown, as FtM JSON with its envelope."""
        net, graph = self.net, self.graph
        community = {n: i for i, c in enumerate(self.analysis.communities) for n in c}
        nodes = [{**graph.node_dict(n, net.level), "community": community.get(n),
                  "betweenness": round(self.analysis.betweenness.get(n, 0.0), 6)}
                 for n in sorted([*graph.records, *graph.values])]
        shown = [*sorted(graph.records), *self.edge_records]
        data: dict[str, Any] = {
            "entity_id": net.root, "depth": net.ask.depth,
            "relations": sorted(net.ask.relations),
            "agencies": list(net.ask.agencies) if net.ask.agencies else None,
            "page_size": net.ask.page_size,
            "nodes": nodes, "links": [k.to_dict() for k in graph.links],
            "more": [{"entity_id": i, "remaining": m.remaining, "cursor": m.cursor}
                     for i, m in sorted(net.more.items()) if i in community],
            "withheld": net.withheld, "truncated": net.is_truncated,
            "communities": self.analysis.communities, "brokers": self.analysis.brokers(),
            "entities": [net.records[i].to_dict() for i in shown],
        }
        if self.path is not None:
            data["path"] = self.path
        return data


class Network:
    """Network investigation on a node, for the user it acts for (`node.as_user`)."""

    def __init__(self, node: Node) -> None:
        self.node = node

    def neighbourhood(self, entity_id: str, why: Justification,
                      ask: Ask | None = None) -> NetworkView:
        """The records around an entity the stated purpose may read, `ask.depth` links deep;
        every level a logged consultation under `why`."""
        net = Expansion(self.node, why, ask or Ask()).run(entity_id)
        graph = graph_of(net)
        return NetworkView(net, graph, analyse(graph))

    def path(self, source: str, target: str, why: Justification, *, depth: int = MAX_DEPTH,
             ask: Ask | None = None) -> NetworkView:
        """A shortest path of at most `2 * depth` links from source to target: both expanded
        `depth` deep (with pages of PATH_PAGE links), met in the middle; NotFound if none."""
        base = replace(ask or Ask(page_size=PATH_PAGE), depth=depth, cursor=None)
        left = Expansion(self.node, why, base).run(source)
        right = Expansion(self.node, why, base).run(target)
        both = Neighbourhood(left.root, base, {**right.records, **left.records},
                             {**right.level, **left.level}, {**right.more, **left.more},
                             {**right.same, **left.same}, left.withheld + right.withheld,
                             left.is_truncated or right.is_truncated)
        graph = graph_of(both)
        route = shortest_path(graph, left.root, right.root)
        return NetworkView(both, graph, analyse(graph), route)
