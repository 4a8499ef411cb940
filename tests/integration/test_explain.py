"""`matcher explain`: every rule that fired and on which facts; why an intervention was or was not
selected."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from matcher.cli.main import main
from matcher.model.contract import Assessment
from matcher.reports.explain import explain
from matcher.rulebook.book import Rulebook
from tests.conftest import TODAY

Assess = Callable[..., Assessment]


def fired(answer: dict[str, Any], rule_id: str) -> dict[str, Any]:
    found = [f for f in answer["fired"] if f["rule_id"] == rule_id]
    assert found, f"{rule_id} did not fire: {[f['rule_id'] for f in answer['fired']]}"
    return found[0]


def test_every_rule_that_fired_is_listed_with_the_facts_it_tested(
    assess: Assess, rulebook: Rulebook
) -> None:
    answer = explain(
        assess(responsivity=["employed_full_time"], risk={"ogrs": 30}), rulebook, today=TODAY
    )
    out_of_hours = fired(answer, "responsivity.full_time_work.out_of_hours")
    assert out_of_hours["facts"] == {
        "person": {
            "responsivity_employed_full_time": True,
            "curfew_evening": "(not given)",
            "curfew_daytime": "(not given)",
        }
    }
    assert out_of_hours["where"].startswith("rules/rulesets/60_responsivity.yaml:")
    low = fired(answer, "risk.low_likelihood.no_high_intensity")
    assert low["facts"] == {
        "person": {
            "ogrs_band": "low",
            "flag_sexual_offence": "(not given)",
            "gender": "male",
            "osp_dc": "not_applicable",
            "osp_iic": "not_applicable",
        }
    }
    assert low["outcomes"][0]["kind"] == "exclude"


def test_a_rule_joining_a_need_shows_the_need_it_matched(
    assess: Assess, rulebook: Rulebook
) -> None:
    answer = explain(
        assess(needs=[{"area": "drugs", "severity": 1, "linked_to_offending": True}]),
        rulebook,
        today=TODAY,
    )
    linked = fired(answer, "needs.priority.linked")
    assert linked["facts"]["need need_drugs"] == {
        "area": "drugs",
        "severity": 1,
        "linked_to_offending": True,
        "linked_to_harm": False,
    }


def test_a_missing_value_a_rule_depends_on_is_shown_as_not_given(
    assess: Assess, rulebook: Rulebook
) -> None:
    answer = explain(assess(oasys_items={}), rulebook, today=TODAY)
    missing = fired(answer, "pathway.missing_items")
    assert missing["facts"]["person"]["item_12_1"] == "(not given)"
    assert missing["matches"] >= 1


def test_an_excluded_intervention_names_the_eligibility_conditions_it_failed(
    assess: Assess, rulebook: Rulebook
) -> None:
    answer = explain(assess(gender="male"), rulebook, "womens_centre", today=TODAY)
    entry = answer["intervention"]
    assert entry["status"] == "excluded"
    criteria = {e["criterion"] for e in entry["failed_eligibility"]}
    assert "gender" in criteria
    assert {e["rule_id"] for e in entry["failed_eligibility"]} >= {"catalogue.womens_centre.gender"}
    assert "women" in entry["summary"]


def test_an_intervention_excluded_by_a_policy_rule_names_that_rule(
    assess: Assess, rulebook: Rulebook
) -> None:
    answer = explain(assess(risk={"ogrs": 30}), rulebook, "building_choices_moderate", today=TODAY)
    entry = answer["intervention"]
    assert entry["status"] == "excluded"
    assert "eligibility.building_choices_moderate.pathway" in [
        e["rule_id"] for e in entry["excluded_by"]
    ]


def test_a_selected_intervention_gives_the_rules_that_chose_it(
    assess: Assess, rulebook: Rulebook
) -> None:
    patient = assess(needs=[{"area": "accommodation", "severity": 2}])
    answer = explain(patient, rulebook, "crs_accommodation", today=TODAY)
    entry = answer["intervention"]
    assert entry["status"] == "selected"
    assert "provision.accommodation" in [r["rule_id"] for r in entry["recommended_by"]]
    assert entry["item"]["intervention_id"] == "crs_accommodation"
    assert "provision.accommodation" in entry["summary"]


def test_an_eligible_but_outscored_intervention_gives_both_scores(
    assess: Assess, rulebook: Rulebook
) -> None:
    patient = assess(needs=[{"area": "accommodation", "severity": 2}])
    answer = explain(patient, rulebook, "cas3_temporary_accommodation", today=TODAY)
    entry = answer["intervention"]
    assert entry["status"] == "outscored"
    (competitor,) = entry["competitors"]
    assert competitor["area"] == "accommodation"
    assert competitor["chosen"] in answer["plan"]["selected"]
    assert competitor["chosen_score"]["score"] >= entry["score"]["score"]
    assert "another option" in entry["summary"]


def test_the_precedence_that_decided_is_shown_for_the_chosen_and_the_passed_over(
    assess: Assess, rulebook: Rulebook
) -> None:
    """Severe drug misuse: treatment is at the clinical-treatment level, and that, not the score,
    is what put it ahead of dependency and recovery support."""
    patient = assess(needs=[{"area": "drugs", "severity": 2, "linked_to_offending": True}])
    chosen = explain(patient, rulebook, "community_drug_alcohol_treatment", today=TODAY)
    entry = chosen["intervention"]
    assert entry["precedence"] == {
        "level": "clinical_treatment",
        "by": ["provision.substance_misuse.severe"],
    }
    assert entry["decided_by"]["rule_id"] == "selection.precedence.clinical_treatment"
    passed = explain(patient, rulebook, "crs_dependency_recovery", today=TODAY)["intervention"]
    (competitor,) = passed["competitors"]
    assert competitor["decided_by"]["rule_id"] == "selection.precedence.clinical_treatment"
    assert passed["precedence"]["level"] is None


def test_an_intervention_for_no_priority_need_is_explained_as_not_needed(
    assess: Assess, rulebook: Rulebook
) -> None:
    answer = explain(assess(), rulebook, "debt_advice", today=TODAY)
    assert answer["intervention"]["status"] == "not_needed"


def test_an_unknown_intervention_is_refused_with_a_suggestion(
    assess: Assess, rulebook: Rulebook
) -> None:
    with pytest.raises(KeyError, match="did you mean 'debt_advice'"):
        explain(assess(), rulebook, "debt_advise", today=TODAY)


def test_explain_is_json_ready_for_the_api(assess: Assess, rulebook: Rulebook) -> None:
    answer = explain(assess(gender="female"), rulebook, "womens_centre", today=TODAY)
    assert json.loads(json.dumps(answer)) == answer


def test_the_command_prints_rules_facts_and_the_intervention(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], base: dict[str, Any]
) -> None:
    path = tmp_path / "a.json"
    path.write_text(
        json.dumps({**base, "needs": [{"area": "accommodation", "severity": 2}]}), encoding="utf-8"
    )
    args = [
        "explain",
        str(path),
        "--today",
        "2026-11-01",
        "--intervention",
        "cas3_temporary_accommodation",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "provision.accommodation  (rules/rulesets/45_provision.yaml:" in out
    assert "on need need_accommodation: area=accommodation, severity=2" in out
    assert "cas3_temporary_accommodation — " in out
    assert main([*args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["intervention"]["status"] == "outscored"
