"""The v2 person and sentence fields (design.md §6.1) over HTTP: custody and release, history,
goals, PDU, accommodation status, harm-linked needs, adults only — and their bad input."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import TODAY, variant
from tests.api.test_endpoints import errors_at

IN_PRISON = {
    "custody": {"release_date": "2026-12-27", "establishment": "HMP Durham"},
    "sentence": {"type": "licence", "start_date": "2026-12-27", "end_date": "2027-12-27",
                 "requirements": [], "mandated": []},
}  # fmt: skip


def plan(client: TestClient, body: dict[str, Any]) -> Any:
    return client.post("/v1/plans", json=body, params={"today": TODAY})


def test_a_person_in_custody_is_planned_from_today_with_the_release_week(
    client: TestClient, example: dict[str, Any]
) -> None:
    response = plan(client, variant(example, **IN_PRISON))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["plan_start"] == TODAY
    assert body["release_week"] == 8
    for item in body["items"]:
        assert item["setting"] in ("custody", "community")
        if item["setting"] == "community" and "custody" not in item["name"].lower():
            assert item["end_week"] > 8  # community work cannot be over before release
        if item["setting"] == "custody":
            assert item["start_week"] < 8


def test_a_curfew_is_accepted_and_rules_out_work_only_in_its_hours(
    client: TestClient, example: dict[str, Any]
) -> None:
    body = variant(
        example,
        responsivity=["employed_full_time"],
        sentence={"type": "licence", "requirements": [], "mandated": [],
                  "curfew": {"from": "20:00", "to": "06:00"}},
    )  # fmt: skip
    response = client.post("/v1/explanations", json=body, params={"today": TODAY})
    assert response.status_code == 200, response.text
    fired = {f["rule_id"] for f in response.json()["fired"]}
    assert "sentence.curfew.evening_and_full_time_work" in fired


def test_a_person_in_the_community_has_no_release_week_and_community_items(
    client: TestClient, example: dict[str, Any]
) -> None:
    body = plan(client, example).json()
    assert body["release_week"] is None
    assert {item["setting"] for item in body["items"]} == {"community"}


def test_history_goals_pdu_status_and_harm_are_accepted_and_echoed(
    client: TestClient, example: dict[str, Any]
) -> None:
    needs = [{"area": "relationships", "severity": 1, "linked_to_harm": True},
             {"area": "ete", "severity": 2, "linked_to_offending": True}]  # fmt: skip
    body = variant(
        example,
        pdu="county_durham_and_darlington",
        accommodation_status="at_risk",
        needs=needs,
        goals=[{"text": "a job driving lorries", "need_area": "ete"}],
        history=[
            {"intervention_id": "thinking_skills_one_to_one", "status": "started"},
            {"intervention_id": "building_choices_moderate", "status": "completed",
             "end_date": "2026-06-01", "reason": "completed in custody"},
        ],
        sentence={"mandated": []},
    )  # fmt: skip
    response = plan(client, body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["goals"] == [{"text": "a job driving lorries", "need_area": "ete"}]
    assert result["priority_needs"][0] == "relationships"  # linked to harm comes first
    started = [i for i in result["items"] if i["intervention_id"] == "thinking_skills_one_to_one"]
    assert started and started[0]["status"] == "started" and started[0]["start_week"] == 0
    assert "building_choices_moderate" not in {i["intervention_id"] for i in result["items"]}


def test_bad_person_and_sentence_fields_are_422s_naming_the_path(
    client: TestClient, example: dict[str, Any]
) -> None:
    cases = {
        "custody.release_date": variant(example, custody={"release_date": "2028-01-01"}),
        "sentence.start_date": variant(example, custody={"release_date": "2026-12-27"}),
        "history[0].intervention_id": variant(
            example,
            history=[{"intervention_id": "bulding_better_relationships", "status": "completed"}],
        ),
        "history[0].status": variant(
            example, history=[{"intervention_id": "horizon", "status": "finished"}]
        ),
        "pdu": variant(example, pdu="leeds"),  # Leeds is in Yorkshire, not the North East
        "accommodation_status": variant(example, accommodation_status="sofa"),
        "goals[0].need_area": variant(example, goals=[{"text": "a flat", "need_area": "housing"}]),
        "age": variant(example, age=16),
        "sentence.curfew.from": variant(
            example, sentence={"curfew": {"from": "25:00", "to": "07:00"}}
        ),
    }
    for path, body in cases.items():
        response = plan(client, body)
        assert response.status_code == 422, (path, response.text)
        errors = errors_at(response)
        assert path in errors, (path, errors)
    age = errors_at(plan(client, cases["age"]))["age"]
    assert "youth justice" in age
    pdu = errors_at(plan(client, cases["pdu"]))["pdu"]
    assert "yorkshire_and_the_humber" in pdu
    history = errors_at(plan(client, cases["history[0].intervention_id"]))
    assert "building_better_relationships" in history["history[0].intervention_id"]
