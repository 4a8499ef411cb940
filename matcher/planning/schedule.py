"""Sequencing: the chosen interventions → a networkx precedence graph → phases and a week schedule.

Edges come from policy (rules/sequencing.yaml, switched on by rules where conditional) and from
catalogue prerequisites. The schedule honours every edge and lag, each intervention's waiting time
and the person's capacity (interventions at once, hours a week), and fits the sentence: what cannot
finish in time is dropped, least pressing first, except mandated work, which stays with a warning.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import networkx as nx

from matcher.model.catalogue import Intervention
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
    setting: str = ""
    # predecessors whose policy edge was set aside so this more pressing work finishes in time
    set_aside: tuple[tuple[str, str], ...] = ()  # (predecessor id, edge id)


@dataclass(frozen=True)
class Timing:
    """Where the person is: in custody until ``release_week`` (None: in the community already).

    Work offered only in custody must end by release; work offered only in the community starts
    after it; work offered in both starts inside if it can (through the gate) and runs on.
    """

    release_week: int | None
    custody: str  # the setting codes (rules/vocabulary.yaml)
    community: str
    # contracted work: (first, last) week it can start under the contracts where the person lives
    # (last None: no recorded end)
    contracted: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    waited: dict[str, int] = field(default_factory=dict)  # weeks already waited for a place

    def setting(self, intervention: Intervention, start: int) -> str:
        """Where work starting in week ``start`` is delivered."""
        if self.release_week is None or self.custody not in intervention.settings:
            return self.community
        if self.community not in intervention.settings or start < self.release_week:
            return self.custody
        return self.community

    def _community_only(self, intervention: Intervention) -> bool:
        return self.custody not in intervention.settings

    def earliest(self, choice: Choice) -> int:
        """The first week the work can start: after its wait, or now if already under way."""
        intervention = choice.intervention
        if choice.remaining_weeks is not None:
            return 0
        first = self.contracted.get(intervention.id, (0, None))[0]
        wait = max(intervention.wait_weeks - self.waited.get(intervention.id, 0), 0)
        if self.release_week is not None and self._community_only(intervention):
            return max(wait, self.release_week, first)
        return max(wait, first)

    def contract_ended(self, choice: Choice, start: int) -> bool:
        """Work starting in week ``start`` would start after its contracts end."""
        last = self.contracted.get(choice.intervention.id, (0, None))[1]
        return choice.remaining_weeks is None and last is not None and start > last

    def latest(self, intervention: Intervention, horizon: int) -> int:
        """The week by which the work must end: release for custody-only work, else the horizon."""
        if self.release_week is not None and self.community not in intervention.settings:
            return min(self.release_week, horizon)
        return horizon


IN_THE_COMMUNITY = Timing(None, "", "")  # no custody part: no windows beyond the sentence


def weeks_of(choice: Choice) -> int:
    """How long the work takes from its start in the plan: what is left of it if under way."""
    if choice.remaining_weeks is not None:
        return choice.remaining_weeks
    return choice.intervention.duration_weeks


def plan_graph(
    choices: list[Choice],
    edges: tuple[Edge, ...],
    switched_on: set[str],
    set_aside: frozenset[tuple[str, str]] = frozenset(),
) -> nx.DiGraph:
    """The precedence graph of the chosen interventions; each edge keeps its kind, lag and reasons.

    Where two policy edges join the same pair, each kind keeps its longest lag and both bind. Work
    already under way waits for nothing: no edge leads into it; a referral is an act, made at once,
    that holds nothing back. Policy edges between the pairs in ``set_aside`` are left out.
    """
    chosen = {c.intervention.id for c in choices}
    waits = {c.intervention.id for c in choices if c.remaining_weeks is None}
    acts = {c.intervention.id for c in choices if c.referral}  # made at once, hold nothing back
    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(chosen))
    for edge in edges:
        if edge.conditional and edge.id not in switched_on:
            continue
        befores = sorted((chosen - acts) & edge.before_ids)
        afters = sorted((waits - acts) & edge.after_ids) if befores else []
        for before, after in itertools.product(befores, afters):
            if before != after and (before, after) not in set_aside:
                _add(graph, before, after, edge.type, edge.lag_weeks, edge.id)
    for choice in [c for c in choices if c.intervention.id in waits]:
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
    choices: list[Choice],
    graph: nx.DiGraph,
    capacity: Capacity,
    timing: Timing = IN_THE_COMMUNITY,
) -> dict[str, tuple[int, int]]:
    """Start and end week of each intervention: earliest start after waits and edges, within capacity.

    Interventions are placed in one deterministic topological order, most pressing first.

    >>> schedule([], nx.DiGraph(), Capacity(2, 6))
    {}
    """
    # crisis work is placed first; then most pressing first
    rank = {c.intervention.id: (not c.urgent, index) for index, c in enumerate(choices)}
    by_id = {c.intervention.id: c for c in choices}
    load: dict[int, tuple[int, float]] = {}
    placed: dict[str, tuple[int, int]] = {}
    for node in nx.lexicographical_topological_sort(
        graph, key=lambda n: f"{rank[n][0]:d}{rank[n][1]:06d}"
    ):
        choice = by_id[node]
        intervention, weeks = choice.intervention, weeks_of(choice)
        earliest = timing.earliest(choice)
        for before in graph.predecessors(node):
            start, end = placed[before]
            data = graph.edges[before, node]
            for kind, lag in data.get("constraints", {data["type"]: data["lag"]}).items():
                earliest = max(earliest, (end if kind == FINISH_TO_START else start) + lag)
        if choice.remaining_weeks is not None:
            start = 0  # under way: it is happening now, whatever the capacity left
        elif choice.referral or choice.urgent:
            start = earliest  # an act takes no capacity; crisis work is never held back by it
        else:
            start = _first_fit(earliest, weeks, intervention.hours_per_week, load, capacity)
        placed[node] = (start, start + weeks)
        if choice.referral:
            continue
        for week in range(start, start + weeks):
            count, hours = load.get(week, (0, 0.0))
            load[week] = (count + 1, hours + intervention.hours_per_week)
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


@dataclass(frozen=True)
class _Fit:
    """What scheduling within the sentence holds fixed: policy's edges, capacity and the time."""

    edges: tuple[Edge, ...]
    switched_on: set[str]
    capacity: Capacity
    horizon: int
    timing: Timing

    def place(
        self, kept: list[Choice], aside: frozenset[tuple[str, str]]
    ) -> tuple[nx.DiGraph, dict[str, tuple[int, int]]]:
        graph = plan_graph(kept, self.edges, self.switched_on, aside)
        placed = schedule(kept, graph, self.capacity, self.timing)
        for c in kept:  # a referral is made at once: its duty runs on, but not in this plan
            if c.referral:
                start, end = placed[c.intervention.id]
                latest = self.timing.latest(c.intervention, self.horizon)
                placed[c.intervention.id] = (start, max(min(end, latest), start + 1))
        return graph, placed

    def too_late(self, c: Choice, placed: dict[str, tuple[int, int]]) -> bool:
        start, end = placed[c.intervention.id]
        late = end > self.timing.latest(c.intervention, self.horizon)
        return late or self.timing.contract_ended(c, start)


