"""sequencing.py with hand-built choices and policies: edges, lags, waits, capacity, fitting, ties."""

from __future__ import annotations

from dataclasses import replace

import networkx as nx

from matcher.model.policy import Capacity, CapacityRule, Edge
from matcher.planning.schedule import effective_capacity, phases, plan_graph, schedule, sequence
from tests.strategies import make_choice, make_edge, make_intervention

ROOMY = Capacity(10, 40)


def policy_edges(edges: tuple[Edge, ...]) -> tuple[Edge, ...]:
    """The sequencing policy a test plans with: just its edges."""
    return edges


def choices(*specs: tuple, mandatory: tuple[str, ...] = ()) -> list:
    """(id, duration, wait, hours[, prerequisites]) → ranked choices, most pressing first."""
    found = []
    for index, spec in enumerate(specs):
        intervention_id, duration, wait, hours, *rest = spec
        intervention = make_intervention(
            intervention_id,
            "accommodation",
            duration_weeks=duration,
            wait_weeks=wait,
            hours_per_week=hours,
            prerequisites=tuple(rest[0]) if rest else (),
        )
        found.append(make_choice(intervention, index, intervention_id in mandatory))
    return found


def weeks(
    picked: list, policy: tuple[Edge, ...], capacity: Capacity = ROOMY
) -> dict[str, tuple[int, int]]:
    return schedule(picked, plan_graph(picked, policy, set()), capacity)


def test_finish_to_start_starts_after_the_end_plus_the_lag() -> None:
    picked = choices(("a", 4, 1, 1), ("b", 3, 0, 1))
    policy = policy_edges((make_edge("e", [("a", "b")], "finish_to_start", 2),))
    assert weeks(picked, policy) == {"a": (1, 5), "b": (7, 10)}


def test_start_to_start_starts_the_lag_after_the_start() -> None:
    picked = choices(("a", 10, 2, 1), ("b", 3, 0, 1))
    policy = policy_edges((make_edge("e", [("a", "b")], "start_to_start", 3),))
    assert weeks(picked, policy) == {"a": (2, 12), "b": (5, 8)}


def test_a_wait_longer_than_the_edge_decides_the_start() -> None:
    picked = choices(("a", 2, 0, 1), ("b", 3, 6, 1))
    policy = policy_edges((make_edge("e", [("a", "b")]),))
    assert weeks(picked, policy) == {"a": (0, 2), "b": (6, 9)}


def test_an_unconstrained_intervention_starts_when_its_wait_ends() -> None:
    assert weeks(choices(("a", 5, 3, 1)), ()) == {"a": (3, 8)}


def test_catalogue_prerequisites_are_finish_to_start() -> None:
    picked = choices(("a", 4, 0, 1), ("b", 2, 0, 1, ["a"]))
    graph = plan_graph(picked, (), set())
    assert graph.edges["a", "b"] == {
        "type": "finish_to_start",
        "lag": 0,
        "reasons": ["b.prerequisites"],  # the catalogue field that put it there
        "constraints": {"finish_to_start": 0},
    }
    assert weeks(picked, ()) == {"a": (0, 4), "b": (4, 6)}


def test_conditional_edges_apply_only_when_switched_on() -> None:
    picked = choices(("a", 4, 0, 1), ("b", 2, 0, 1))
    policy = policy_edges((make_edge("cond", [("a", "b")], conditional=True),))
    assert not plan_graph(picked, policy, set()).has_edge("a", "b")
    graph = plan_graph(picked, policy, {"cond"})
    assert graph.has_edge("a", "b")
    assert schedule(picked, graph, ROOMY)["b"] == (4, 6)


def test_edges_to_interventions_not_chosen_are_ignored() -> None:
    picked = choices(("a", 4, 0, 1))
    policy = policy_edges((make_edge("e", [("a", "z"), ("z", "a")]),))
    graph = plan_graph(picked, policy, set())
    assert list(graph.nodes) == ["a"] and not graph.edges


