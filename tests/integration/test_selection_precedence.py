"""Selection by policy precedence, never by id, and honest provision gaps (issue 10, part 1)."""

from __future__ import annotations

from typing import Any

from matcher.planning.planner import plan
from matcher.rulebook.book import Rulebook
from tests.conftest import TODAY


def ete_without_transport(assess: Any, region: str) -> Any:
    return assess(
        region=region,
        responsivity=["no_transport"],
        needs=[{"area": "ete", "severity": 2, "linked_to_offending": True}],
    )


def test_a_preferred_service_not_provided_here_is_a_provision_gap_with_where_it_is(
    rulebook: Rulebook, assess: Any
) -> None:
    london = plan(ete_without_transport(assess, "london"), rulebook, today=TODAY)
    (gap,) = london.provision_gaps
    assert (gap.need_area, gap.wanted, gap.available_in) == (
        "ete",
        ["crs_ete"],
        ["greater_manchester"],
    )
    assert "cannot be provided for this person" in gap.reason and "contract" in gap.reason
    assert {i.intervention_id for i in london.items} & {
        "jobcentre_work_coach"
    }  # something fills in
    manchester = plan(ete_without_transport(assess, "greater_manchester"), rulebook, today=TODAY)
    assert manchester.provision_gaps == []


def test_ineligibility_and_missing_information_are_not_provision_gaps(
    rulebook: Rulebook, assess: Any
) -> None:
    """A woman is not eligible for a men-only programme: not a gap. A domestic-abuse flag with no
    SARA is a warning asking for it, not a gap."""
    case = assess(
        risk={"ogrs": 62, "rosh": "medium", "flags": ["domestic_abuse"]},
        needs=[{"area": "relationships", "severity": 2, "linked_to_offending": True}],
        sentence={"end_date": "2028-11-01", "requirements": ["rar", "accredited_programme"]},
    )
    result = plan(case, rulebook, today=TODAY)
    assert "sara_needed" in {w.code for w in result.warnings}
    assert all(g.need_area != "relationships" for g in result.provision_gaps)


def test_a_tie_is_broken_by_a_policy_criterion_and_the_item_says_which(
    rulebook: Rulebook, assess: Any
) -> None:
    """Positive Pathways and one-to-one thinking work score the same for this person; policy's
    first tie-break (the more specialised provision) decides, and the reason says so."""
    case = assess(
        risk={"ogrs": 40, "rosh": "medium", "flags": []},
        sentence={"type": "licence", "requirements": [], "rar_days": None},
        needs=[{"area": "thinking_behaviour", "severity": 1, "linked_to_offending": True}],
    )
    result = plan(case, rulebook, today=TODAY)
    item = next(i for i in result.items if "thinking_behaviour" in i.addresses)
    decided = [r for r in item.reasons if r.rule_id.startswith("selection.tie_break.")]
    assert [r.rule_id for r in decided] == ["selection.tie_break.higher_tier"]
    assert "more specialised provision" in decided[0].text


def test_the_preference_order_must_name_known_interventions_once(tmp_path: Any) -> None:
    """A repeated or unknown id in selection.preference stops the rulebook; one left out is a
    warning (it ranks after the listed ones, in the catalogue's own order, never by id)."""
    from matcher.model.errors import RulebookError
    from matcher.rulebook import build as rulebook_module
    from tests.integration.test_policy_staff import copy_of_shipped

    rules, catalogue = copy_of_shipped(tmp_path)
    policy = rules / "policy.yaml"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace("preference: [building_choices_high, ", "preference: [", 1))
    checked = rulebook_module.check(rules, catalogue)
    assert any(
        "leaves out building_choices_high" in p.message and p.severity == "warning"
        for p in checked.problems
    )
    policy.write_text(
        text.replace("preference: [building_choices_high, ", "preference: [horizon, horizon, ", 1)
    )
    try:
        rulebook_module.check(rules, catalogue)
    except RulebookError as error:
        assert any("selection.preference repeats horizon" in p.message for p in error.problems)
    else:
        raise AssertionError("a repeated id in selection.preference must stop the rulebook")
