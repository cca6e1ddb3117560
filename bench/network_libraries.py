"""networkx against igraph on the analysis a network view runs: betweenness (exact) and
communities (Louvain / igraph's multilevel, the same method), on graphs shaped like cruce's
neighbourhoods: a hub page (a star), and a gang network of cliques joined by brokers.

    .venv/bin/python bench/network_libraries.py
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import igraph as ig
import networkx as nx


def star(n: int) -> nx.Graph:
    return nx.star_graph(n)


def cliques(n: int) -> nx.Graph:
    """Cliques of 8 (clicas), each member linked to one or two others elsewhere."""
    rng = random.Random(1)
    g = nx.Graph()
    groups = [list(range(i, min(i + 8, n))) for i in range(0, n, 8)]
    for group in groups:
        g.add_edges_from((a, b) for a in group for b in group if a < b)
    for v in range(n):
        g.add_edge(v, rng.randrange(n))
    g.remove_edges_from(nx.selfloop_edges(g))
    return g


def best_ms(run: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return min(times)


def timings(g: nx.Graph) -> list[float | None]:
    """networkx and igraph on one graph (networkx's exact betweenness skipped above 2,000
    nodes: 446 s on the 5,000-node graph, measured once)."""
    h = ig.Graph(n=g.number_of_nodes(), edges=list(g.edges()))
    repeat = 1 if g.number_of_nodes() > 1000 else 3
    slow = g.number_of_nodes() > 2000
    return [None if slow else best_ms(lambda: nx.betweenness_centrality(g), repeat),
            best_ms(lambda: h.betweenness(directed=False)),
            best_ms(lambda: nx.community.louvain_communities(g, seed=7), repeat),
            best_ms(lambda: h.community_multilevel())]


def main() -> None:
    print("| graph | nodes | links | networkx betweenness ms | igraph betweenness ms | "
          "networkx Louvain ms | igraph multilevel ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, make, n in (("hub page", star, 100), ("hub page", star, 500),
                          ("clicas", cliques, 500), ("clicas", cliques, 2000),
                          ("clicas", cliques, 5000)):
        g = make(n)
        row = timings(g)
        print(f"| {name} | {g.number_of_nodes():,} | {g.number_of_edges():,} | "
              + " | ".join("-" if v is None else f"{v:,.1f}" for v in row) + " |")

if __name__ == "__main__":
    main()