def test_the_stricter_of_two_edges_on_one_pair_is_kept_with_both_reasons() -> None:
    picked = choices(("a", 4, 0, 1), ("b", 2, 0, 1))
    policy = policy_edges(
        (
            make_edge("ss", [("a", "b")], "start_to_start", 1),
            make_edge("fs1", [("a", "b")], "finish_to_start", 1),
            make_edge("fs0", [("a", "b")], "finish_to_start", 0),
        )
    )
    data = plan_graph(picked, policy, set()).edges["a", "b"]
    assert (data["type"], data["lag"]) == ("finish_to_start", 1)
    assert data["reasons"] == ["fs0", "fs1", "ss"]


def test_a_long_start_to_start_lag_is_respected_alongside_a_finish_to_start_edge() -> None:
    picked = choices(("a", 1, 0, 1), ("b", 2, 0, 1))
    policy = policy_edges(
        (
            make_edge("ss", [("a", "b")], "start_to_start", 5),
            make_edge("fs", [("a", "b")], "finish_to_start", 0),
        )
    )
    placed = weeks(picked, policy)
    assert placed["b"][0] >= placed["a"][0] + 5  # the start-to-start lag
    assert placed["b"][0] >= placed["a"][1]  # the finish-to-start edge


def test_concurrency_limit_runs_work_back_to_back_most_pressing_first() -> None:
    picked = choices(("z_pressing", 3, 0, 1), ("a_later", 3, 0, 1))
    assert weeks(picked, (), Capacity(1, 40)) == {"z_pressing": (0, 3), "a_later": (3, 6)}


def test_hours_limit_spreads_work_but_one_heavy_intervention_still_fits_alone() -> None:
    picked = choices(("a", 2, 0, 3), ("b", 2, 0, 3), ("heavy", 2, 0, 10))
    placed = weeks(picked, (), Capacity(3, 4))
    assert placed == {"a": (0, 2), "b": (2, 4), "heavy": (4, 6)}


def test_first_fit_skips_past_a_busy_window() -> None:
    picked = choices(("long", 10, 0, 1), ("short", 2, 0, 1), ("third", 3, 0, 1))
    placed = weeks(picked, (), Capacity(2, 40))
    assert placed == {"long": (0, 10), "short": (0, 2), "third": (2, 5)}


def test_ties_are_broken_by_rank_not_by_id() -> None:
    forward = choices(("b", 2, 0, 1), ("a", 2, 0, 1))
    assert weeks(forward, (), Capacity(1, 40)) == {"b": (0, 2), "a": (2, 4)}
    backward = choices(("a", 2, 0, 1), ("b", 2, 0, 1))
    assert weeks(backward, (), Capacity(1, 40)) == {"a": (0, 2), "b": (2, 4)}


def test_schedule_of_nothing_is_empty() -> None:
    assert schedule([], nx.DiGraph(), Capacity(2, 6)) == {}


def test_phases_are_topological_generations_from_one() -> None:
    graph = nx.DiGraph([("a", "b"), ("b", "c"), ("a", "c"), ("x", "c")])
    graph.add_node("alone")
    assert phases(graph) == {"a": 1, "alone": 1, "x": 1, "b": 2, "c": 3}


def test_work_that_cannot_finish_in_time_is_dropped_least_pressing_first() -> None:
    picked = choices(("first", 5, 0, 1), ("second", 5, 0, 1), ("third", 5, 0, 1))
    slots, dropped, overrunning = sequence(picked, (), set(), Capacity(1, 40), 10)
    assert [(s.choice.intervention.id, s.start_week, s.end_week) for s in slots] == [
        ("first", 0, 5),
        ("second", 5, 10),
    ]
    assert [c.intervention.id for c in dropped] == ["third"]
    assert overrunning == []


def test_dropping_one_intervention_can_let_a_later_one_fit() -> None:
    # the long, less pressing one pushes the short one late; dropping it lets the short one fit
    picked = choices(("pressing", 4, 0, 1), ("long", 20, 0, 1), ("short", 2, 0, 1))
    slots, dropped, _ = sequence(picked, (), set(), Capacity(2, 40), 8)
    assert [c.intervention.id for c in dropped] == ["long"]
    assert {s.choice.intervention.id: (s.start_week, s.end_week) for s in slots} == {
        "pressing": (0, 4),
        "short": (0, 2),
    }


