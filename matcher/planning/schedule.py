"""Sequencing: the chosen interventions → a networkx precedence graph → phases and a week schedule.

Edges come from policy (rules/sequencing.yaml, switched on by rules where conditional) and from
catalogue prerequisites. The schedule honours every edge and lag, each intervention's waiting time
and the person's capacity (interventions at once, hours a week), and fits the sentence: what cannot
finish in time is dropped, least pressing first, except mandated work, which stays with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from matcher.model.policy import Capacity, CapacityRule, Edge
from matcher.planning.choices import Choice

FINISH_TO_START = "finish_to_start"


@dataclass(frozen=True)
class Slot:
    """Where one chosen intervention sits in the plan."""

    choice: Choice
    phase: int
    start_week: int
    end_week: int
    after: tuple[str, ...]


def plan_graph(choices: list[Choice], edges: tuple[Edge, ...], switched_on: set[str]) -> nx.DiGraph:
    """The precedence graph of the chosen interventions; each edge keeps its kind, lag and reasons.

    Where two policy edges join the same pair, each kind keeps its longest lag and both bind.
    """
    chosen = {c.intervention.id for c in choices}
    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(chosen))
    for edge in edges:
        if edge.conditional and edge.id not in switched_on:
            continue
        for before, after in edge.pairs:
            if before in chosen and after in chosen:
                _add(graph, before, after, edge.type, edge.lag_weeks, edge.id)
    for choice in choices:
        for prerequisite in choice.intervention.prerequisites:
            if prerequisite in chosen:
                _add(
                    graph,
                    prerequisite,
                    choice.intervention.id,
                    FINISH_TO_START,
                    0,
                    f"{choice.intervention.id}.prerequisites",  # the catalogue field behind it
                )
    return graph


def _add(graph: nx.DiGraph, before: str, after: str, kind: str, lag: int, reason: str) -> None:
    """Join ``before`` → ``after``. Every kind of edge joining one pair is kept with its longest lag
    (``constraints``), since a long start-to-start lag can bind harder than a finish-to-start edge;
    ``type`` and ``lag`` name the headline edge (finish-to-start over start-to-start, then lag)."""
    if not graph.has_edge(before, after):
        graph.add_edge(before, after, type=kind, lag=lag, reasons=[reason], constraints={kind: lag})
        return
    data = graph.edges[before, after]
    data["reasons"] = sorted({*data["reasons"], reason})
    data["constraints"][kind] = max(lag, data["constraints"].get(kind, lag))
    if (kind == FINISH_TO_START, lag) > (data["type"] == FINISH_TO_START, data["lag"]):
        data.update(type=kind, lag=lag)


def schedule(
    choices: list[Choice], graph: nx.DiGraph, capacity: Capacity
) -> dict[str, tuple[int, int]]:
    """Start and end week of each intervention: earliest start after waits and edges, within capacity.

    Interventions are placed in one deterministic topological order, most pressing first.

    >>> schedule([], nx.DiGraph(), Capacity(2, 6))
    {}
    """
    rank = {c.intervention.id: index for index, c in enumerate(choices)}
    by_id = {c.intervention.id: c for c in choices}
    load: dict[int, tuple[int, float]] = {}
    placed: dict[str, tuple[int, int]] = {}
    for node in nx.lexicographical_topological_sort(graph, key=lambda n: f"{rank[n]:06d}"):
        intervention = by_id[node].intervention
        earliest = intervention.wait_weeks
        for before in graph.predecessors(node):
            start, end = placed[before]
            data = graph.edges[before, node]
            for kind, lag in data.get("constraints", {data["type"]: data["lag"]}).items():
                earliest = max(earliest, (end if kind == FINISH_TO_START else start) + lag)
        start = _first_fit(
            earliest, intervention.duration_weeks, intervention.hours_per_week, load, capacity
        )
        for week in range(start, start + intervention.duration_weeks):
            count, hours = load.get(week, (0, 0.0))
            load[week] = (count + 1, hours + intervention.hours_per_week)
        placed[node] = (start, start + intervention.duration_weeks)
    return placed


def _first_fit(
    earliest: int, weeks: int, hours: float, load: dict[int, tuple[int, float]], capacity: Capacity
) -> int:
    start = earliest
    while True:
        clash = next(
            (
                w
                for w in range(start, start + weeks)
                if load.get(w, (0, 0.0))[0]
                and (
                    load[w][0] >= capacity.max_concurrent
                    or load[w][1] + hours > capacity.max_hours_per_week
                )
            ),
            None,
        )
        if clash is None:
            return start
        start = clash + 1


def phases(graph: nx.DiGraph) -> dict[str, int]:
    """Each node's topological generation, from 1.

    >>> phases(nx.DiGraph([("a", "b"), ("b", "c"), ("a", "c")]))
    {'a': 1, 'b': 2, 'c': 3}
    """
    return {
        node: index
        for index, generation in enumerate(nx.topological_generations(graph), 1)
        for node in sorted(generation)
    }


def sequence(
    choices: list[Choice],
    edges: tuple[Edge, ...],
    switched_on: set[str],
    capacity: Capacity,
    horizon: int,
) -> tuple[list[Slot], list[Choice], list[Choice]]:
    """Schedule the choices within ``horizon`` weeks.

    Returns (slots, dropped, overrunning mandated choices). A non-mandated intervention that would
    end after the horizon is dropped, least pressing first, and the rest rescheduled.
    """
    kept = list(choices)
    dropped: list[Choice] = []
    while True:
        graph = plan_graph(kept, edges, switched_on)
        placed = schedule(kept, graph, capacity)
        late = [c for c in kept if placed[c.intervention.id][1] > horizon and not c.mandatory]
        if not late:
            break
        worst = max(late, key=lambda c: c.rank)
        kept.remove(worst)
        dropped.append(worst)
    phase = phases(graph)
    slots = [
        Slot(
            c,
            phase[c.intervention.id],
            *placed[c.intervention.id],
            tuple(sorted(graph.predecessors(c.intervention.id))),
        )
        for c in kept
    ]
    slots.sort(key=lambda s: (s.start_week, s.phase, s.choice.rank))
    overrunning = [c for c in kept if placed[c.intervention.id][1] > horizon]
    return slots, dropped, overrunning


def effective_capacity(
    default: Capacity, rules: tuple[CapacityRule, ...], fired: list[str]
) -> Capacity:
    """The tightest capacity among the default and every capacity rule that fired."""
    limits = [default] + [r.capacity for r in rules if r.id in fired]
    return Capacity(
        min(c.max_concurrent for c in limits), min(c.max_hours_per_week for c in limits)
    )
