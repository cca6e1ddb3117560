"""A neighbourhood as a graph: entity nodes, the values they share, and typed links; its
communities, brokers and shortest paths computed with networkx.

Edge records (a Membership, a Family) become links between their two ends; any other record
is a node, linked to the records it names; a phone, e-mail, identifier or address held by two
or more nodes becomes a value node (as FollowTheMoney's own graph reifies values) linked to
each. Only what is connected to the root is kept: a record read for a link it turned out not
to have (a phone number quoted in a note) is left out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from followthemoney.types import registry

from cruce.errors import NotFound
from cruce.network._expand import Neighbourhood
from cruce.network._relations import relation_of, value_relation
from cruce.records import Record

BETWEENNESS_SAMPLE = 500  # above this many nodes, betweenness is estimated from a sample
SEED = 7  # communities and sampled betweenness are the same on every run


@dataclass(frozen=True, slots=True)
class Link:
    """A link from `source` to `target`: its relation, the edge record it comes from (None:
    a reference or a shared value) and the property or value that makes it."""

    source: str
    target: str
    relation: str
    via: str | None = None
    label: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "relation": self.relation,
                "via": self.via, "label": self.label}


@dataclass
class Graph:
    """Nodes (entity records and shared values) and the links between them."""

    root: str
    records: dict[str, Record]
    values: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (type, value)
    links: list[Link] = field(default_factory=list)

    def to_nx(self) -> Any:
        """An undirected networkx graph of the same nodes and links (parallel links merged)."""
        g = nx.Graph()
        g.add_nodes_from([*self.records, *self.values])
        g.add_edges_from((link.source, link.target) for link in self.links)
        return g

    def node_dict(self, node_id: str, level: dict[str, int]) -> dict[str, Any]:
        record = self.records.get(node_id)
        if record is None:
            kind, value = self.values[node_id]
            return {"id": node_id, "kind": kind, "caption": value}
        env = record.envelope
        return {"id": node_id, "kind": "entity", "schema": record.schema,
                "caption": record.caption, "agency": env.agency, "tlp": str(env.tlp),
                "handling_code": str(env.handling_code),
                "subject_category": str(env.subject_category) if env.subject_category else None,
                "level": level.get(node_id)}


def graph_of(net: Neighbourhood) -> Graph:
    """The graph of a neighbourhood, limited to what is connected to its root."""
    relations = net.ask.relations
    nodes = {i: r for i, r in net.records.items() if not r.entity.schema.edge}
    links: list[Link] = []
    holders: dict[tuple[str, str], set[str]] = defaultdict(set)
    for record in net.records.values():
        schema = record.entity.schema
        if schema.edge:
            links.extend(_edge_links(record, nodes, relations))
            continue
        for prop, value in record.entity.itervalues():
            if prop.type == registry.entity and value in nodes and value != record.id:
                relation = relation_of(schema, prop)
                if relation in relations:
                    links.append(Link(record.id, value, relation, None, prop.name))
            elif value_relation(prop.type.name) in relations and not prop.hidden:
                holders[(prop.type.name, value)].add(record.id)
    values: dict[str, tuple[str, str]] = {}
    for (kind, value), held in sorted(holders.items()):
        if len(held) > 1:
            value_id = f"{kind}:{value}"
            values[value_id] = (kind, value)
            relation = str(value_relation(kind))
            links.extend(Link(h, value_id, relation, None, value) for h in sorted(held))
    return _connected(Graph(net.root, nodes, values, list(dict.fromkeys(links))))


def _edge_links(edge: Record, nodes: dict[str, Record],
                relations: frozenset[str]) -> list[Link]:
    schema = edge.entity.schema
    relation = relation_of(schema)
    if relation not in relations or schema.source_prop is None or schema.target_prop is None:
        return []
    return [Link(s, t, relation, edge.id, schema.name)
            for s in edge.entity.get(schema.source_prop) if s in nodes
            for t in edge.entity.get(schema.target_prop) if t in nodes and t != s]


def _connected(graph: Graph) -> Graph:
    g = graph.to_nx()
    keep = nx.node_connected_component(g, graph.root) if graph.root in g else {graph.root}
    return Graph(graph.root, {i: r for i, r in graph.records.items() if i in keep},
                 {i: v for i, v in graph.values.items() if i in keep},
                 [k for k in graph.links if k.source in keep and k.target in keep])


@dataclass(frozen=True, slots=True)
class Analysis:
    """Communities (largest first, each sorted) and every node's betweenness (normalised)."""

    communities: list[list[str]]
    betweenness: dict[str, float]

    def brokers(self, top: int = 10) -> list[dict[str, Any]]:
        """The nodes most often on the shortest paths between others."""
        ranked = sorted(self.betweenness.items(), key=lambda kv: (-kv[1], kv[0]))
        return [{"id": i, "betweenness": round(b, 6)} for i, b in ranked[:top] if b > 0]


def analyse(graph: Graph) -> Analysis:
    """Louvain communities and betweenness centrality (sampled above BETWEENNESS_SAMPLE
    nodes: exact betweenness is O(nodes x links))."""
    g = graph.to_nx()
    if g.number_of_edges() == 0:
        return Analysis([[n] for n in sorted(g.nodes)], dict.fromkeys(g.nodes, 0.0))
    found = nx.community.louvain_communities(g, seed=SEED)
    communities = sorted((sorted(c) for c in found), key=lambda c: (-len(c), c[0]))
    k = BETWEENNESS_SAMPLE if g.number_of_nodes() > BETWEENNESS_SAMPLE else None
    betweenness = nx.betweenness_centrality(g, k=k, seed=SEED if k else None)
    return Analysis(communities, {str(n): float(b) for n, b in betweenness.items()})


def shortest_path(graph: Graph, source: str, target: str) -> list[str]:
    """The node ids on a shortest path from source to target (both included)."""
    g = graph.to_nx()
    try:
        return [str(n) for n in nx.shortest_path(g, source, target)]
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        raise NotFound(f"no path between {source!r} and {target!r} among the records the "
                       "stated purpose may read, within the depth asked") from None

