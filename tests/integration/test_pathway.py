"""The programme needs identifier, end to end through durable_rules on the shipped rule files."""

from __future__ import annotations

from typing import Any

import pytest

from matcher.planning.planner import evaluate, plan
from matcher.rulebook.book import Rulebook
from tests.conftest import TODAY

ITEMS = [
    "6.1",
    "6.6",
    "6.12",
    "7.3",
    "10.1",
    "11.2",
    "11.3",
    "11.4",
    "11.6",
    "11.11",
    "11.12",
    "12.1",
    "12.9",
]
HIGH_NEED = {
    "12.1": 2,
    "6.1": 2,
    "6.6": 2,
    "7.3": 1,
    "11.2": 2,
    "11.4": 2,
    "11.6": 1,
}  # 2 + 2 + 2 = 6
MEDIUM_NEED = {"12.1": 2, "6.1": 1, "6.6": 1}  # thinking 2 + relationships 1 = 3
LOW_NEED: dict[str, int] = {}


def items(**scores: int) -> dict[str, int]:
    return {item: scores.get(item, 0) for item in ITEMS}


def derived(rulebook: Rulebook, assessment: Any, name: str) -> Any:
    return evaluate(assessment, rulebook, TODAY).findings.derived[name][0]


def pathway(rulebook: Rulebook, assessment: Any) -> str:
    result = plan(assessment, rulebook, today=TODAY)
    assert result.programme_pathway is not None
    return result.programme_pathway.pathway


@pytest.mark.parametrize(
    ("scores", "domain", "expected"),
    [
        ({"11.11": 2, "11.12": 1, "6.12": 1}, "pni_sex", 2),  # total 4
        ({"11.12": 2}, "pni_sex", 2),  # 11.12 = 2 whatever the total
        ({"11.11": 2, "6.12": 1}, "pni_sex", 1),  # total 3
        ({"11.11": 1, "6.12": 1}, "pni_sex", 1),  # total 2
        ({"11.11": 1}, "pni_sex", 0),
        ({}, "pni_thinking", 0),
        ({"12.9": 1}, "pni_thinking", 1),
        ({"12.9": 2}, "pni_thinking", 1),  # total 2 without 12.1 = 2
        ({"12.1": 2}, "pni_thinking", 2),
        ({"12.1": 1, "12.9": 2}, "pni_thinking", 2),  # total 3
        ({"6.1": 1}, "pni_relationships", 0),
        ({"6.1": 1, "6.6": 1}, "pni_relationships", 1),
        ({"6.1": 2, "6.6": 2}, "pni_relationships", 1),  # total 4
        ({"6.1": 2, "6.6": 2, "7.3": 1}, "pni_relationships", 2),  # total 5
        ({"11.2": 1, "10.1": 1}, "pni_self_management", 1),
        ({"11.2": 2, "11.4": 2, "11.6": 1}, "pni_self_management", 2),
    ],
)
def test_domain_scores_follow_the_programme_needs_identifier(
    rulebook: Rulebook, assess: Any, scores: dict[str, int], domain: str, expected: int
) -> None:
    assert derived(rulebook, assess(oasys_items=items(**scores)), domain) == expected


@pytest.mark.parametrize(
    ("scores", "level"),
    [
        ({"12.1": 2}, "low"),  # 2
        ({"12.1": 2, "6.1": 1, "6.6": 1}, "medium"),  # 3
        ({"12.1": 2, "6.1": 2, "6.6": 2, "7.3": 1, "11.2": 1, "11.4": 1}, "medium"),  # 5
        (HIGH_NEED, "high"),  # 6
    ],
)
def test_need_level_bands_have_no_gap(
    rulebook: Rulebook, assess: Any, scores: dict[str, int], level: str
) -> None:
    result = plan(assess(oasys_items=items(**scores)), rulebook, today=TODAY)
    assert result.programme_pathway is not None
    assert result.programme_pathway.need_level == level


@pytest.mark.parametrize(
    ("risk", "gender", "level"),
    [
        ({"ogrs": 75}, "male", "high"),
        ({"ogrs": 74.99}, "male", "medium"),
        ({"ogrs": 50}, "male", "medium"),
        ({"ogrs": 49.99}, "male", "low"),
        ({"ogrs": 10, "ovp": 60}, "male", "high"),
        ({"ogrs": 10, "ovp": 59.99}, "male", "medium"),
        ({"ogrs": 10, "ovp": 30}, "male", "medium"),
        ({"ogrs": 10, "ovp": 29.99}, "male", "low"),
        ({"ogrs": 10, "rsr": 3}, "female", "high"),
        ({"ogrs": 10, "rsr": 2.99}, "female", "medium"),
        ({"ogrs": 10, "rsr": 1}, "female", "medium"),
        ({"ogrs": 10, "rsr": 0.99}, "female", "low"),
        ({"ogrs": 10, "rsr": 3}, "male", "high"),  # a man with no OSP: RSR counts
        ({"ogrs": 10, "rsr": 3, "osp_dc": "low"}, "male", "low"),  # with an OSP band it does not
        ({"ogrs": 10, "osp_dc": "high"}, "male", "high"),
        ({"ogrs": 10, "osp_iic": "very_high"}, "male", "high"),
        ({"ogrs": 10, "osp_dc": "medium"}, "male", "medium"),
        ({"ogrs": 10, "osp_dc": "high"}, "female", "low"),  # OSP counts for men only
        ({"ogrs": 10, "osp_dc": "high", "rsr": 3}, "female", "high"),  # women: RSR instead
        ({"ogrs": 10, "sara_partner": "high"}, "male", "high"),
        ({"ogrs": 10, "sara_other": "medium"}, "male", "medium"),
    ],
)
def test_risk_level_boundaries(
    rulebook: Rulebook, assess: Any, risk: dict[str, Any], gender: str, level: str
) -> None:
    assessment = assess(gender=gender, risk={"ovp": None, "rsr": None, **risk})
    assert derived(rulebook, assessment, "pni_risk_level") == level


