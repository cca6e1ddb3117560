"""Network investigation: an entity's neighbourhood across agencies (records and shares
received), read as the user may read records directly and logged as consultations; its
communities, brokers and shortest paths (networkx); GEXF, JSON and CSV exports.

    network = Network(node.as_user("ana", "analyst"))
    view = network.neighbourhood(entity_id, why, Ask.build(depth=2, relations=["membership"]))
    write_network(view, Format.GEXF, Path("net.gexf"))
"""

from __future__ import annotations

from cruce.network._expand import MAX_DEPTH, MAX_PAGE, Ask, More, Neighbourhood
from cruce.network._export import Format, write_network
from cruce.network._graph import Graph, Link
from cruce.network._investigate import Network, NetworkView
from cruce.network._relations import RELATIONS

__all__ = [
    "MAX_DEPTH",
    "MAX_PAGE",
    "RELATIONS",
    "Ask",
    "Format",
    "Graph",
    "Link",
    "More",
    "Neighbourhood",
    "Network",
    "NetworkView",
    "write_network",
]
