"""A practitioner's standing decisions, as the planner takes them, with the real engine and the
shipped rules: rejected work leaves and the rules choose again; added work joins, with a warning
where the catalogue disagrees, never where it cannot be delivered; the court's order wins."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from matcher.model.contract import Assessment, Decisions, ItemDecision, Plan
from matcher.planning.planner import plan
from matcher.rulebook.book import Rulebook
from tests.conftest import ROOT

TODAY = date(2026, 11, 1)
AT = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def example(name: str = "assessment.json") -> Assessment:
    return Assessment.model_validate(json.loads((ROOT / "examples" / name).read_text()))


def decided(decision: str, reason: str = "the person's choice") -> ItemDecision:
    return ItemDecision(decision=decision, reason=reason, by="pat.smith", at=AT)  # type: ignore[arg-type]


def planned(rulebook: Rulebook, assessment: Assessment, **decisions: Any) -> Plan:
    return plan(assessment, rulebook, today=TODAY, decisions=Decisions(**decisions))


def ids(made: Plan) -> list[str]:
    return [item.intervention_id for item in made.items]


def test_rejected_work_leaves_and_the_rules_choose_the_next_option(rulebook: Rulebook) -> None:
    person = example()
    before = planned(rulebook, person)
    after = planned(
        rulebook,
        person,
        rejected={"crs_accommodation": decided("rejected", "a conflict with the provider")},
    )
    assert "crs_accommodation" in ids(before) and "crs_accommodation" not in ids(after)
    assert "cas3_temporary_accommodation" in ids(after)
    [why] = [e for e in after.excluded if e.intervention_id == "crs_accommodation"]
    assert why.rule_id == "decision.rejected"
    assert "pat.smith" in why.reason and "a conflict with the provider." in why.reason


def test_work_that_waited_for_rejected_work_no_longer_waits_for_it(rulebook: Rulebook) -> None:
    person = example()
    after = planned(rulebook, person, rejected={"crs_accommodation": decided("rejected")})
    programme = next(i for i in after.items if i.intervention_id == "building_better_relationships")
    assert "crs_accommodation" not in programme.after


def test_added_work_joins_with_the_practitioners_reason(rulebook: Rulebook) -> None:
    after = planned(
        rulebook, example(), added={"choices_and_changes": decided("added", "he asked for it")}
    )
    item = next(i for i in after.items if i.intervention_id == "choices_and_changes")
    assert item.reasons[0].rule_id == "decision.added" and "he asked for it" in item.reasons[0].text
    assert item.end_week > item.start_week >= 0
    codes = {w.code: w for w in after.warnings}
    assert codes["added_despite_eligibility"].rule_id == "decision.added"


def test_added_work_that_cannot_be_delivered_is_not_planned_and_says_why(
    rulebook: Rulebook,
) -> None:
    after = planned(rulebook, example(), added={"womens_centre": decided("added")})
    assert "womens_centre" not in ids(after)
    [warning] = [w for w in after.warnings if w.code == "added_not_possible"]
    assert "for women only" in warning.message


def test_the_court_order_wins_over_a_rejection(rulebook: Rulebook) -> None:
    person = example()
    mandated = person.sentence.mandated[0]
    after = planned(rulebook, person, rejected={mandated: decided("rejected")})
    assert mandated in ids(after)


def test_the_same_decisions_give_the_same_plan(rulebook: Rulebook) -> None:
    person = example("homeless_on_release_drugs.json")
    decisions = {
        "rejected": {"choices_and_changes": decided("rejected")},
        "added": {"debt_advice": decided("added")},
    }
    first, second = planned(rulebook, person, **decisions), planned(rulebook, person, **decisions)
    assert first == second and "choices_and_changes" not in ids(first)


def test_without_decisions_a_plan_is_as_before(rulebook: Rulebook) -> None:
    person = example("woman_mental_health_debt_housing.json")
    assert planned(rulebook, person) == plan(person, rulebook, today=TODAY)


def test_work_whose_prerequisite_was_rejected_says_so(rulebook: Rulebook) -> None:
    """Living as New Me follows New Me Strengths (the catalogue's prerequisite): a man on licence
    for a sexual offence, with a learning disability and a medium OSP/DC."""
    body = json.loads((ROOT / "examples" / "assessment.json").read_text())
    body["sentence"] = {"type": "licence", "start_date": "2026-11-01", "end_date": "2028-11-01"}
    body["risk"] = {"ogrs": 40, "rosh": "medium", "flags": ["sexual_offence"], "osp_dc": "medium"}
    body["responsivity"] = ["learning_disability"]
    person = Assessment.model_validate(body)
    added = {"living_as_new_me": decided("added", "the treatment manager recommends it")}
    with_first = planned(rulebook, person, added=added)
    assert ids(with_first)[-2:] == ["new_me_strengths", "living_as_new_me"]
    after = planned(
        rulebook, person, added=added, rejected={"new_me_strengths": decided("rejected")}
    )
    assert "new_me_strengths" not in ids(after) and "living_as_new_me" in ids(after)
    warned = [w for w in after.warnings if w.code == "prerequisite_not_possible"]
    assert warned and "rejected by the practitioner" in warned[0].message


def test_decisions_on_ids_no_longer_in_the_catalogue_are_skipped(rulebook: Rulebook) -> None:
    person = example()
    gone = {"retired_course": decided("rejected")}
    assert ids(planned(rulebook, person, rejected=gone, added=gone)) == ids(
        planned(rulebook, person)
    )
