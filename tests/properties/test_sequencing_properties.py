"""Properties of ``sequencing.sequence`` over random acyclic policies and random chosen interventions."""

from __future__ import annotations

from collections import defaultdict

import networkx as nx
from hypothesis import given
from hypothesis import strategies as st

from matcher.planning.schedule import FINISH_TO_START, Slot, plan_graph, sequence
from tests.strategies import SequencingCase, sequencing_cases


def run(case: SequencingCase) -> tuple[list[Slot], list, list]:
    return sequence(case.choices, case.edges, case.switched_on, case.capacity, case.horizon)


def constraints(case: SequencingCase) -> dict[tuple[str, str], list[tuple[str, int]]]:
    found: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    for edge in case.edges:
        if not edge.conditional or edge.id in case.switched_on:
            for pair in edge.pairs:
                found[pair].append((edge.type, edge.lag_weeks))
    for choice in case.choices:
        for prerequisite in choice.intervention.prerequisites:
            found[(prerequisite, choice.intervention.id)].append((FINISH_TO_START, 0))
    return found


@given(case=sequencing_cases())
def test_the_precedence_graph_of_an_acyclic_policy_is_acyclic(case: SequencingCase) -> None:
    graph = plan_graph(case.choices, case.edges, case.switched_on)
    assert nx.is_directed_acyclic_graph(graph)
    assert set(graph) == {c.intervention.id for c in case.choices}
    assert set(graph.edges) == {
        pair for pair in constraints(case) if pair[0] in graph and pair[1] in graph
    }


@given(case=sequencing_cases())
def test_every_edge_lag_and_wait_is_respected(case: SequencingCase) -> None:
    slots, _, _ = run(case)
    placed = {s.choice.intervention.id: s for s in slots}
    aside = {(b, s.choice.intervention.id) for s in slots for b, _ in s.set_aside}
    for (before, after), rules in constraints(case).items():
        if before in placed and after in placed and (before, after) not in aside:
            a, b = placed[before], placed[after]
            assert before in b.after
            for kind, lag in rules:
                anchor = a.end_week if kind == FINISH_TO_START else a.start_week
                assert b.start_week >= anchor + lag, (before, after, kind, lag)
    for slot in slots:
        intervention = slot.choice.intervention
        assert slot.start_week >= intervention.wait_weeks
        assert slot.end_week == slot.start_week + intervention.duration_weeks


@given(case=sequencing_cases())
def test_only_a_policy_edge_holding_back_more_pressing_work_is_ever_set_aside(
    case: SequencingCase,
) -> None:
    slots, _, _ = run(case)
    placed = {s.choice.intervention.id: s for s in slots}
    prerequisites = {
        (p, c.intervention.id) for c in case.choices for p in c.intervention.prerequisites
    }
    for slot in slots:
        for before, edge_ids in slot.set_aside:
            assert placed[before].choice.rank > slot.choice.rank  # less pressing held it back
            assert (before, slot.choice.intervention.id) not in prerequisites
            assert before not in slot.after
            assert edge_ids  # named, for the warning
            assert slot.end_week <= case.horizon  # and setting it aside let it finish in time


@given(case=sequencing_cases())
def test_phase_is_one_more_than_the_latest_phase_before_it(case: SequencingCase) -> None:
    slots, _, _ = run(case)
    phase = {s.choice.intervention.id: s.phase for s in slots}
    for slot in slots:
        assert list(slot.after) == sorted(slot.after)
        expected = 1 + max((phase[b] for b in slot.after), default=0)
        assert slot.phase == expected


@given(case=sequencing_cases())
def test_capacity_is_never_exceeded(case: SequencingCase) -> None:
    slots, _, _ = run(case)
    weeks: dict[int, list[float]] = defaultdict(list)
    for slot in slots:
        for week in range(slot.start_week, slot.end_week):
            weeks[week].append(slot.choice.intervention.hours_per_week)
    for week, hours in weeks.items():
        assert len(hours) <= case.capacity.max_concurrent, week
        if len(hours) > 1:  # one intervention alone may need more hours than the limit
            assert sum(hours) <= case.capacity.max_hours_per_week, week


@given(case=sequencing_cases())
def test_only_mandated_work_ends_after_the_horizon_and_nothing_is_lost(
    case: SequencingCase,
) -> None:
    slots, dropped, overrunning = run(case)
    kept = [s.choice for s in slots]
    ids = lambda choices: sorted(c.intervention.id for c in choices)  # noqa: E731
    assert ids(kept + dropped) == ids(case.choices)
    assert not any(c.mandatory for c in dropped)
    assert ids(overrunning) == ids(s.choice for s in slots if s.end_week > case.horizon)
    assert all(c.mandatory for c in overrunning)


@given(case=sequencing_cases())
def test_without_a_horizon_nothing_is_dropped(case: SequencingCase) -> None:
    slots, dropped, overrunning = sequence(
        case.choices, case.edges, case.switched_on, case.capacity, 10_000
    )
    assert dropped == [] and overrunning == []
    assert len(slots) == len(case.choices)


@given(case=sequencing_cases(), data=st.data())
def test_sequence_is_deterministic_and_ignores_the_order_of_policy_edges(
    case: SequencingCase, data: st.DataObject
) -> None:
    first = run(case)
    assert run(case) == first
    edges = data.draw(st.permutations(case.edges))
    reordered = tuple(edges)
    again = sequence(case.choices, reordered, case.switched_on, case.capacity, case.horizon)
    assert again == first


@given(case=sequencing_cases())
def test_slots_are_listed_by_start_week_then_phase_then_rank(case: SequencingCase) -> None:
    slots, _, _ = run(case)
    keys = [(s.start_week, s.phase, s.choice.rank) for s in slots]
    assert keys == sorted(keys)
