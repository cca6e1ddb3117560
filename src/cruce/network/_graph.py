"""A neighbourhood as a graph: entity nodes, the values they share, and typed links; its
communities, brokers and shortest paths computed with igraph (C core: on a 500-node hub page
betweenness takes 11 ms against networkx's 700 ms, `bench/network_libraries.py`).

Edge records (a Membership, a Family) become links between their two ends; any other record
is a node, linked to the records it names; a phone, e-mail, identifier or address held by two
or more nodes becomes a value node (as FollowTheMoney's own graph reifies values) linked to
each. Only what is connected to the root is kept: a record read for a link it turned out not
to have (a phone number quoted in a note) is left out.
"""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import igraph as ig
from followthemoney.types import registry

from cruce.errors import NotFound
from cruce.network._expand import Neighbourhood
from cruce.network._relations import SAME_PERSON, relation_of, shares_values, value_relation
from cruce.records import Record

EXACT_BETWEENNESS = 1000  # above this many nodes, only paths of up to CUTOFF links count
CUTOFF = 3  # 5,000 nodes: 0.3 s with it, 8 s without
SEED = 7  # communities are the same on every run
_RANDOM = threading.Lock()  # igraph's random generator is the process's: one user at a time


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

    @property
    def names(self) -> list[str]:
        """Every node id, records first, in a stable order (igraph's vertex numbers)."""
        return [*sorted(self.records), *sorted(self.values)]

    def to_igraph(self) -> ig.Graph:
        """An undirected igraph of the same nodes and links (parallel links merged), its
        vertices named by `names`."""
        names = self.names
        index = {name: n for n, name in enumerate(names)}
        pairs = {tuple(sorted((index[k.source], index[k.target]))) for k in self.links}
        g = ig.Graph(n=len(names), edges=sorted(pairs))
        g.vs["name"] = names
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
    # An edge record asked for itself (a Membership) is the root node, linked to its ends.
    nodes = {i: r for i, r in net.records.items() if not r.entity.schema.edge or i == net.root}
    links: list[Link] = []
    holders: dict[tuple[str, str], set[str]] = defaultdict(set)
    for record in net.records.values():
        schema = record.entity.schema
        if schema.edge and record.id != net.root:
            links.extend(_edge_links(record, nodes, relations))
            continue
        for prop, value in record.entity.itervalues():
            if prop.type == registry.entity and value in nodes and value != record.id:
                relation = relation_of(schema, prop)
                if relation in relations:
                    links.append(Link(record.id, value, relation, None, prop.name))
            elif (value_relation(prop.type.name) in relations and not prop.hidden and
                  shares_values(schema)):
                holders[(prop.type.name, value)].add(record.id)
    same = {tuple(sorted((a, b))) for a, mates in net.same.items() for b in mates}
    links.extend(Link(a, b, SAME_PERSON, None, "linkage cluster")
                 for a, b in sorted(same) if a in nodes and b in nodes)
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
    g = graph.to_igraph()
    keep = {g.vs[v]["name"] for v in g.subcomponent(graph.names.index(graph.root))}
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
    """Louvain communities (igraph's multilevel) and betweenness centrality, normalised as
    networkx does (by the pairs of other nodes); above EXACT_BETWEENNESS nodes only shortest
    paths of up to CUTOFF links are counted (exact betweenness is O(nodes x links))."""
    g = graph.to_igraph()
    names: list[str] = g.vs["name"] if g.vcount() else []
    if g.ecount() == 0:
        return Analysis([[n] for n in names], dict.fromkeys(names, 0.0))
    with _RANDOM:
        ig.set_random_number_generator(random.Random(SEED))
        try:
            clusters = g.community_multilevel()
        finally:
            ig.set_random_number_generator(random)
    communities = sorted((sorted(names[v] for v in c) for c in clusters),
                         key=lambda c: (-len(c), c[0]))
    cutoff = CUTOFF if g.vcount() > EXACT_BETWEENNESS else None
    scores = g.betweenness(directed=False, cutoff=cutoff)
    n = g.vcount()
    scale = 2.0 / ((n - 1) * (n - 2)) if n > 2 else 0.0
    return Analysis(communities, {names[v]: float(b) * scale for v, b in enumerate(scores)})


def shortest_path(graph: Graph, source: str, target: str) -> list[str]:
    """The node ids on a shortest path from source to target (both included)."""
    names = graph.names
    if source in names and target in names:
        g = graph.to_igraph()
        route = g.get_shortest_path(names.index(source), to=names.index(target))
        if route:
            return [names[v] for v in route]
    raise NotFound(f"no path between {source!r} and {target!r} among the records the "
                   "stated purpose may read, within the depth asked")
