"""Progress and reviews over HTTP (design.md §6.2), on SQLite and a real PostgreSQL server: what
the field reports, work that is overdue, and the next version planned around what happened — the
bulletin's cases: accommodation falls through, group work declined, a programme unavailable, a
programme completed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import ROOT, TODAY, ids, issue, variant

REVIEWED = "2026-12-06"


def report(api: TestClient, plan: dict[str, Any], day: str = "2026-11-22", **body: Any) -> Any:
    body.setdefault("date", day)
    return api.post(f"/v1/plans/{plan['plan_id']}/progress", json=body, params={"today": REVIEWED})


def review(api: TestClient, plan: dict[str, Any], **body: Any) -> dict[str, Any]:
    response = api.post(
        f"/v1/plans/{plan['plan_id']}/reviews", json=body or None, params={"today": REVIEWED}
    )
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def item(plan: dict[str, Any], intervention_id: str) -> dict[str, Any]:
    return next(i for i in plan["items"] if i["intervention_id"] == intervention_id)


def test_progress_is_recorded_on_the_item_and_makes_no_new_version(
    api: TestClient, person: dict[str, Any]
) -> None:
    made = issue(api, person)
    response = report(
        api, made, intervention_id="crs_accommodation", status="referred", day="2026-11-02"
    )
    assert response.status_code == 200, response.text
    assert [c["status"] for c in response.json()["status_history"]] == ["referred"]
    started = report(api, made, intervention_id="crs_accommodation", status="started")
    assert [c["status"] for c in started.json()["status_history"]] == ["referred", "started"]
    read = api.get(f"/v1/plans/{made['plan_id']}", params={"today": TODAY}).json()
    assert read["version"] == 1 and item(read, "crs_accommodation")["status"] == "started"
    trail = api.get(f"/v1/plans/{made['plan_id']}/audit").json()["events"]
    assert [e["kind"] for e in trail] == ["issued", "progress", "progress"]
    assert trail[-1]["detail"]["status"] == "started" and trail[-1]["by"] == "anonymous"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"intervention_id": "crs_accommodation", "status": "finished"}, "status"),
        ({"intervention_id": "kaizen_ipv", "status": "started"}, "intervention_id"),
        (
            {"intervention_id": "crs_accommodation", "status": "started", "date": "2026-10-01"},
            "date",
        ),
        (
            {"intervention_id": "crs_accommodation", "status": "started", "date": "2027-01-01"},
            "date",
        ),
        (
            {"intervention_id": "crs_accommodation", "status": "declined", "reason_code": "relaps"},
            "reason_code",
        ),
    ],
)
def test_bad_progress_is_a_422_naming_the_path(
    api: TestClient, person: dict[str, Any], body: dict[str, Any], path: str
) -> None:
    made = issue(api, person)
    response = report(api, made, **body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["path"] == path


def test_work_due_with_nothing_recorded_is_overdue_and_listed(
    api: TestClient, person: dict[str, Any]
) -> None:
    made = issue(api, person)
    first = made["items"][0]["intervention_id"]
    late = api.get(f"/v1/plans/{made['plan_id']}", params={"today": "2026-11-20"}).json()
    warned = [w for w in late["warnings"] if w["code"] == "referral_not_made"]
    assert warned and warned[0]["rule_id"] == "delivery.overdue"
    listed = api.get("/v1/plans", params={"status": "overdue", "today": "2026-11-20"})
    assert made["plan_id"] in {p["plan_id"] for p in listed.json()["plans"]}
    for intervention_id in ids(made):
        report(api, made, intervention_id=intervention_id, status="referred", day="2026-11-02")
    again = api.get(f"/v1/plans/{made['plan_id']}", params={"today": "2026-11-20"}).json()
    assert not [w for w in again["warnings"] if w["code"] == "referral_not_made"], first
    listed = api.get("/v1/plans", params={"status": "overdue", "today": "2026-11-20"})
    assert made["plan_id"] not in {p["plan_id"] for p in listed.json()["plans"]}
    assert api.get("/v1/plans", params={"status": "late"}).status_code == 422


def test_accommodation_falling_through_brings_a_new_referral_first_and_moves_what_waited(
    api: TestClient, person: dict[str, Any]
) -> None:
    made = issue(api, person)
    report(api, made, intervention_id="housing_duty_to_refer", status="completed", day="2026-11-02")
    report(api, made, intervention_id="crs_accommodation", status="started", day="2026-11-08")
    fell = report(
        api,
        made,
        intervention_id="crs_accommodation",
        status="not_completed",
        day="2026-11-22",
        reason="The tenancy fell through in week 3.",
    )
    assert fell.status_code == 200
    after = review(api, made)
    assert after["version"] == 2 and after["plan_start"] == REVIEWED
    again = [  # the new accommodation referral, planned from the review
        i
        for i in after["items"]
        if "accommodation" in i["addresses"] and i["status"] != "completed"
    ]
    assert again and min(i["start_week"] for i in again) in (0, 1)
    accommodation = again
    programme = item(after, "building_better_relationships")
    moved = {m["intervention_id"]: m for m in after["changes"]["moved"]}
    assert "building_better_relationships" in moved
    assert programme["start_week"] >= min(i["end_week"] for i in accommodation) - 13
    done = item(after, "housing_duty_to_refer")
    assert done["status"] == "completed" and done["end_week"] < 0  # its real date, kept
    assert "motivational_toolkit" in {a["intervention_id"] for a in after["changes"]["added"]}


def test_declined_group_work_brings_one_to_one_and_motivational_work_with_the_reason(
    api: TestClient, example: dict[str, Any]
) -> None:
    """A man with a pressing thinking and behaviour need is offered group work and declines it."""
    body = variant(
        example,
        person_id="DECLINE1",
        sentence={"mandated": [], "requirements": ["rar", "accredited_programme"]},
        needs=[{"area": "thinking_behaviour", "severity": 2, "linked_to_offending": True}],
        responsivity=[],
        risk={"ogrs": 62, "rosh": "medium", "flags": []},
    )
    made = issue(api, body)
    assert ids(made) == ["positive_pathways"]  # group work, the rules' first choice
    report(
        api,
        made,
        intervention_id="positive_pathways",
        status="declined",
        day="2026-11-10",
        reason="He will not sit in a group.",
    )
    after = review(api, made)
    assert "positive_pathways" not in ids(after) and not after["unmet_needs"]
    added = {a["intervention_id"]: a["reason"] for a in after["changes"]["added"]}
    assert "thinking_skills_one_to_one" in added  # one-to-one work for the same need
    assert "declined" in added["motivational_toolkit"]
    removed = {r["intervention_id"]: r["reason"] for r in after["changes"]["removed"]}
    assert "declined on 2026-11-10" in removed["positive_pathways"]
    assert "He will not sit in a group." in removed["positive_pathways"]


def test_a_completed_programme_moves_the_work_that_waited_for_it_up(
    api: TestClient, example: dict[str, Any]
) -> None:
    body = json.loads((ROOT / "examples" / "homeless_on_release_drugs.json").read_text())
    made = issue(api, {**body, "person_id": "FOLLOW1"})
    follow_on = item(made, "choices_and_changes")
    assert set(follow_on["after"]) == {
        "cas3_temporary_accommodation",
        "community_drug_alcohol_treatment",
    }
    reports = [
        ("housing_duty_to_refer", "completed", "2026-11-01"),
        ("cas3_temporary_accommodation", "started", "2026-11-08"),
        ("community_drug_alcohol_treatment", "started", "2026-11-15"),
        ("community_drug_alcohol_treatment", "completed", "2026-12-27"),
        ("cas3_temporary_accommodation", "completed", "2027-01-03"),
    ]
    for intervention_id, status, day in reports:
        sent = {"intervention_id": intervention_id, "status": status, "date": day}
        response = api.post(
            f"/v1/plans/{made['plan_id']}/progress", json=sent, params={"today": "2027-01-05"}
        )
        assert response.status_code == 200, response.text
    response = api.post(f"/v1/plans/{made['plan_id']}/reviews", params={"today": "2027-01-05"})
    after = response.json()
    moved = {m["intervention_id"]: m for m in after["changes"]["moved"]}
    assert moved["choices_and_changes"]["to_week"] < moved["choices_and_changes"]["from_week"]
    assert item(after, "choices_and_changes")["start_week"] == 0
    assert {i["intervention_id"] for i in after["items"] if i["status"] == "completed"} == {
        "housing_duty_to_refer",
        "cas3_temporary_accommodation",
        "community_drug_alcohol_treatment",
    }
    assert not after["changes"]["removed"] and not after["changes"]["added"]


def test_unavailable_work_gets_the_next_option_or_a_provision_gap(
    api: TestClient, person: dict[str, Any]
) -> None:
    made = issue(api, person)
    report(
        api,
        made,
        intervention_id="crs_accommodation",
        status="unavailable",
        reason="The provider has closed referrals.",
        reason_code="provider_closed",
    )
    after = review(api, made)
    assert "crs_accommodation" not in ids(after)
    why = [e for e in after["excluded"] if e["intervention_id"] == "crs_accommodation"]
    assert why and why[0]["rule_id"] == "progress.unavailable"
    replaced = "cas3_temporary_accommodation" in ids(after)
    gap = [g for g in after["provision_gaps"] if g["need_area"] == "accommodation"]
    assert replaced or gap


def test_a_relapse_brings_treatment_first(api: TestClient, example: dict[str, Any]) -> None:
    made = issue(api, variant(example, person_id="RELAPSE1"))
    programme = "building_better_relationships"
    report(api, made, intervention_id=programme, status="started", day="2026-11-20")
    report(
        api,
        made,
        intervention_id=programme,
        status="not_completed",
        day="2026-12-01",
        reason_code="relapse",
    )
    after = review(api, made)
    treatment = item(after, "community_drug_alcohol_treatment")
    assert any(r["rule_id"] == "history.relapse.treatment_first" for r in treatment["reasons"])
    wait = treatment["wait_weeks"]
    assert treatment["start_week"] <= wait  # at its earliest week, before the next group
    assert treatment["start_week"] < item(after, programme)["start_week"]


def test_a_review_with_a_new_assessment_of_someone_else_is_a_422(
    api: TestClient, person: dict[str, Any], example: dict[str, Any]
) -> None:
    made = issue(api, person)
    other = variant(example, person_id="SOMEONEELSE")
    response = api.post(
        f"/v1/plans/{made['plan_id']}/reviews",
        json={"assessment": other},
        params={"today": REVIEWED},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "assessment.person_id"
    trail = api.get(f"/v1/plans/{made['plan_id']}/audit").json()["events"]
    assert [e["kind"] for e in trail] == ["issued"]


def test_a_decision_after_a_review_keeps_what_the_review_knew(
    api: TestClient, person: dict[str, Any]
) -> None:
    made = issue(api, person)
    report(api, made, intervention_id="housing_duty_to_refer", status="completed", day="2026-11-02")
    report(api, made, intervention_id="crs_accommodation", status="unavailable", reason="closed")
    reviewed = review(api, made)
    decided = api.post(
        f"/v1/plans/{made['plan_id']}/decisions",
        json={"intervention_id": "building_better_relationships", "decision": "accepted"},
        params={"today": "2026-12-07"},
    )
    assert decided.status_code == 200, decided.text
    after = decided.json()
    assert after["version"] == reviewed["version"] + 1
    assert "crs_accommodation" not in ids(after)
    assert item(after, "housing_duty_to_refer")["status"] == "completed"
    assert item(after, "housing_duty_to_refer")["end_week"] < 0


def test_completed_ordered_work_stays_once_with_its_real_dates(
    api: TestClient, person: dict[str, Any]
) -> None:
    made = issue(api, person)
    ordered = "building_better_relationships"
    report(api, made, intervention_id=ordered, status="started", day="2026-11-03")
    report(api, made, intervention_id=ordered, status="completed", day="2026-12-01")
    after = review(api, made)
    assert ids(after).count(ordered) == 1
    kept = item(after, ordered)
    assert kept["status"] == "completed" and kept["end_week"] == -1 and kept["start_week"] == -5


def test_work_planned_again_starts_afresh_and_can_be_overdue(
    api: TestClient, person: dict[str, Any]
) -> None:
    made = issue(api, person)
    report(api, made, intervention_id="crs_accommodation", status="started", day="2026-11-08")
    report(api, made, intervention_id="crs_accommodation", status="not_completed")
    after = review(api, made)
    again = item(after, "crs_accommodation")
    assert again["status"] is None and len(again["status_history"]) == 2  # a new attempt
    later = api.get(f"/v1/plans/{made['plan_id']}", params={"today": "2027-03-01"}).json()
    late = [w["message"] for w in later["warnings"] if w["code"] == "referral_not_made"]
    assert any("Accommodation services" in m for m in late)


def test_a_review_dated_before_what_the_plan_records_is_a_422(
    api: TestClient, person: dict[str, Any]
) -> None:
    made = issue(api, person)
    report(api, made, intervention_id="crs_accommodation", status="referred", day="2026-11-20")
    response = api.post(f"/v1/plans/{made['plan_id']}/reviews", params={"today": "2026-11-10"})
    assert response.status_code == 422 and response.json()["errors"][0]["path"] == "query.today"


def test_a_reviews_new_assessment_with_an_unknown_code_is_a_422_naming_its_path(
    api: TestClient, person: dict[str, Any]
) -> None:
    made = issue(api, person)
    changed = variant(person, needs=[{"area": "acommodation", "severity": 2}])
    response = api.post(
        f"/v1/plans/{made['plan_id']}/reviews",
        json={"assessment": changed},
        params={"today": REVIEWED},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "assessment.needs[0].area"
