"""POST /v1/proposals and `matcher propose`: requirements to propose to the court in a
pre-sentence report, each with reasons from the rules, and the plan they would allow."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import TODAY, variant
from tests.api.test_endpoints import errors_at

DOMESTIC_ABUSE = {
    "sentence": {"type": "community_order", "start_date": "2026-11-01", "end_date": "2028-05-01",
                 "requirements": [], "mandated": []},
    "risk": {"ogrs": 62, "rosh": "medium", "flags": ["domestic_abuse"], "sara_partner": "medium"},
    "needs": [{"area": "relationships", "severity": 2, "linked_to_offending": True},
              {"area": "alcohol", "severity": 2, "linked_to_offending": True},
              {"area": "thinking_behaviour", "severity": 1, "linked_to_offending": True}],
}  # fmt: skip


def test_a_domestic_abuse_case_gets_the_programme_requirement_for_bbr_treatment_and_rar_days(
    client: TestClient, example: dict[str, Any]
) -> None:
    response = client.post(
        "/v1/proposals", json=variant(example, **DOMESTIC_ABUSE), params={"today": TODAY}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert {"person_id", "rules_version", "requirements", "plan", "warnings"} <= set(body)
    proposed = {r["code"]: r for r in body["requirements"]}
    assert proposed["accredited_programme"]["intervention_id"] == "building_better_relationships"
    assert proposed["alcohol_treatment"]["reasons"][0]["rule_id"] == "proposals.alcohol_treatment"
    assert proposed["rar"]["days"] % 5 == 0 and proposed["rar"]["days"] > 0
    for requirement in body["requirements"]:
        assert all(r["rule_id"] and r["text"] for r in requirement["reasons"])
    items = {i["intervention_id"]: i for i in body["plan"]["items"]}
    assert "building_better_relationships" in items  # the proposed order allows it
    assert items["community_drug_alcohol_treatment"]["mandatory"]  # the treatment requirement


def test_without_the_proposed_requirements_the_programme_could_not_be_planned(
    client: TestClient, example: dict[str, Any]
) -> None:
    """What makes the proposal worth making: the same person, sentenced without it."""
    plan = client.post(
        "/v1/plans", json=variant(example, **DOMESTIC_ABUSE), params={"today": TODAY}
    ).json()
    assert "building_better_relationships" not in {i["intervention_id"] for i in plan["items"]}


def test_a_licence_is_not_a_sentence_requirements_are_proposed_for(
    client: TestClient, example: dict[str, Any]
) -> None:
    body = variant(example, sentence={"type": "licence", "requirements": [], "mandated": []})
    response = client.post("/v1/proposals", json=body, params={"today": TODAY})
    assert response.status_code == 422
    assert "licence" in errors_at(response)["sentence.type"]


def test_bad_input_to_a_proposal_names_the_field(
    client: TestClient, example: dict[str, Any]
) -> None:
    response = client.post("/v1/proposals", json=variant(example, age="old"))
    assert response.status_code == 422
    assert "age" in errors_at(response)


def test_matcher_propose_prints_the_same_proposal(
    client: TestClient, example: dict[str, Any], tmp_path: Path
) -> None:
    body = variant(example, **DOMESTIC_ABUSE)
    path = tmp_path / "psr.json"
    path.write_text(json.dumps(body))
    done = subprocess.run(
        [sys.executable, "-m", "matcher.cli.main", "propose", str(path), "--today", TODAY],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    served = client.post("/v1/proposals", json=body, params={"today": TODAY}).json()
    assert [r["code"] for r in printed["requirements"]] == [
        r["code"] for r in served["requirements"]
    ]
