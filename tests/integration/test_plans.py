"""Realistic plans end to end on the shipped rules and catalogue, timelines checked as pictures."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import matplotlib.image
import pytest

from matcher.model.contract import Assessment, Plan
from matcher.planning.planner import plan
from matcher.reports.pictures import draw_policy_graph, draw_timeline
from matcher.rulebook.book import Rulebook
from tests.conftest import ROOT, TODAY

EXAMPLES = ROOT / "examples"


def load(name: str) -> Assessment:
    return Assessment.model_validate_json((EXAMPLES / f"{name}.json").read_text())


def by_id(result: Plan) -> dict[str, Any]:
    return {item.intervention_id: item for item in result.items}


def test_design_example_plans_accommodation_under_way_before_the_mandated_programme(
    rulebook: Rulebook,
) -> None:
    """Offending-behaviour work starts once housing is being secured: the policy's start-to-start
    lag after accommodation support starts, not when it ends."""
    result = plan(load("assessment"), rulebook, today=TODAY)
    items = by_id(result)
    (edge,) = [
        e for e in rulebook.policy.edges if e.id.endswith("accommodation_before_offending_work")
    ]
    assert items["building_better_relationships"].mandatory
    assert "crs_accommodation" in items["building_better_relationships"].after
    start = items["crs_accommodation"].start_week + edge.lag_weeks
    assert items["building_better_relationships"].start_week >= start
    assert result.rules_version == rulebook.version


def test_homeless_on_release_with_active_drug_misuse_is_housed_and_stabilised_first(
    rulebook: Rulebook,
) -> None:
    result = plan(load("homeless_on_release_drugs"), rulebook, today=TODAY)
    items = by_id(result)
    assert "cas3_temporary_accommodation" in items  # temporary accommodation on release
    assert "community_drug_alcohol_treatment" in items  # clinical treatment while using
    cognitive = [i for i in result.items if "thinking_behaviour" in i.addresses]
    assert cognitive, "thinking and behaviour must be addressed"
    for item in cognitive:
        assert item.start_week >= items["cas3_temporary_accommodation"].end_week
        assert (
            item.start_week >= items["community_drug_alcohol_treatment"].end_week
        )  # stabilise first
        assert item.phase > items["community_drug_alcohol_treatment"].phase
    assert not {"building_choices_high", "building_choices_moderate"} & set(
        items
    )  # not until stable
    assert "review_when_stable" in {w.code for w in result.warnings}


def test_woman_with_mental_health_debt_and_housing_gets_women_only_provision(
    rulebook: Rulebook,
) -> None:
    result = plan(load("woman_mental_health_debt_housing"), rulebook, today=TODAY)
    items = by_id(result)
    assert "crs_womens_services" in items
    assert set(items["crs_womens_services"].addresses) >= {
        "accommodation",
        "finance",
        "emotional_wellbeing",
    }
    assert "mhtr_primary_care" in items  # the mental health treatment requirement
    assert not result.unmet_needs
    assert not any(rulebook.catalogue[i].eligibility.gender == ["male"] for i in items)


def test_man_in_full_time_work_with_domestic_abuse_licence_condition(rulebook: Rulebook) -> None:
    result = plan(load("full_time_work_domestic_abuse_licence"), rulebook, today=TODAY)
    items = by_id(result)
    bbr = items["building_better_relationships"]
    assert bbr.mandatory
    assert {r.rule_id for r in bbr.adaptations} == {"responsivity.full_time_work.out_of_hours"}
    for item in result.items:  # nothing that runs only in the daytime, for someone in work
        intervention = rulebook.catalogue[item.intervention_id]
        if intervention.kind in ("accredited_programme", "structured_intervention"):
            assert set(intervention.delivery) & {"evening", "weekend"}
    assert {"high_rosh", "mappa_managed"} <= {w.code for w in result.warnings}
    assert bbr.start_week >= items["community_drug_alcohol_treatment"].start_week + 4


@pytest.mark.parametrize(
    "name",
    [
        "assessment",
        "homeless_on_release_drugs",
        "woman_mental_health_debt_housing",
        "full_time_work_domestic_abuse_licence",
    ],
)
def test_timeline_is_a_picture_a_person_can_open(
    rulebook: Rulebook, name: str, tmp_path: Path
) -> None:
    result = plan(load(name), rulebook, today=TODAY)
    png = tmp_path / "timeline.png"
    draw_timeline(result, png)
    pixels = matplotlib.image.imread(png)
    height, width = pixels.shape[:2]
    assert width > 600 and height > 150
    assert len({tuple(p) for p in pixels.reshape(-1, pixels.shape[2])[::97]}) > 5  # not blank
    svg = io.BytesIO()
    draw_timeline(result, svg, "svg")
    text = svg.getvalue().decode()
    for item in result.items:
        assert item.name.split(" ")[0] in text, item.name  # each item is labelled by its name
    assert "sentence ends" in text


def test_policy_graph_picture_shows_every_need_area_the_policy_orders(rulebook: Rulebook) -> None:
    svg = io.BytesIO()
    draw_policy_graph(rulebook, svg, "svg")
    text = svg.getvalue().decode()
    assert text.startswith("<?xml") and "accommodation" in text and "thinking behaviour" in text
    png = io.BytesIO()
    draw_policy_graph(rulebook, png, "png")
    assert png.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_intervention_whose_prerequisite_is_too_long_for_the_sentence_is_not_chosen(
    rulebook: Rulebook,
) -> None:
    """Regression: New Me Strengths too long → Living as New Me chosen → its prerequisite added
    back → too long again, forever (found by the 100,000-case benchmark)."""
    case = Assessment.model_validate_json(
        (ROOT / "tests" / "files" / "prerequisite_too_long_case.json").read_text()
    )
    result = plan(case, rulebook, today=TODAY)
    chosen = {i.intervention_id for i in result.items}
    assert not {"new_me_strengths", "living_as_new_me"} & chosen
    assert "dropped_no_time" in {w.code for w in result.warnings}
    assert all(i.end_week <= (result.weeks_available or 0) or i.mandatory for i in result.items)
