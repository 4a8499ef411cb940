"""Worked examples for the OpenAPI document: requests written here, responses computed from the
rulebook that is loaded, so they are always real."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.openapi.models import Example

from matcher.domain import Assessment
from matcher.rulebook import Rulebook

EXAMPLE_TODAY = date(2026, 11, 1)
ASSESSMENT: dict[str, Any] = {
    "person_id": "X123456",
    "age": 34,
    "gender": "male",
    "region": "north_east",
    "sentence": {
        "type": "community_order",
        "start_date": "2026-11-01",
        "end_date": "2027-11-01",
        "requirements": ["rar"],
        "rar_days": 20,
        "mandated": ["building_better_relationships"],
    },
    "risk": {"ogrs": 62, "rosh": "medium", "mappa_level": 0, "flags": ["domestic_abuse"]},
    "needs": [
        {"area": "accommodation", "severity": 2, "linked_to_offending": True},
        {"area": "thinking_behaviour", "severity": 1},
    ],
    "strengths": ["supportive_family"],
    "responsivity": ["employed_full_time"],
}
WOMAN: dict[str, Any] = {
    **ASSESSMENT,
    "person_id": "X654321",
    "gender": "female",
    "region": "london",
    "sentence": {**ASSESSMENT["sentence"], "mandated": []},
    "risk": {"ogrs": 35, "rosh": "low", "flags": []},
    "needs": [
        {"area": "emotional_wellbeing", "severity": 2},
        {"area": "finance", "severity": 1, "linked_to_offending": True},
    ],
    "responsivity": ["caring_responsibilities"],
}
BAD: dict[str, Any] = {
    **ASSESSMENT,
    "person_id": "X000001",
    "needs": [{"area": "acommodation", "severity": 3}],
}
ASSESSMENT_EXAMPLES = {
    "worked": Example(
        summary="Man, community order, accommodation need, DA flag", value=ASSESSMENT
    ),
    "woman": Example(summary="Woman with caring responsibilities", value=WOMAN),
}
BATCH_EXAMPLES = {
    "caseload": Example(
        summary="Two good assessments and one bad one",
        value={"assessments": [ASSESSMENT, WOMAN, BAD]},
    ),
}
BROKEN_RULE_FILES: dict[str, str | None] = {
    "rules/rulesets/99_new.yaml": (
        "stage: 3\n"
        "rules:\n"
        "  - id: risk.new_rule\n"
        "    description: Low likelihood of reoffending, light-touch work preferred.\n"
        "    source: example\n"
        "    when: {ogrs_bnd: low}\n"
        "    then: {recommend: {select: {intensity: low}, weight: 1}}\n"
    )
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


def response_examples(rulebook: Rulebook) -> dict[tuple[str, str], Any]:
    """(path, method) → a real response body, computed with the live rulebook at start-up."""
    from api import service
    from matcher.planner import plan

    assessment = example_plan_assessment()
    found = plan(assessment, rulebook, today=EXAMPLE_TODAY)
    graph = service.graph(rulebook)
    listing = service.interventions(
        rulebook, need_area="accommodation", region="north_east", kind=None, gender=None
    )
    batch = service.plan_batch([ASSESSMENT, BAD], rulebook, 10, EXAMPLE_TODAY, False)
    validate = service.validate(rulebook, BROKEN_RULE_FILES)
    return {
        ("/v1/plans", "post"): found.model_dump(mode="json"),
        ("/v1/matches", "post"): service.match(
            assessment, rulebook, EXAMPLE_TODAY, False
        ).model_dump(mode="json"),
        ("/v1/plans/batch", "post"): batch.model_dump(mode="json", exclude_none=True),
        ("/v1/interventions", "get"): listing.model_dump(mode="json"),
        ("/v1/interventions/{intervention_id}", "get"): listing.interventions[0].model_dump(
            mode="json"
        )
        if listing.interventions
        else None,
        ("/v1/rules", "get"): service.rules_info(rulebook).model_dump(mode="json"),
        ("/v1/rules/validate", "post"): validate.model_dump(mode="json"),
        ("/v1/sequencing-graph", "get"): {
            **graph.model_dump(mode="json"),
            "edges": [e.model_dump() for e in graph.edges[:3]],
        },
    }