def sequence(
    choices: list[Choice],
    edges: tuple[Edge, ...],
    switched_on: set[str],
    capacity: Capacity,
    horizon: int,
    timing: Timing = IN_THE_COMMUNITY,
    ended: set[str] | None = None,
) -> tuple[list[Slot], list[Choice], list[Choice]]:
    """Schedule the choices within ``horizon`` weeks (and custody-only work before release).

    Returns (slots, dropped, overrunning fixed choices). Where the most pressing late work is held
    back by less pressing work through a policy edge that is not firm, that edge is set aside if
    that lets it finish in time (the slot says so). Otherwise work that would end too late, or
    start after its contracts end, is dropped, least pressing first, and the rest rescheduled;
    mandated work, work under way and referrals stay. The ids dropped because their contracts end
    go into ``ended``.
    """
    fit = _Fit(edges, switched_on, capacity, horizon, timing)
    kept, dropped = list(choices), []
    aside: dict[tuple[str, str], str] = {}  # (before, after) set aside → the edges' ids
    tried: set[str] = set()
    while True:
        graph, placed = fit.place(kept, frozenset(aside))
        late = [c for c in kept if fit.too_late(c, placed) and not c.fixed]
        if not late:
            break
        eased = _ease(fit, late, (graph, placed), kept, aside, tried)
        if eased is not None:  # a precedence set aside lets more pressing work finish in time
            aside = eased
            continue
        worst = max(late, key=lambda c: c.rank)
        kept.remove(worst)
        dropped.append(worst)
        tried.clear()  # with less in the plan, what was tried may now be eased
        if ended is not None and timing.contract_ended(worst, placed[worst.intervention.id][0]):
            ended.add(worst.intervention.id)
    slots = _slots(kept, graph, placed, timing, aside)
    # a referral is made at once: never reported as overrunning, even with no weeks left
    return slots, dropped, [c for c in kept if fit.too_late(c, placed) and not c.referral]


