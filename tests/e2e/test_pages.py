"""The pages in a real browser: make a plan and read its reasons, a mistake shown and nothing
lost, reject an item and see the next version, a rule's file:line, a rule file checked."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Visit

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ASSESSMENT = json.loads((ROOT / "examples" / "assessment.json").read_text(encoding="utf-8"))


def fill_the_form(visit: Visit, age: str = "34", end_month: str = "11") -> None:
    page = visit.page
    page.fill("#person_id", "E2E0001")
    page.fill("#age", age)
    page.check("#gender")  # the first choice
    page.select_option("#region", "north_east")
    page.select_option("#sentence_type", "community_order")
    for prefix, year, month in (
        ("sentence_start", "2026", "11"),
        ("sentence_end", "2027", end_month),
    ):
        page.fill(f"#{prefix}-day", "1")
        page.fill(f"#{prefix}-month", month)
        page.fill(f"#{prefix}-year", year)
    page.fill("#ogrs", "62")
    page.select_option("#rosh", "medium")
    page.select_option("#need-accommodation", "2")
    page.check("#linked-accommodation")
    page.select_option("#need-thinking_behaviour", "1")


def test_a_plan_made_from_the_form_shows_each_item_with_its_reasons(visit: Visit) -> None:
    page = visit.go("/")
    fill_the_form(visit)
    visit.shoot("make-a-plan")
    visit.submit("Make the plan")
    assert "/plans/" in page.url
    assert page.locator("h1").inner_text().startswith("Plan, version 1")
    assert page.locator("text=Needs attention first").count() == 1
    reasons = page.locator("[id^=item-] li")
    assert reasons.count() >= 1
    assert "(rule " in reasons.first.inner_text()
    assert page.locator("img.matcher-timeline").evaluate("i => i.complete && i.naturalWidth > 0")
    visit.shoot("plan")


def test_a_mistake_is_named_in_the_error_summary_and_nothing_typed_is_lost(visit: Visit) -> None:
    page = visit.go("/")
    fill_the_form(visit, age="thirty-four", end_month="13")
    visit.submit("Make the plan")
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert summary.locator("a[href='#age']").inner_text() == "Age must be a whole number, like 34"
    assert summary.locator("a[href='#sentence_end-day']").count() == 1
    assert page.title().startswith("Error: ")
    assert page.input_value("#age") == "thirty-four"
    assert page.input_value("#sentence_end-month") == "13"
    assert page.input_value("#person_id") == "E2E0001"
    assert page.input_value("#need-accommodation") == "2"
    assert page.is_checked("#linked-accommodation")
    summary.locator("a[href='#age']").click()
    assert page.evaluate("document.activeElement.id") == "age"


def test_rejecting_an_item_with_a_reason_gives_the_next_version_without_it(visit: Visit) -> None:
    made = httpx.post(visit.base + "/v1/plans?today=2026-11-01", json=ASSESSMENT, timeout=30)
    made.raise_for_status()
    plan = made.json()
    gone = next(i for i in plan["items"] if not i["mandatory"])
    page = visit.go(f"/plans/{plan['plan_id']}")
    page.select_option("#decision_intervention", gone["intervention_id"])
    page.check("input[name=decision][value=rejected]")
    page.fill("#reason", "prefers one-to-one work after a bad experience of groups")
    visit.shoot("stored-plan-decision")
    visit.submit("Record the decision")
    assert page.url.endswith("version=2")
    assert page.locator("h1").inner_text().startswith("Plan, version 2")
    assert page.locator(f"#item-{gone['intervention_id']}").count() == 0
    trail = page.locator("#audit + table").inner_text()
    assert "decision" in trail and "prefers one-to-one work" in trail
    visit.shoot("stored-plan")
    visit.go(f"/plans/{plan['plan_id']}?version=1")
    assert page.locator(f"#item-{gone['intervention_id']}").count() == 1


def test_a_rule_is_shown_with_its_file_and_line(visit: Visit) -> None:
    page = visit.go("/rules")
    page.fill("#q", "needs.priority")
    visit.submit("Search")
    visit.shoot("rules")
    row = page.locator("tr#rule-needs\\.priority\\.linked")
    assert "rules/rulesets/10_needs.yaml:" in row.inner_text()


def test_a_changed_rule_file_with_a_mistake_is_shown_at_its_file_and_line(visit: Visit) -> None:
    page = visit.go("/rules/validate")
    page.fill("#file", "rules/rulesets/99_new.yaml")
    page.fill("#text", "rules:\n  - id: broken.rule\n    description: no when or then\n")
    visit.submit("Check the file")
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "rules/rulesets/99_new.yaml:" in summary
    assert page.input_value("#file") == "rules/rulesets/99_new.yaml"


def test_the_provision_report_shows_its_charts(visit: Visit) -> None:
    page = visit.go("/rules/provision")
    for chart in page.locator("img.matcher-chart").all():
        assert chart.evaluate("i => i.complete && i.naturalWidth > 0")
    visit.shoot("provision")