def test_mandated_work_is_never_dropped_but_reported_as_overrunning() -> None:
    picked = choices(("court_order", 30, 2, 1), ("optional", 30, 0, 1), mandatory=("court_order",))
    slots, dropped, overrunning = sequence(picked, (), set(), ROOMY, 12)
    assert [s.choice.intervention.id for s in slots] == ["court_order"]
    assert [c.intervention.id for c in dropped] == ["optional"]
    assert [c.intervention.id for c in overrunning] == ["court_order"]


def test_slots_carry_phase_and_sorted_predecessors() -> None:
    picked = choices(("c", 2, 0, 1), ("a", 2, 0, 1), ("b", 2, 0, 1))
    policy = policy_edges((make_edge("e", [("b", "c"), ("a", "c")]),))
    slots, _, _ = sequence(picked, policy, set(), ROOMY, 52)
    by_id = {s.choice.intervention.id: s for s in slots}
    assert by_id["c"].after == ("a", "b")
    assert (by_id["a"].phase, by_id["b"].phase, by_id["c"].phase) == (1, 1, 2)
    assert [s.choice.intervention.id for s in slots] == ["a", "b", "c"]


def test_effective_capacity_is_the_tightest_of_the_rules_that_fired() -> None:
    default = Capacity(3, 8)
    rules = (
        CapacityRule("capacity.work", "", Capacity(2, 6)),
        CapacityRule("capacity.low", "", Capacity(3, 4)),
    )
    assert effective_capacity(default, rules, []) == Capacity(3, 8)
    assert effective_capacity(default, rules, ["capacity.work"]) == Capacity(2, 6)
    assert effective_capacity(default, rules, ["capacity.work", "capacity.low"]) == Capacity(2, 4)


def test_more_pressing_work_held_back_by_less_pressing_work_sets_that_edge_aside_and_says_so() -> (
    None
):
    """'pressing' (ranked first) would miss a 10-week horizon waiting for 'housing' (ranked
    second) to finish; the edge is set aside for it, and its slot names the edge."""
    picked = choices(("pressing", 6, 0, 1), ("housing", 8, 0, 1))
    policy = policy_edges((make_edge("sequencing.housing_first", [("housing", "pressing")]),))
    slots, dropped, _ = sequence(picked, policy, set(), ROOMY, 10)
    by_id = {s.choice.intervention.id: s for s in slots}
    assert dropped == []
    assert (by_id["pressing"].start_week, by_id["pressing"].end_week) == (0, 6)
    assert by_id["pressing"].set_aside == (("housing", "sequencing.housing_first"),)
    assert by_id["pressing"].after == ()


def test_a_firm_edge_or_a_more_pressing_predecessor_is_never_set_aside() -> None:
    firm = replace(make_edge("sequencing.stabilise", [("housing", "pressing")]), firm=True)
    picked = choices(("pressing", 6, 0, 1), ("housing", 8, 0, 1))
    slots, dropped, _ = sequence(picked, (firm,), set(), ROOMY, 10)
    assert [c.intervention.id for c in dropped] == ["pressing"]
    # the other way round: the held-back work is the less pressing one, so it is dropped
    picked = choices(("housing", 8, 0, 1), ("later", 6, 0, 1))
    edge = make_edge("sequencing.housing_first", [("housing", "later")])
    slots, dropped, _ = sequence(picked, (edge,), set(), ROOMY, 10)
    assert [c.intervention.id for c in dropped] == ["later"]
    assert all(s.set_aside == () for s in slots)


