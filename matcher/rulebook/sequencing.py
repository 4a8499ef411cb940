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
) -> tuple[Edge, ...]:
    """Every edge of rules/sequencing.yaml (a cycle in the union graph is a Problem)."""
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
    _check_acyclic(edges, catalogue, problems)
    return tuple(edges)


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
        before_ids=frozenset(i.id for i in before),
        after_ids=frozenset(i.id for i in after),
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


def _check_acyclic(
    edges: list[Edge], catalogue: dict[str, Intervention], problems: list[Problem]
) -> None:
    """A cycle anywhere in the union graph is a load error naming each edge, its file and line.

    Checked on a graph linear in the catalogue, without the union graph's pairs (their number is
    quadratic): each policy edge is a hub node that every intervention it starts from leads into
    and that leads into every intervention it holds back. Nothing precedes itself, so an
    intervention on both sides of one edge gets a hub of its own leading to the others. A cycle
    through the hubs is then a cycle of the union graph and the other way round (no two hubs are
    joined)."""
    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(catalogue))
    for index, edge in enumerate(edges):
        both = edge.before_ids & edge.after_ids
        sides = [(edge.before_ids - both, edge.after_ids)]
        sides += [(frozenset([one]), edge.after_ids - {one}) for one in sorted(both)]
        for part, (before, after) in enumerate(sides):
            hub = ("edge", index, part)
            graph.add_edges_from((b, hub) for b in sorted(before))
            graph.add_edges_from((hub, a) for a in sorted(after))
    prerequisite = {}
    for intervention in catalogue.values():
        for first in intervention.prerequisites:
            if first in catalogue:
                graph.add_edge(first, intervention.id)
                where = (f"prerequisite of {intervention.id}", intervention.file, intervention.line)
                prerequisite[first, intervention.id] = where
    if nx.is_directed_acyclic_graph(graph):  # one linear pass; finding the cycle is slower
        return
    # the cycle's interventions in order (hubs left out), from wherever find_cycle started
    order = [u for u, _, *_ in nx.find_cycle(graph) if not isinstance(u, tuple)]
    steps = []  # (before, after, every policy line joining them)
    for u, after in zip(order, [*order[1:], order[0]], strict=True):
        places = [
            (e.id, e.file, e.line)
            for e in edges
            if u in e.before_ids and after in e.after_ids and u != after
        ]
        places += [prerequisite[u, after]] if (u, after) in prerequisite else []
        steps.append((u, after, places))
    said = "; ".join(
        f"{u} → {v} (by {', '.join(f'{what} at {file}:{line}' for what, file, line in places)})"
        for u, v, places in steps
    )
    _, file, line = min((p for *_, places in steps for p in places), key=lambda p: (p[1], p[2]))
    problems.append(
        Problem(
            file, line, f"the sequencing graph has a cycle, so no order could satisfy it: {said}"
        )
    )
