"""Worked examples for the OpenAPI document: requests written here, responses computed from the
rulebook that is loaded, so they are always real."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from fastapi.openapi.models import Example

from matcher.model.contract import Assessment

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"  # data, not code
EXAMPLE_TODAY = date(2026, 11, 1)


def _json(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return loaded


ASSESSMENT = _json("assessment.json")
WOMAN = _json("woman_mental_health_debt_housing.json")
BAD = _json("bad_assessment.json")
ASSESSMENT_EXAMPLES = {
    "worked": Example(
        summary="Man, community order, accommodation need, domestic abuse flag", value=ASSESSMENT
    ),
    "woman": Example(summary="Woman with mental health, debt and housing needs", value=WOMAN),
}
BATCH_EXAMPLES = {
    "caseload": Example(
        summary="Two good assessments and one bad one",
        value={"assessments": [ASSESSMENT, WOMAN, BAD]},
    ),
}
BROKEN_RULE_FILES: dict[str, str | None] = {
    "rules/rulesets/99_new.yaml": (EXAMPLES / "broken_rule.yaml").read_text(encoding="utf-8")
}
VALIDATE_EXAMPLES = {
    "broken": Example(
        summary="A rule file with a misspelt field", value={"files": BROKEN_RULE_FILES}
    ),
    "delete": Example(
        summary="What if a file were removed?",
        value={"files": {"rules/rulesets/70_strengths.yaml": None}},
    ),
}


def example_plan_assessment() -> Assessment:
    return Assessment.model_validate(ASSESSMENT)
