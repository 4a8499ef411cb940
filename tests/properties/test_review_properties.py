"""A review never changes or removes completed work, and never schedules anything in the past:
random assessments, random progress on their plans' items, then a review (over HTTP, with the
real engine and a SQLite store)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.main import create_app
from api.settings import Settings
from matcher.model.contract import Assessment
from tests.strategies import SENTENCE_START, assessments

STATUSES = (
    "referred",
    "waiting",
    "started",
    "completed",
    "not_completed",
    "declined",
    "unavailable",
)
REVIEWED = SENTENCE_START + timedelta(weeks=10)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path_factory.mktemp('reviews')}/matcher.db"
    with TestClient(create_app(Settings(database_url=url))) as client:
        yield client


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(person=assessments(), data=st.data())
def test_a_review_keeps_completed_work_and_schedules_nothing_in_the_past(
    api: TestClient, person: Assessment, data: st.DataObject
) -> None:
    body = person.model_dump(mode="json", exclude_unset=True)
    made = api.post("/v1/plans", json=body, params={"today": SENTENCE_START.isoformat()})
    if made.status_code != 200:
        return  # an assessment the service refuses (e.g. under age) has no plan to review
    plan = made.json()
    completed: dict[str, date] = {}
    for item in plan["items"]:
        status = data.draw(st.sampled_from((None, *STATUSES)), label=item["intervention_id"])
        if status is None:
            continue
        day = SENTENCE_START + timedelta(days=data.draw(st.integers(0, 69)))
        sent = {"intervention_id": item["intervention_id"], "status": status, "date": str(day)}
        response = api.post(
            f"/v1/plans/{plan['plan_id']}/progress", json=sent, params={"today": str(REVIEWED)}
        )
        assert response.status_code == 200, response.text
        if status == "completed":
            completed[item["intervention_id"]] = day
    first = _review(api, plan["plan_id"], REVIEWED)
    second = _review(api, plan["plan_id"], REVIEWED + timedelta(weeks=3))
    for after in (first, second):
        begin = date.fromisoformat(after["plan_start"])
        listed = [i["intervention_id"] for i in after["items"]]
        assert len(listed) == len(set(listed)), listed  # nothing twice
        items = {i["intervention_id"]: i for i in after["items"]}
        for intervention_id, day in completed.items():  # kept, as it was done
            kept = items[intervention_id]
            assert kept["status"] == "completed", kept
            assert kept["end_week"] == (day - begin).days // 7  # its real date, every review
            assert intervention_id not in {
                r["intervention_id"] for r in after["changes"]["removed"]
            }
        for item in after["items"]:  # nothing new starts before the review
            if item["status"] not in ("completed", "started"):
                assert item["start_week"] >= 0, item


def _review(api: TestClient, plan_id: str, day: date) -> dict[str, Any]:
    response = api.post(f"/v1/plans/{plan_id}/reviews", params={"today": str(day)})
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found
