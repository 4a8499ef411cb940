"""GET /v1/reports/provision over HTTP, on SQLite and PostgreSQL: the stored plans' picture,
counts under 5 hidden, CSV equal to the JSON, a region, a window, re-planned under live rules."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from fastapi.testclient import TestClient

from matcher.model.contract import Assessment, Plan
from matcher.reports.provision import seen, suppress, tally
from tests.api.conftest import issue, variant

REPORT = "/v1/reports/provision"


def test_the_report_counts_the_stored_plans_and_hides_small_counts(
    api: TestClient, example: dict[str, Any]
) -> None:
    sent = [variant(example, person_id=f"R{n:04d}", region="london") for n in range(7)]
    sent += [variant(example, person_id=f"W{n:04d}", region="wales") for n in range(2)]
    made = [issue(api, body) for body in sent]
    again = issue(api, sent[0])  # a person's newest plan counts, once
    made[0] = again

    response = api.get(REPORT)
    assert response.status_code == 200, response.text
    report = response.json()
    people = [
        seen(Assessment.model_validate(body), Plan.model_validate(plan))
        for body, plan in zip(sent, made, strict=True)
    ]
    expected = suppress(tally(people, {}, {}))
    assert report["people"] == 9
    got = {(c["region"], c["need_area"]): c for c in report["cells"]}
    for cell in expected["cells"]:
        assert got[(cell["region"], cell["need_area"])] == cell
    wales = [c for c in report["cells"] if c["region"] == "wales"]
    assert wales and all(c["priority"] == "<5" for c in wales)
    assert all(
        r["demand_people"] == "<5" for r in report["interventions"] if r["region"] == "wales"
    )
    assert report["rules_versions"] == [made[0]["rules_version"]]


def test_the_csv_is_the_json(api: TestClient) -> None:
    as_json = api.get(REPORT).json()
    as_csv = api.get(REPORT, headers={"Accept": "text/csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    cells = [r for r in rows if r["table"] == "cell"]
    assert [(r["region"], r["need_area"], r["unmet"]) for r in cells] == [
        (c["region"], c["need_area"], str(c["unmet"])) for c in as_json["cells"]
    ]
    assert len(rows) == len(as_json["cells"]) + len(as_json["interventions"])


def test_a_region_a_window_and_replanning(api: TestClient) -> None:
    wales = api.get(REPORT, params={"region": "wales"}).json()
    assert wales["people"] == "<5" and {c["region"] for c in wales["cells"]} == {"wales"}
    past = api.get(REPORT, params={"since": "2020-01-01", "until": "2020-12-31"}).json()
    assert past["people"] == 0 and past["cells"] == []
    replanned = api.get(REPORT, params={"replan": "true"}).json()
    assert replanned["people"] == api.get(REPORT).json()["people"]


def test_bad_parameters_name_the_parameter(api: TestClient) -> None:
    unknown = api.get(REPORT, params={"region": "atlantis"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["path"] == "query.region"
    backwards = api.get(REPORT, params={"since": "2026-06-01", "until": "2026-01-01"})
    assert backwards.status_code == 422 and "since" in json.dumps(backwards.json())
