"""Hypothesis strategies: valid assessments in the shipped vocabulary, and random sequencing policies.

Assessments draw every code from the loaded rulebook (never from a list written here), mix in the
policy's boundary values, and start their sentence on the fixed TODAY of tests/conftest.py.
Sequencing policies are random DAGs over need areas, turned into ``Edge`` objects over generated
interventions, so the sequencing properties can run without touching rules/ or catalogue/.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from matcher.model.catalogue import Intervention
from matcher.model.contract import Assessment, Reason
from matcher.model.policy import Capacity, Edge
from matcher.planning.choices import Choice
from matcher.rulebook import build as rulebook_module
from matcher.rulebook.book import Checked
from matcher.rulebook.paths import DEFAULT_CATALOGUE, DEFAULT_RULES
from matcher.rulebook.sequencing import EDGE_TYPES

SENTENCE_START = date(2026, 11, 1)  # == tests.conftest.TODAY
OGRS_BOUNDARIES = (0.0, 29.99, 30.0, 49.99, 50.0, 74.99, 75.0, 89.99, 90.0, 100.0)
SCORE_BOUNDARIES = (0.0, 2.99, 3.0, 29.99, 30.0, 49.99, 50.0, 59.99, 60.0, 74.99, 75.0, 100.0)


@functools.cache
def shipped() -> Checked:
    """The shipped rules and catalogue, checked but not compiled (no engine: cheap, shareable)."""
    return rulebook_module.check(DEFAULT_RULES, DEFAULT_CATALOGUE)


def percent(boundaries: tuple[float, ...] = SCORE_BOUNDARIES) -> st.SearchStrategy[float]:
    """A percentage, often exactly on (or just below) a policy boundary."""
    anywhere = st.floats(0, 100, allow_nan=False).map(lambda x: round(x, 2))
    return st.one_of(st.sampled_from(boundaries), anywhere)


def subset(values: Any, max_size: int | None = None) -> st.SearchStrategy[list[str]]:
    values = sorted(values)
    return st.lists(st.sampled_from(values), unique=True, max_size=max_size or len(values))


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


@st.composite
def assessments(draw: st.DrawFn, checked: Checked | None = None) -> Assessment:
    """A random assessment that the planner must accept (every code known, every value in range)."""
    checked = checked or shipped()
    vocabulary = checked.vocabulary
    scale = lambda name: st.sampled_from(vocabulary.scales[name])  # noqa: E731
    items = tuple(vocabulary.lists["oasys_items"])
    weeks = draw(st.one_of(st.sampled_from((4, 5, 8, 12, 26, 52, 104, 150)), st.integers(4, 150)))
    oasys_mode = draw(st.sampled_from(("complete", "partial", "absent")))
    if oasys_mode == "complete":
        oasys = {i: draw(st.integers(0, 2)) for i in items}
    elif oasys_mode == "partial":
        oasys = draw(st.dictionaries(st.sampled_from(items), st.integers(0, 2), max_size=12))
    else:
        oasys = {}
    areas = draw(subset(vocabulary.need_areas))
    needs = [
        {
            "area": area,
            "severity": draw(st.integers(0, 2)),
            "linked_to_offending": draw(st.booleans()),
            "linked_to_harm": draw(st.integers(0, 3)) == 0,
        }
        for area in areas
    ]
    risk = {
        "ogrs": None if draw(st.integers(0, 9)) == 0 else draw(percent(OGRS_BOUNDARIES)),
        "rosh": draw(optional(scale("rosh"))),
        "mappa_level": draw(optional(st.integers(0, 3))),
        "flags": draw(subset(vocabulary.codes("flags"), 3)),
        "ovp": draw(optional(percent())),
        "rsr": draw(optional(percent())),
        "osp_dc": draw(optional(scale("osp"))),
        "osp_iic": draw(optional(scale("osp"))),
        "sara_partner": draw(optional(scale("sara"))),
        "sara_other": draw(optional(scale("sara"))),
    }
    data = {
        "person_id": f"X{draw(st.integers(0, 999_999)):06d}",
        "age": draw(st.one_of(st.sampled_from((18, 24, 25, 26)), st.integers(18, 80))),
        "gender": draw(st.sampled_from(sorted(vocabulary.codes("genders")))),
        "region": draw(optional(st.sampled_from(sorted(vocabulary.regions)))),
        "sentence": {
            "type": draw(st.sampled_from(sorted(vocabulary.codes("sentence_types")))),
            "start_date": SENTENCE_START,
            "end_date": SENTENCE_START + timedelta(weeks=weeks),
            "requirements": draw(subset(vocabulary.codes("requirements"), 4)),
            "rar_days": draw(optional(st.integers(0, 60))),
            "mandated": draw(
                st.lists(
                    st.sampled_from(sorted(checked.catalogue)), min_size=1, max_size=2, unique=True
                )
            )
            if draw(st.integers(0, 2)) == 0
            else [],
        },
        "risk": risk,
        "needs": needs,
        "strengths": draw(subset(vocabulary.codes("strengths"), 3)),
        "responsivity": draw(subset(vocabulary.codes("responsivity"), 4)),
        "oasys_items": oasys,
        "ldc_score": draw(optional(st.integers(0, 20))),
    }
    data.update(draw(person_and_sentence(checked, data)))
    return Assessment.model_validate(data)


@st.composite
def person_and_sentence(draw: st.DrawFn, checked: Checked, data: dict[str, Any]) -> dict[str, Any]:
    """The v2 fields (design.md §6.1), each sometimes: custody and release, history, goals, PDU,
    accommodation status, curfew, unpaid work hours."""
    vocabulary, sentence = checked.vocabulary, dict(data["sentence"])
    found: dict[str, Any] = {}
    if draw(st.integers(0, 3)) == 0:  # in prison, released 1 to 30 weeks from today
        release = SENTENCE_START + timedelta(weeks=draw(st.integers(1, 30)))
        length = sentence["end_date"] - sentence["start_date"]
        sentence.update(start_date=release, end_date=release + length)
        found["custody"] = {"release_date": release}
    if draw(st.integers(0, 3)) == 0:
        start, end = (
            draw(st.sampled_from(("19:00", "09:00", "12:00"))),
            draw(st.sampled_from(("07:00", "13:00", "22:00"))),
        )
        if start != end:
            sentence["curfew"] = {"from": start, "to": end}
    sentence["unpaid_work_hours"] = draw(optional(st.integers(40, 300)))
    found["sentence"] = sentence
    ids = sorted(checked.catalogue)
    statuses = ("completed", "started", "not_completed", "declined")
    found["history"] = draw(
        st.lists(
            st.fixed_dictionaries(
                {"intervention_id": st.sampled_from(ids), "status": st.sampled_from(statuses)}
            ),
            max_size=2,
            unique_by=lambda e: e["intervention_id"],
        )
    )
    found["goals"] = [
        {"text": "my own goal", "need_area": area}
        for area in draw(subset(vocabulary.need_areas, 2))
    ]
    region = data["region"]
    in_region = sorted(p.id for p in vocabulary.pdus.values() if p.region == region)
    if in_region and draw(st.booleans()):
        found["pdu"] = draw(st.sampled_from(in_region))
    found["accommodation_status"] = draw(
        optional(st.sampled_from(sorted(vocabulary.accommodation_statuses)))
    )
    return found


# --- sequencing --------------------------------------------------------------------------------


def make_intervention(
    intervention_id: str,
    lead_need: str,
    duration_weeks: int = 4,
    wait_weeks: int = 0,
    hours_per_week: float = 1.0,
    prerequisites: tuple[str, ...] = (),
    **extra: Any,
) -> Intervention:
    """A catalogue entry with only what sequencing reads filled in with care."""
    return Intervention(
        id=intervention_id,
        name=intervention_id.replace("_", " ").capitalize(),
        description="test",
        kind=extra.pop("kind", "toolkit"),
        tier="universal",
        provider=extra.pop("provider", "internal"),
        needs=[lead_need, *extra.pop("other_needs", [])],
        intensity="low",
        formats=extra.pop("formats", ["one_to_one"]),
        duration_weeks=duration_weeks,
        sessions=duration_weeks,
        hours_per_week=hours_per_week,
        delivery=["daytime"],
        settings=["community"],
        regions="all",
        wait_weeks=wait_weeks,
        prerequisites=list(prerequisites),
        source="test",
        hmpps="none",
        read_on=date(2026, 11, 29),
        **extra,
    )


def make_choice(intervention: Intervention, index: int, mandatory: bool = False) -> Choice:
    """A chosen intervention, ranked like matching.match ranks (mandated first, then ``index``)."""
    return Choice(
        intervention=intervention,
        addresses=[intervention.needs[0]],
        reasons=[Reason(rule_id="test", text="test")],
        adaptations=[],
        mandatory=mandatory,
        rank=(0 if mandatory else 1, index, -1, intervention.id),
    )


def make_edge(
    edge_id: str,
    pairs: Any,
    kind: str = "finish_to_start",
    lag: int = 0,
    conditional: bool = False,
) -> Edge:
    """An edge joining exactly ``pairs``: each side's set is what the pairs name, so it must
    join every before to every after (as a policy selector does)."""
    before = frozenset(b for b, _ in pairs)
    after = frozenset(a for _, a in pairs)
    edge = Edge(
        id=edge_id,
        type=kind,
        lag_weeks=lag,
        rationale="test",
        source="test",
        file="rules/sequencing.yaml",
        line=1,
        conditional=conditional,
        before_ids=before,
        after_ids=after,
    )
    wanted = {(b, a) for b, a in pairs if a != b}  # nothing precedes itself
    assert set(edge.pairs) == wanted, "pairs that are not one before×after product"
    return edge


@dataclass(frozen=True)
class SequencingCase:
    """A random sequencing problem: ranked choices, a policy, switched-on edges, a horizon."""

    choices: list[Choice]
    edges: tuple[Edge, ...]
    switched_on: set[str]
    capacity: Capacity
    horizon: int
    need_order: tuple[str, ...]  # the random topological order the DAG respects


@st.composite
def need_dags(
    draw: st.DrawFn, areas: tuple[str, ...] | None = None
) -> tuple[tuple[str, ...], list[tuple[str, str, str, int, bool]]]:
    """A random DAG over need areas: (order, [(before, after, type, lag, conditional)]).

    Every edge goes forward in ``order`` (a random permutation), so the graph is acyclic.
    """
    order = tuple(draw(st.permutations(areas or shipped().vocabulary.need_areas)))
    edges = []
    for i, before in enumerate(order):
        for after in order[i + 1 :]:
            if draw(st.integers(0, 3)) == 0:
                edges.append(
                    (
                        before,
                        after,
                        draw(st.sampled_from(EDGE_TYPES)),
                        draw(st.integers(0, 6)),
                        draw(st.booleans()),
                    )
                )
    return order, edges


@st.composite
def sequencing_cases(draw: st.DrawFn, max_choices: int = 8) -> SequencingCase:
    order, need_edges = draw(need_dags())
    position = {area: index for index, area in enumerate(order)}
    count = draw(st.integers(1, max_choices))
    leads = draw(st.lists(st.sampled_from(order), min_size=count, max_size=count))
    # a total order consistent with the need DAG: prerequisites only point forward in it
    leads.sort(key=lambda a: position[a])
    interventions: list[Intervention] = []
    for index, lead in enumerate(leads):
        earlier = [i.id for i in interventions]
        prerequisites = tuple(
            draw(st.lists(st.sampled_from(earlier), unique=True, max_size=1)) if earlier else ()
        )
        interventions.append(
            make_intervention(
                f"i{index}_{lead}",
                lead,
                duration_weeks=draw(st.integers(1, 30)),
                wait_weeks=draw(st.integers(0, 8)),
                hours_per_week=draw(st.sampled_from((0.5, 1.0, 1.5, 2.0, 3.0, 6.0))),
                prerequisites=prerequisites,
            )
        )
    mandatory = draw(st.lists(st.booleans(), min_size=count, max_size=count))
    ranking = draw(st.permutations(range(count)))
    choices = [make_choice(i, ranking[n], mandatory[n]) for n, i in enumerate(interventions)]
    choices.sort(key=lambda c: c.rank)
    edges = []
    switched_on = set()
    for number, (before, after, kind, lag, conditional) in enumerate(need_edges):
        pairs = {
            (b.id, a.id)
            for b in interventions
            for a in interventions
            if b.needs[0] == before and a.needs[0] == after
        }
        edge = make_edge(f"sequencing.e{number}", pairs, kind, lag, conditional)
        edge = replace(edge, firm=draw(st.booleans()))
        edges.append(edge)
        if conditional and draw(st.booleans()):
            switched_on.add(edge.id)
    capacity = Capacity(draw(st.integers(1, 4)), draw(st.sampled_from((2.0, 4.0, 6.0, 8.0))))
    shuffled = tuple(draw(st.permutations(edges)))
    horizon = draw(st.integers(4, 150))
    return SequencingCase(choices, shuffled, switched_on, capacity, horizon, order)