def _ease(
    fit: _Fit,
    late: list[Choice],
    placement: tuple[nx.DiGraph, dict[str, tuple[int, int]]],
    kept: list[Choice],
    aside: dict[tuple[str, str], str],
    tried: set[str],
) -> dict[tuple[str, str], str] | None:
    """The precedences to set aside so that late work, most pressing first, finishes in time:
    one pair if one will do (the one that binds latest first), else all that hold it back by
    policy edges from less pressing work; None if none helps. Each late piece is tried once."""
    graph, placed = placement
    for choice in sorted(late, key=lambda c: c.rank):
        if choice.intervention.id in tried:
            continue
        tried.add(choice.intervention.id)
        options = _yielding(choice, graph, kept, fit.edges)
        binding = sorted(options, key=lambda pair: (-_bound(graph, placed, pair), pair))
        for pairs in [*([pair] for pair in binding), list(options)] if options else []:
            trial = {**aside, **{pair: options[pair] for pair in pairs}}
            if not fit.too_late(choice, fit.place(kept, frozenset(trial))[1]):
                return trial
    return None


def _bound(graph: nx.DiGraph, placed: dict[str, tuple[int, int]], pair: tuple[str, str]) -> int:
    """The earliest start an edge allows its later item (the week it binds)."""
    data = graph.edges[pair]
    start, end = placed[pair[0]]
    constraints: dict[str, int] = data.get("constraints", {data["type"]: data["lag"]})
    return max((end if k == FINISH_TO_START else start) + lag for k, lag in constraints.items())


def _slots(
    kept: list[Choice],
    graph: nx.DiGraph,
    placed: dict[str, tuple[int, int]],
    timing: Timing,
    aside: dict[tuple[str, str], str],
) -> list[Slot]:
    phase, held = phases(graph), {c.intervention.id for c in kept}
    slots = []
    for c in kept:
        node = c.intervention.id
        set_aside = sorted((b, e) for (b, a), e in aside.items() if a == node and b in held)
        slots.append(
            Slot(
                c,
                phase[node],
                *placed[node],
                tuple(sorted(graph.predecessors(node))),
                timing.setting(c.intervention, placed[node][0]),
                tuple(set_aside),
            )
        )
    slots.sort(key=lambda s: (s.start_week, s.phase, s.choice.rank))
    return slots


def _yielding(
    late: Choice, graph: nx.DiGraph, kept: list[Choice], edges: tuple[Edge, ...]
) -> dict[tuple[str, str], str]:
    """How less pressing work holds ``late`` back by policy edges that may be set aside (not
    firm ones, never a catalogue prerequisite): (before, after) → the edges' ids."""
    rank = {c.intervention.id: c.rank for c in kept}
    firm = {e.id for e in edges if e.firm}
    node = late.intervention.id
    found = {}
    for before in graph.predecessors(node):
        reasons = graph.edges[before, node]["reasons"]
        if rank[before] <= late.rank or any(
            r in firm or r.endswith(".prerequisites") for r in reasons
        ):
            continue  # as pressing or more, or a precedence that always stands
        found[(before, node)] = ", ".join(reasons)
    return found


def effective_capacity(
    default: Capacity, rules: tuple[CapacityRule, ...], fired: list[str]
) -> Capacity:
    """The tightest capacity among the default and every capacity rule that fired."""
    limits = [default] + [r.capacity for r in rules if r.id in fired]
    return Capacity(
        min(c.max_concurrent for c in limits), min(c.max_hours_per_week for c in limits)
    )