def test_setting_an_edge_aside_that_would_not_help_leaves_it_standing() -> None:
    """'pressing' is too long for the horizon even without waiting: the edge stays, it goes."""
    picked = choices(("pressing", 12, 0, 1), ("housing", 4, 0, 1))
    policy = policy_edges((make_edge("sequencing.housing_first", [("housing", "pressing")]),))
    slots, dropped, _ = sequence(picked, policy, set(), ROOMY, 10)
    assert [c.intervention.id for c in dropped] == ["pressing"]
    assert all(s.set_aside == () for s in slots)


def test_crisis_work_starts_at_once_whatever_the_capacity_limit() -> None:
    picked = choices(("first", 6, 0, 1), ("crisis", 4, 0, 1))
    picked[1].urgent = True
    placed = weeks(picked, (), Capacity(1, 40))
    assert placed["crisis"] == (0, 4)
    assert placed["first"] == (4, 10)  # the crisis work's load still counts for the rest


def test_a_referral_takes_no_capacity_holds_nothing_back_and_is_never_dropped_for_time() -> None:
    refer = make_intervention("refer", "accommodation", duration_weeks=8, role="referral")
    picked = [make_choice(refer, 0), *choices(("work", 6, 0, 1), ("more", 4, 0, 1))]
    policy = policy_edges((make_edge("e", [("refer", "work")]),))
    slots, dropped, overrunning = sequence(picked, policy, set(), Capacity(1, 40), 6)
    by_id = {s.choice.intervention.id: s for s in slots}
    assert dropped == [c for c in picked if c.intervention.id == "more"]
    assert (by_id["refer"].start_week, by_id["refer"].end_week) == (0, 6)  # its duty runs on
    assert (by_id["work"].start_week, by_id["work"].after) == (0, ())
    assert overrunning == []


def test_work_held_back_behind_a_firm_edge_does_not_stop_the_next_late_work_being_eased() -> None:
    """'aa' (most pressing) waits behind a firm edge and cannot be saved; 'bb' waits behind less
    pressing 'cc' by an ordinary edge: that one is set aside for it, and only 'aa' is dropped."""
    picked = choices(("aa", 6, 0, 1), ("bb", 6, 0, 1), ("cc", 8, 0, 1), ("dd", 8, 0, 1))
    firm = replace(make_edge("sequencing.firm", [("dd", "aa")]), firm=True)
    soft = make_edge("sequencing.soft", [("cc", "bb")])
    slots, dropped, _ = sequence(picked, (firm, soft), set(), ROOMY, 10)
    assert [c.intervention.id for c in dropped] == ["aa"]
    by_id = {s.choice.intervention.id: s for s in slots}
    assert by_id["bb"].set_aside == (("cc", "sequencing.soft"),)
    assert (by_id["bb"].start_week, by_id["bb"].end_week) == (0, 6)


def test_only_the_edge_that_binds_is_set_aside_when_one_will_do() -> None:
    """Two less pressing predecessors hold 'pressing' back; setting aside the later-binding one is
    enough, so the other still holds."""
    picked = choices(("pressing", 5, 0, 1), ("short", 2, 0, 1), ("long", 8, 0, 1))
    edges = (
        make_edge("sequencing.after_short", [("short", "pressing")]),
        make_edge("sequencing.after_long", [("long", "pressing")]),
    )
    slots, dropped, _ = sequence(picked, edges, set(), ROOMY, 8)
    by_id = {s.choice.intervention.id: s for s in slots}
    assert dropped == []
    assert by_id["pressing"].set_aside == (("long", "sequencing.after_long"),)
    assert by_id["pressing"].after == ("short",)
    assert (by_id["pressing"].start_week, by_id["pressing"].end_week) == (2, 7)


def test_a_referral_with_no_time_left_is_still_made_and_never_overruns() -> None:
    for horizon, wait in ((0, 0), (3, 5)):
        refer = make_intervention(
            "refer", "accommodation", duration_weeks=8, wait_weeks=wait, role="referral"
        )
        slots, dropped, overrunning = sequence([make_choice(refer, 0)], (), set(), ROOMY, horizon)
        assert [s.choice.intervention.id for s in slots] == ["refer"]
        assert dropped == [] and overrunning == []
