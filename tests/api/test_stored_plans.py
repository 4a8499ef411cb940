"""Stored plans over HTTP (design.md §6.2), each test against SQLite and a real PostgreSQL server:
storing, reading, idempotency, decisions with If-Match, the audit trail, erasure and events."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from tests.api.conftest import BASE_URL, TODAY, ids, issue, variant
from tests.conftest import TEST_DATABASE


def decide(api: TestClient, plan: dict[str, Any], **body: Any) -> Any:
    return api.post(
        f"/v1/plans/{plan['plan_id']}/decisions",
        json=body,
        params={"today": "2026-11-15"},
        headers={"If-Match": f'"{plan["version"]}"'},
    )


def test_a_plan_is_stored_with_its_id_version_time_and_caller(
    api: TestClient, person: dict[str, Any]
) -> None:
    made = issue(api, person)
    assert made["version"] == 1 and made["requested_by"] == "anonymous"
    assert uuid.UUID(made["plan_id"]) and made["created_at"].endswith("Z")
    assert all(i["decision"] is None and i["status_history"] == [] for i in made["items"])
    read = api.get(f"/v1/plans/{made['plan_id']}", params={"today": TODAY})
    assert read.status_code == 200 and read.json() == made
    assert read.headers["etag"] == '"1"'
    mine = api.get(f"/v1/people/{person['person_id']}/plans").json()
    assert [p["plan_id"] for p in mine["plans"]] == [made["plan_id"]]


def test_a_persons_plans_come_newest_first(api: TestClient, person: dict[str, Any]) -> None:
    first, second = issue(api, person), issue(api, person)
    listed = api.get(f"/v1/people/{person['person_id']}/plans").json()["plans"]
    assert [p["plan_id"] for p in listed] == [second["plan_id"], first["plan_id"]]


def test_store_false_plans_and_keeps_nothing(api: TestClient, person: dict[str, Any]) -> None:
    response = api.post("/v1/plans", json=person, params={"today": TODAY, "store": "false"})
    assert response.status_code == 200 and response.json()["plan_id"] is None
    gone = api.get(f"/v1/people/{person['person_id']}/plans")
    assert gone.status_code == 404 and gone.json()["code"] == "not_found"


def test_a_retried_post_with_the_same_idempotency_key_returns_the_plan_it_made(
    api: TestClient, person: dict[str, Any]
) -> None:
    key = uuid.uuid4().hex
    first = api.post(
        "/v1/plans", json=person, params={"today": TODAY}, headers={"Idempotency-Key": key}
    )
    again = api.post(
        "/v1/plans", json=person, params={"today": TODAY}, headers={"Idempotency-Key": key}
    )
    assert again.json()["plan_id"] == first.json()["plan_id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert len(api.get(f"/v1/people/{person['person_id']}/plans").json()["plans"]) == 1
    other = variant(person, age=40)
    reused = api.post(
        "/v1/plans", json=other, params={"today": TODAY}, headers={"Idempotency-Key": key}
    )
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    assert reused.json()["errors"][0]["path"] == "header.Idempotency-Key"


def test_unknown_and_malformed_ids_are_404_and_422(api: TestClient) -> None:
    missing = api.get(f"/v1/plans/{uuid.uuid4()}")
    assert missing.status_code == 404 and "no stored plan" in missing.json()["message"]
    assert api.get(f"/v1/plans/{uuid.uuid4()}/audit").status_code == 404
    assert api.get(f"/v1/plans/{'x' * 37}").status_code == 422
    decided = api.post(
        f"/v1/plans/{uuid.uuid4()}/decisions",
        json={"intervention_id": "cas3_temporary_accommodation", "decision": "accepted"},
    )
    assert decided.status_code == 404


def test_an_old_version_can_be_read_and_a_missing_one_is_404(
    api: TestClient, person: dict[str, Any]
) -> None:
    made = issue(api, person)
    second = decide(api, made, intervention_id=ids(made)[0], decision="accepted").json()
    assert second["version"] == 2
    assert api.get(f"/v1/plans/{made['plan_id']}", params={"version": 1}).json()["version"] == 1
    absent = api.get(f"/v1/plans/{made['plan_id']}", params={"version": 3})
    assert absent.status_code == 404 and "latest is 2" in absent.json()["message"]


def test_a_rejected_item_leaves_the_next_option_is_chosen_and_it_stays_out(
    api: TestClient, person: dict[str, Any]
) -> None:
    made = issue(api, person)
    assert "crs_accommodation" in ids(made)
    response = decide(
        api,
        made,
        intervention_id="crs_accommodation",
        decision="rejected",
        reason="the provider is the one he had a conflict with",
    )
    assert response.status_code == 200, response.text
    second = response.json()
    assert second["version"] == 2 and response.headers["etag"] == '"2"'
    assert "crs_accommodation" not in ids(second)
    assert "cas3_temporary_accommodation" in ids(second)  # the rules' next option
    why = [e for e in second["excluded"] if e["intervention_id"] == "crs_accommodation"]
    assert why and why[0]["rule_id"] == "decision.rejected"
    assert "conflict with" in why[0]["reason"] and "anonymous" in why[0]["reason"]
    third = decide(api, second, intervention_id=ids(second)[0], decision="accepted").json()
    assert "crs_accommodation" not in ids(third)  # a later version keeps the rejection
    accepted = next(i for i in third["items"] if i["intervention_id"] == ids(second)[0])
    assert accepted["decision"]["decision"] == "accepted" and accepted["decision"]["by"]


def test_rejecting_every_option_leaves_the_need_unmet_and_says_so(
    api: TestClient, person: dict[str, Any]
) -> None:
    plan = issue(api, person)
    for _ in range(6):
        left = [i for i in plan["items"] if "accommodation" in i["addresses"]]
        left = [i for i in left if i["role"] == "intervention"]
        if not left:
            break
        response = decide(
            api,
            plan,
            intervention_id=left[0]["intervention_id"],
            decision="rejected",
            reason="not suitable",
        )
        assert response.status_code == 200, response.text
        plan = response.json()
    unmet = {u["area"]: u["reason"] for u in plan["unmet_needs"]}
    assert "rejected" in unmet["accommodation"]


def test_an_added_item_joins_the_plan_with_its_reason(
    api: TestClient, person: dict[str, Any]
) -> None:
    made = issue(api, person)
    response = decide(
        api,
        made,
        intervention_id="debt_advice",
        decision="added",
        reason="rent arrears threaten the tenancy",
    )
    assert response.status_code == 200, response.text
    added = next(i for i in response.json()["items"] if i["intervention_id"] == "debt_advice")
    assert added["decision"]["decision"] == "added"
    assert added["reasons"][0]["rule_id"] == "decision.added"
    assert "rent arrears" in added["reasons"][0]["text"]
    assert added["start_week"] >= 0 and added["end_week"] > added["start_week"]


def test_adding_what_cannot_be_offered_is_refused_with_the_reason_and_stores_nothing(
    api: TestClient, person: dict[str, Any]
) -> None:
    made = issue(api, person)
    response = decide(
        api, made, intervention_id="womens_centre", decision="added", reason="local and known"
    )
    assert response.status_code == 422
    assert "women" in response.json()["message"]
    assert response.json()["errors"][0]["path"] == "intervention_id"
    assert api.get(f"/v1/plans/{made['plan_id']}").json()["version"] == 1


def test_a_court_mandated_item_cannot_be_rejected(api: TestClient, person: dict[str, Any]) -> None:
    made = issue(api, person)
    mandated = person["sentence"]["mandated"][0]
    response = decide(api, made, intervention_id=mandated, decision="rejected", reason="no")
    assert response.status_code == 422 and "order must be varied" in response.json()["message"]


@pytest.mark.parametrize(
    ("body", "path", "words"),
    [
        ({"intervention_id": "crs_accommodation", "decision": "rejected"}, "reason", "reason"),
        (
            {"intervention_id": "crs_accomodation", "decision": "accepted"},
            "intervention_id",
            "did you mean 'crs_accommodation'",
        ),
        (
            {"intervention_id": "kaizen_ipv", "decision": "accepted"},
            "intervention_id",
            "not in version 1",
        ),
        (
            {"intervention_id": "crs_accommodation", "decision": "added", "reason": "x"},
            "intervention_id",
            "already in the plan",
        ),
        ({"intervention_id": "crs_accommodation", "decision": "maybe"}, "decision", ""),
    ],
)
def test_a_bad_decision_is_a_422_naming_the_field(
    api: TestClient, person: dict[str, Any], body: dict[str, Any], path: str, words: str
) -> None:
    made = issue(api, person)
    response = decide(api, made, **body)
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["errors"][0]["path"] == path and words in error["message"] + str(error["errors"])


def test_if_match_refuses_a_lost_update_with_409(api: TestClient, person: dict[str, Any]) -> None:
    made = issue(api, person)
    first = decide(api, made, intervention_id=ids(made)[0], decision="accepted")
    assert first.status_code == 200
    stale = decide(api, made, intervention_id=ids(made)[1], decision="accepted")  # still "1"
    assert stale.status_code == 409 and stale.json()["code"] == "version_conflict"
    assert stale.headers["etag"] == '"2"' and "version 2" in stale.json()["message"]
    bad = api.post(
        f"/v1/plans/{made['plan_id']}/decisions",
        json={"intervention_id": ids(made)[1], "decision": "accepted"},
        headers={"If-Match": "latest"},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "header.If-Match"
    unguarded = api.post(
        f"/v1/plans/{made['plan_id']}/decisions",
        json={"intervention_id": ids(made)[1], "decision": "accepted"},
    )
    assert unguarded.status_code == 200 and unguarded.json()["version"] == 3


def test_the_audit_trail_records_who_did_what_under_which_rules(
    api: TestClient, person: dict[str, Any]
) -> None:
    made = issue(api, person)
    decide(api, made, intervention_id="crs_accommodation", decision="rejected", reason="moved")
    trail = api.get(f"/v1/plans/{made['plan_id']}/audit").json()
    assert [e["kind"] for e in trail["events"]] == ["issued", "decision"]
    issued, decision = trail["events"]
    assert issued["by"] == "anonymous" and issued["rules_version"] == made["rules_version"]
    assert issued["detail"]["items"] == ids(made) and issued["detail"]["version"] == 1
    assert decision["detail"] | {"intervention_id": "crs_accommodation"} == decision["detail"]
    assert decision["detail"]["decision"] == "rejected" and decision["detail"]["reason"] == "moved"


def events_after(api: TestClient, cursor: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        page = api.get("/v1/events", params={"after": cursor, "limit": 2}).json()
        found += page["events"]
        if page["next"] == cursor:
            return found
        cursor = page["next"]


def test_the_event_feed_pages_by_cursor_in_the_hmpps_shape(
    api: TestClient, person: dict[str, Any]
) -> None:
    start = api.get("/v1/events", params={"after": "0", "limit": 1000}).json()["next"]
    made = issue(api, person)
    decide(api, made, intervention_id=ids(made)[0], decision="accepted")
    mine = [
        e
        for e in events_after(api, start)
        if e["personReference"]["identifiers"][0]["value"] == person["person_id"]
    ]
    assert [e["eventType"] for e in mine] == ["plan.issued", "plan.changed"]
    assert mine[0]["personReference"]["identifiers"][0]["type"] == "CRN"
    assert mine[1]["detailUrl"] == f"{BASE_URL}/v1/plans/{made['plan_id']}?version=2"
    assert mine[1]["additionalInformation"]["planId"] == made["plan_id"]
    bad = api.get("/v1/events", params={"after": "yesterday"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "query.after"


def test_erasure_removes_a_person_leaves_a_tombstone_and_says_so(
    api: TestClient, person: dict[str, Any]
) -> None:
    start = api.get("/v1/events", params={"after": "0", "limit": 1000}).json()["next"]
    made = issue(api, person)
    issue(api, person)
    decide(api, made, intervention_id=ids(made)[0], decision="accepted")
    erased = api.delete(f"/v1/people/{person['person_id']}")
    assert erased.status_code == 200 and erased.json() == {"erased": 2}
    assert api.get(f"/v1/plans/{made['plan_id']}").status_code == 404
    assert api.get(f"/v1/plans/{made['plan_id']}/audit").status_code == 404
    assert api.get(f"/v1/people/{person['person_id']}/plans").status_code == 404
    after = [
        e
        for e in events_after(api, "0")
        if e["personReference"]["identifiers"][0]["value"] == person["person_id"]
    ]
    assert [e["eventType"] for e in after] == ["person.erased"]
    assert after[0]["additionalInformation"] == {"plans": 2} and after[0]["detailUrl"] is None
    assert int(events_after(api, start)[-1]["occurredAt"][:4]) >= 2026
    again = api.delete(f"/v1/people/{person['person_id']}")
    assert again.json() == {"erased": 0}


def test_a_batch_stores_each_plan_and_replays_with_its_key(
    api: TestClient, person: dict[str, Any]
) -> None:
    second = variant(person, person_id=person["person_id"] + "B")
    body = {"assessments": [person, {"age": 3}, second]}
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = api.post("/v1/plans/batch", json=body, params={"today": TODAY}, headers=key).json()
    stored = [r["plan"]["plan_id"] for r in first["results"] if r["status"] == 200]
    assert len(stored) == 2 and all(stored)
    for plan_id in stored:
        assert api.get(f"/v1/plans/{plan_id}").status_code == 200
    again = api.post("/v1/plans/batch", json=body, params={"today": TODAY}, headers=key).json()
    assert [r["plan"]["plan_id"] for r in again["results"] if r["status"] == 200] == stored


def test_the_database_being_down_is_a_503_and_planning_without_storing_still_works(
    example: dict[str, Any],
) -> None:
    down = "postgresql+psycopg://matcher@127.0.0.1:9/nowhere"  # nothing listens on port 9
    with TestClient(create_app(Settings(database_url=down))) as client:
        response = client.post("/v1/plans", json=example, params={"today": TODAY})
        assert response.status_code == 503, response.text
        body = response.json()
        assert body["code"] == "database_unavailable" and "store=false" in body["message"]
        assert response.headers["retry-after"]
        assert client.get(f"/v1/plans/{uuid.uuid4()}").status_code == 503
        only = client.post("/v1/plans", json=example, params={"today": TODAY, "store": "false"})
        assert only.status_code == 200 and only.json()["items"]
        assert client.get("/readyz").status_code == 200


def test_plans_outlive_the_app_that_stored_them(example: dict[str, Any], tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path}/kept.db"
    with TestClient(create_app(Settings(database_url=url))) as first:
        made = issue(first, example)
    with TestClient(create_app(Settings(database_url=url))) as second:
        read = second.get(f"/v1/plans/{made['plan_id']}", params={"today": TODAY})
        assert read.json() == made
    assert url != TEST_DATABASE


@pytest.mark.parametrize(
    ("patch", "path"),
    [
        ({"person_id": "X1\u0000"}, "person_id"),
        ({"person_id": "X1\u202e"}, "person_id"),
        ({"goals": [{"text": "a job\u0000"}]}, "goals[0].text"),
    ],
)
def test_text_a_database_cannot_keep_is_a_422_naming_the_field(
    api: TestClient, person: dict[str, Any], patch: dict[str, Any], path: str
) -> None:
    response = api.post("/v1/plans", json=variant(person, **patch), params={"today": TODAY})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["path"] == path


def test_a_reason_with_a_nul_character_is_a_422_and_stores_nothing(
    api: TestClient, person: dict[str, Any]
) -> None:
    made = issue(api, person)
    response = decide(
        api, made, intervention_id="crs_accommodation", decision="rejected", reason="no\u0000"
    )
    assert response.status_code == 422 and response.json()["errors"][0]["path"] == "reason"
    assert api.get(f"/v1/plans/{made['plan_id']}").json()["version"] == 1


def test_the_embedded_database_is_created_on_first_use(
    example: dict[str, Any], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the default file is relative to where the service starts
    assert not (tmp_path / "var").exists()
    with TestClient(create_app(Settings())) as client:
        made = issue(client, example)
        assert client.get(f"/v1/plans/{made['plan_id']}").status_code == 200
    assert (tmp_path / "var" / "matcher.db").is_file()


def test_accepting_added_work_keeps_it_in_the_plan(api: TestClient, person: dict[str, Any]) -> None:
    made = issue(api, person)
    added = decide(api, made, intervention_id="debt_advice", decision="added", reason="arrears")
    accepted = decide(api, added.json(), intervention_id="debt_advice", decision="accepted")
    assert accepted.status_code == 200 and "debt_advice" in ids(accepted.json())
    item = next(i for i in accepted.json()["items"] if i["intervention_id"] == "debt_advice")
    assert item["decision"]["decision"] == "accepted"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/v1/plans/%00"),
        ("get", "/v1/plans/%00/audit"),
        ("get", "/v1/people/X%00/plans"),
        ("delete", "/v1/people/X%00"),
        ("delete", "/v1/people/X%E2%80%AE1"),
        ("get", "/v1/events?after=%C2%B2"),
    ],
)
def test_odd_characters_in_a_path_or_cursor_are_a_422(
    api: TestClient, method: str, path: str
) -> None:
    response = api.request(method, path)
    assert response.status_code == 422, response.text


def test_an_empty_cursor_starts_from_the_beginning_and_if_match_star_matches_any(
    api: TestClient, person: dict[str, Any]
) -> None:
    assert api.get("/v1/events", params={"after": ""}).status_code == 200
    made = issue(api, person)
    response = api.post(
        f"/v1/plans/{made['plan_id']}/decisions",
        json={"intervention_id": ids(made)[0], "decision": "accepted"},
        headers={"If-Match": "*"},
    )
    assert response.status_code == 200 and response.json()["version"] == 2


def test_erasing_someone_never_stored_tells_no_one_their_id(api: TestClient) -> None:
    start = api.get("/v1/events", params={"after": "0", "limit": 1000}).json()["next"]
    assert api.delete("/v1/people/NEVERSTORED1").json() == {"erased": 0}
    said = [e["personReference"]["identifiers"][0]["value"] for e in events_after(api, start)]
    assert "NEVERSTORED1" not in said


def test_a_key_is_for_one_request_whole(api: TestClient, person: dict[str, Any]) -> None:
    key = {"Idempotency-Key": uuid.uuid4().hex}
    second = variant(person, person_id=person["person_id"] + "B")
    body = {"assessments": [person, second]}
    first = api.post("/v1/plans/batch", json=body, params={"today": TODAY}, headers=key)
    assert first.status_code == 200
    changed = {"assessments": [person, variant(second, age=50)]}
    again = api.post("/v1/plans/batch", json=changed, params={"today": TODAY}, headers=key)
    assert again.status_code == 422 and again.json()["code"] == "idempotency_key_reused"
    single = api.post("/v1/plans", json=person, params={"today": TODAY}, headers=key)
    assert single.status_code == 422 and single.json()["code"] == "idempotency_key_reused"


def test_a_database_at_a_migration_this_code_does_not_know_is_unavailable_not_changed(
    example: dict[str, Any], tmp_path: Any
) -> None:
    import sqlite3

    url = f"sqlite:///{tmp_path}/newer.db"
    with TestClient(create_app(Settings(database_url=url))) as client:
        issue(client, example)
    with sqlite3.connect(tmp_path / "newer.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    with TestClient(create_app(Settings(database_url=url))) as client:
        response = client.post("/v1/plans", json=example, params={"today": TODAY})
        assert response.status_code == 503 and "9999" in response.json()["message"]
        only = client.post("/v1/plans", json=example, params={"today": TODAY, "store": "false"})
        assert only.status_code == 200
