"""The union graph: every precedence any assessment could switch on, pair by pair, for views."""

from __future__ import annotations

import networkx as nx

from matcher.model.catalogue import Intervention
from matcher.model.policy import Edge


def union_graph(edges: list[Edge], catalogue: dict[str, Intervention]) -> nx.DiGraph:
    """Every precedence any assessment could switch on, plus catalogue prerequisites.

    Each graph edge keeps ``places``: (what made it, file, line) for every policy line behind it.
    """
    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(catalogue))
    for edge in edges:
        for before, after in edge.pairs:
            graph.add_edge(before, after)
            graph.edges[before, after].setdefault("places", []).append(
                (edge.id, edge.file, edge.line)
            )
    for intervention in catalogue.values():
        for prerequisite in intervention.prerequisites:
            if prerequisite in catalogue:
                graph.add_edge(prerequisite, intervention.id)
                graph.edges[prerequisite, intervention.id].setdefault("places", []).append(
                    (f"prerequisite of {intervention.id}", intervention.file, intervention.line)
                )
    return graph
