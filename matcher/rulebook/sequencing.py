"""rules/sequencing.yaml → Edges, and the union graph every assessment could switch on, checked
acyclic. Conditional edges become last-stage rules so durable_rules decides when they apply."""

from __future__ import annotations

from typing import Any

import networkx as nx

from matcher.model.catalogue import Intervention
from matcher.model.errors import Problem
from matcher.model.policy import Edge
from matcher.model.rules import Outcome, RuleFiles
from matcher.model.vocabulary import Vocabulary, suggest
from matcher.rulebook.fields import add_policy_rule
from matcher.rulebook.selectors import EDGE_SELECTORS, describe_selector, matches_edge_selector
from matcher.rulebook.shapes import EdgeSpec
from matcher.rulebook.sources import LineDict, Sources, document, line_of, section, validated

SEQUENCING_FILE = "rules/sequencing.yaml"
EDGE_TYPES = ("finish_to_start", "start_to_start")


def load_sequencing(
    sources: Sources,
    vocabulary: Vocabulary,
    catalogue: dict[str, Intervention],
    rule_files: RuleFiles,
    problems: list[Problem],
) -> tuple[tuple[Edge, ...], nx.DiGraph]:
    """Every edge of rules/sequencing.yaml, and the union graph (a cycle in it is a Problem)."""
    doc = document(sources, SEQUENCING_FILE, problems)
    stage = max([r.stage for r in rule_files.rules] + [1])
    edges = []
    for index, raw in enumerate(section(doc, "edges", list, SEQUENCING_FILE, problems)):
        edge = _edge(raw, index, doc, catalogue, vocabulary, problems)
        if edge is None:
            continue
        edges.append(edge)
        if edge.conditional:
            add_policy_rule(
                rule_files,
                vocabulary,
                problems,
                stage,
                (edge.id, edge.rationale, edge.source),
                raw.get("when"),
                (SEQUENCING_FILE, edge.line),
                Outcome("switch", code=edge.id),
            )
    graph = union_graph(edges, catalogue)
    _check_acyclic(graph, problems)
    return tuple(edges), graph


def _edge(
    raw: Any,
    index: int,
    doc: LineDict,
    catalogue: dict[str, Intervention],
    vocabulary: Vocabulary,
    problems: list[Problem],
) -> Edge | None:
    line = line_of(doc, "edges", index)
    name = raw.get("id", f"#{index + 1}") if isinstance(raw, dict) else f"#{index + 1}"
    if not _has_known_type(raw, index, name, doc, problems):
        return None
    spec = validated(
        EdgeSpec, raw, SEQUENCING_FILE, doc, ("edges", index), f"edge {name!r}", problems
    )
    if spec is None:
        return None
    _check_selectors(spec, line, vocabulary, problems)
    before = [i for i in catalogue.values() if matches_edge_selector(i, spec.before)]
    after = [i for i in catalogue.values() if matches_edge_selector(i, spec.after)]
    return Edge(
        id=f"sequencing.{spec.id}",
        type=spec.type,
        lag_weeks=spec.lag_weeks,
        rationale=" ".join(spec.rationale.split()),
        source=spec.source,
        file=SEQUENCING_FILE,
        line=line,
        conditional=spec.when is not None,
        pairs=tuple(sorted({(b.id, a.id) for b in before for a in after if a.id != b.id})),
        before=describe_selector(spec.before),
        after=describe_selector(spec.after),
        firm=spec.firm,
    )


def _has_known_type(
    raw: Any, index: int, name: Any, doc: LineDict, problems: list[Problem]
) -> bool:
    """False (and a Problem suggesting a known type) when the edge names an unknown type."""
    if isinstance(raw, dict) and raw.get("type") not in (None, *EDGE_TYPES):
        problems.append(
            Problem(
                SEQUENCING_FILE,
                line_of(doc, "edges", index, "type"),
                f"edge {name!r}: unknown type {raw['type']!r}",
                suggest(raw["type"], EDGE_TYPES),
            )
        )
        return False
    return True


def _check_selectors(
    spec: EdgeSpec, line: int, vocabulary: Vocabulary, problems: list[Problem]
) -> None:
    """Report unknown selectors, and unknown need areas in 'needs', on either side of an edge."""
    for side in (spec.before, spec.after):
        for key, value in side.items():
            if key not in EDGE_SELECTORS:
                problems.append(
                    Problem(
                        SEQUENCING_FILE,
                        line,
                        f"edge {spec.id!r}: unknown selector {key!r}",
                        suggest(key, EDGE_SELECTORS),
                    )
                )
            elif key == "needs":
                for area in value if isinstance(value, list) else [value]:
                    if area not in vocabulary.need_areas:
                        problems.append(
                            Problem(
                                SEQUENCING_FILE,
                                line,
                                f"edge {spec.id!r}: unknown need area {area!r}",
                                suggest(str(area), vocabulary.need_areas),
                            )
                        )


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


def _check_acyclic(graph: nx.DiGraph, problems: list[Problem]) -> None:
    """A cycle anywhere in the union graph is a load error naming each edge, its file and line."""
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return
    places = [place for u, v, *_ in cycle for place in graph.edges[u, v]["places"]]
    steps = "; ".join(
        f"{u} → {v} (by {', '.join(f'{what} at {file}:{line}' for what, file, line in graph.edges[u, v]['places'])})"
        for u, v, *_ in cycle
    )
    _, file, line = min(places, key=lambda p: (p[1], p[2]))
    problems.append(
        Problem(
            file, line, f"the sequencing graph has a cycle, so no order could satisfy it: {steps}"
        )
    )
