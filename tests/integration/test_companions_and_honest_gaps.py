"""Companions, referrals, true unmet reasons and the exclusions that mattered (issue 10, parts 2,
3 and 5), with the shipped rules and catalogue in the real engine."""

from __future__ import annotations

from typing import Any

from matcher.planning.planner import evaluate, plan
from matcher.rulebook.book import Rulebook
from tests.conftest import TODAY


def items(result: Any) -> dict[str, Any]:
    return {i.intervention_id: i for i in result.items}


def test_the_duty_to_refer_goes_alongside_the_accommodation_service_never_instead(
    rulebook: Rulebook, assess: Any
) -> None:
    case = assess(
        accommodation_status="at_risk",
        needs=[{"area": "accommodation", "severity": 1, "linked_to_offending": True}],
    )
    got = items(plan(case, rulebook, today=TODAY))
    refer, service = got["housing_duty_to_refer"], got["crs_accommodation"]
    assert refer.role == "referral" and service.role == "intervention"
    assert (refer.alongside, service.alongside) == (
        ["crs_accommodation"],
        ["housing_duty_to_refer"],
    )
    assert refer.start_week == 0
    assert "provision.duty_to_refer" in {r.rule_id for r in refer.reasons}


def test_settled_accommodation_makes_no_housing_referral(rulebook: Rulebook, assess: Any) -> None:
    case = assess(
        accommodation_status="settled",
        needs=[{"area": "thinking_behaviour", "severity": 2, "linked_to_offending": True}],
    )
    assert "housing_duty_to_refer" not in items(plan(case, rulebook, today=TODAY))


def test_the_catalogue_companion_of_planned_work_goes_with_it_and_says_why(
    rulebook: Rulebook, assess: Any
) -> None:
    """Dependency and recovery (CRS) complements clinical treatment: ordered by the court, it
    brings community treatment alongside it."""
    case = assess(
        sentence={"mandated": ["crs_dependency_recovery"]},
        needs=[{"area": "alcohol", "severity": 1, "linked_to_offending": True}],
    )
    got = items(plan(case, rulebook, today=TODAY))
    treatment = got["community_drug_alcohol_treatment"]
    assert treatment.alongside == ["crs_dependency_recovery"]
    assert "selection.companion.crs_dependency_recovery" in {r.rule_id for r in treatment.reasons}


def test_an_unmet_need_names_its_true_cause_and_only_the_candidates_that_mattered(
    rulebook: Rulebook, assess: Any
) -> None:
    short = assess(
        sentence={"end_date": "2027-01-15"},
        needs=[{"area": "accommodation", "severity": 2}],
    )
    (unmet,) = plan(short, rulebook, today=TODAY).unmet_needs
    assert "time left" in unmet.reason and "ruled out" not in unmet.reason
    no_rar = assess(
        sentence={"requirements": ["unpaid_work"], "rar_days": None},
        needs=[{"area": "accommodation", "severity": 2}],
    )
    (unmet,) = plan(no_rar, rulebook, today=TODAY).unmet_needs
    assert "Accommodation services (CRS)" in unmet.reason
    named = {e.intervention_id for e in unmet.excluded}
    assert "crs_accommodation" in named
    assert not named & {"womens_centre", "crs_womens_services"}  # for women: not his candidates
    # a companion never meets the need, and the reason says it is still made
    assert (
        "Still made alongside, though it does not meet the need on its own: Housing authority referral (duty to refer)"
        in unmet.reason
    )
    assert "ruled out: Accommodation services (CRS)" in unmet.reason


def test_excluded_lists_what_mattered_and_explain_lists_everything(
    rulebook: Rulebook, assess: Any
) -> None:
    """By default the exclusions of candidates a rule recommended or that address a priority
    need; with explain, every intervention ruled out for the person."""
    case = assess(needs=[{"area": "ete", "severity": 2, "linked_to_offending": True}])
    plain = plan(case, rulebook, today=TODAY)
    full = plan(case, rulebook, today=TODAY, explain=True)
    assert set(plain.excluded) < set(full.excluded)
    recommended = set(evaluate(case, rulebook, TODAY).findings.recommended)
    for exclusion in plain.excluded:
        intervention = rulebook.catalogue[exclusion.intervention_id]
        assert intervention.id in recommended or set(intervention.needs) & set(plain.priority_needs)
    assert any(e.intervention_id == "kaizen_sexual_offence" for e in full.excluded)
    assert not any(e.intervention_id == "kaizen_sexual_offence" for e in plain.excluded)


def test_a_referral_is_never_a_needs_main_choice(rulebook: Rulebook, assess: Any) -> None:
    """Settled accommodation (no duty to refer) and no accommodation service open: the need is
    unmet, and the housing referral does not stand in for it."""
    case = assess(
        accommodation_status="settled",
        sentence={"requirements": ["unpaid_work"], "rar_days": None},
        needs=[{"area": "accommodation", "severity": 2}],
    )
    result = plan(case, rulebook, today=TODAY)
    assert "housing_duty_to_refer" not in items(result)
    assert [u.area for u in result.unmet_needs] == ["accommodation"]


def test_an_unmet_need_after_a_decline_says_so(rulebook: Rulebook, assess: Any) -> None:
    """Every finance option open to him was declined before: the need is unmet for that reason,
    naming the work the rules recommended, not 'ruled out'."""
    declined = ["crs_finance_benefit_debt", "debt_advice", "jobcentre_work_coach"]
    case = assess(
        needs=[{"area": "finance", "severity": 2, "linked_to_offending": True}],
        history=[{"intervention_id": i, "status": "declined"} for i in declined],
    )
    (unmet,) = plan(case, rulebook, today=TODAY).unmet_needs
    assert unmet.area == "finance"
    assert "declined or not completed before" in unmet.reason
    named = unmet.reason.split("declined or not completed before: ")[1]
    assert "Finance, benefit and debt services (CRS)" in named and "Jobcentre" in named
    assert "peer support" not in named  # ruled out by its contract, not declined