@pytest.mark.parametrize(
    ("need", "ogrs", "expected"),
    [
        (HIGH_NEED, 80, "high_intensity"),
        (HIGH_NEED, 60, "moderate_intensity"),
        (HIGH_NEED, 30, "alternative_pathway"),
        (MEDIUM_NEED, 80, "moderate_intensity"),
        (MEDIUM_NEED, 60, "moderate_intensity"),
        (MEDIUM_NEED, 30, "alternative_pathway"),
        (LOW_NEED, 80, "alternative_pathway"),
        (LOW_NEED, 60, "alternative_pathway"),
        (HIGH_NEED, 74.99, "moderate_intensity"),
        (HIGH_NEED, 75, "high_intensity"),
        (MEDIUM_NEED, 49.99, "alternative_pathway"),
        (MEDIUM_NEED, 50, "moderate_intensity"),
    ],
)
def test_pathway_matrix(
    rulebook: Rulebook, assess: Any, need: dict[str, int], ogrs: float, expected: str
) -> None:
    assert pathway(rulebook, assess(oasys_items=items(**need), risk={"ogrs": ogrs})) == expected


def test_very_high_reoffending_with_violence_is_high_intensity_whatever_the_need(
    rulebook: Rulebook, assess: Any
) -> None:
    assessment = assess(oasys_items=items(), risk={"ogrs": 75, "ovp": 60})
    assert pathway(rulebook, assessment) == "high_intensity"
    assessment = assess(oasys_items=items(), risk={"ogrs": 75, "ovp": 59.99})
    assert pathway(rulebook, assessment) == "alternative_pathway"


def test_low_need_with_sara_medium_is_moderate_intensity(rulebook: Rulebook, assess: Any) -> None:
    assert (
        pathway(rulebook, assess(oasys_items=items(), risk={"ogrs": 20, "sara_partner": "medium"}))
        == "moderate_intensity"
    )


@pytest.mark.parametrize(
    "missing", ["12.1", "12.9", "6.1", "6.6", "7.3", "11.3", "11.2", "11.4", "11.6", "10.1"]
)
def test_any_missing_thinking_relationship_or_self_management_item_means_missing_information(
    rulebook: Rulebook, assess: Any, missing: str
) -> None:
    scores = items(**HIGH_NEED)
    del scores[missing]
    assert pathway(rulebook, assess(oasys_items=scores, risk={"ogrs": 80})) == "missing_information"


def test_missing_sex_item_counts_as_zero_unless_a_man_has_an_osp_band(
    rulebook: Rulebook, assess: Any
) -> None:
    scores = items(**HIGH_NEED)
    del scores["11.11"]
    assert pathway(rulebook, assess(oasys_items=scores, risk={"ogrs": 80})) == "high_intensity"
    man_with_osp = assess(oasys_items=scores, risk={"ogrs": 80, "osp_dc": "low"})
    assert pathway(rulebook, man_with_osp) == "missing_information"
    woman_with_osp = assess(gender="female", oasys_items=scores, risk={"ogrs": 80, "osp_dc": "low"})
    assert pathway(rulebook, woman_with_osp) == "high_intensity"


def test_missing_ogrs_is_reported_not_guessed(rulebook: Rulebook, assess: Any) -> None:
    result = plan(
        assess(oasys_items=items(**HIGH_NEED), risk={"ogrs": None, "ovp": 40}),
        rulebook,
        today=TODAY,
    )
    assert result.programme_pathway is not None
    assert result.programme_pathway.pathway == "missing_information"
    assert "missing_ogrs" in {w.code for w in result.warnings}


def test_no_risk_scores_means_no_pathway_section(rulebook: Rulebook, assess: Any) -> None:
    result = plan(assess(risk={"ogrs": None, "rosh": None}), rulebook, today=TODAY)
    assert result.programme_pathway is None


def test_pathway_decides_which_building_choices_intensity_can_be_offered(
    rulebook: Rulebook, assess: Any
) -> None:
    needs = [{"area": "thinking_behaviour", "severity": 2, "linked_to_offending": True}]
    order = {"requirements": ["rar", "accredited_programme"]}  # the court allows a programme
    high = plan(
        assess(oasys_items=items(**HIGH_NEED), risk={"ogrs": 80}, needs=needs, sentence=order),
        rulebook,
        today=TODAY,
    )
    chosen = {i.intervention_id for i in high.items}
    assert "building_choices_high" in chosen and "building_choices_moderate" not in chosen
    moderate = plan(
        assess(oasys_items=items(**HIGH_NEED), risk={"ogrs": 60}, needs=needs, sentence=order),
        rulebook,
        today=TODAY,
    )
    chosen = {i.intervention_id for i in moderate.items}
    assert "building_choices_moderate" in chosen and "building_choices_high" not in chosen
    low = plan(
        assess(oasys_items=items(), risk={"ogrs": 30}, needs=needs, sentence=order),
        rulebook,
        today=TODAY,
    )
    assert not {"building_choices_high", "building_choices_moderate"} & {
        i.intervention_id for i in low.items
    }
