"""POST /v1/_floor/plans: the framework floor for benchmarks (only with MATCHER_BENCH_ENDPOINTS=1).

It validates the body exactly as POST /v1/plans?store=false does, then returns the very plan that
endpoint gives for the person — made the first time the person is seen and kept (at most
``FLOOR_PEOPLE``) — so each request costs the framework what a plan request costs it (the same
validation, middleware and response bytes) without the planning: a benchmark that has sent every
body once can tell the planner's cost from the framework's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from api.auth import Plans
from api.deps import FloorPlansDep, RulebookDep
from api.errors import responses
from api.examples import ASSESSMENT_EXAMPLES
from api.json_body import StrictJsonRoute
from api.service import make_plan
from matcher.model.contract import Assessment, Plan

FLOOR_PEOPLE = 10_000

# the same auth and middleware as POST /v1/plans, so the floor is a fair one
router = APIRouter(
    tags=["benchmark"],
    dependencies=[Plans],
    responses=responses(401, 403, 413, 415, 422, 500),
    route_class=StrictJsonRoute,
)


@router.post(
    "/v1/_floor/plans", summary="The person's plan as first made, no planning (benchmark floor)"
)
def floor_plan(
    assessment: Annotated[Assessment, Body(openapi_examples=ASSESSMENT_EXAMPLES)],
    rulebook: RulebookDep,
    kept: FloorPlansDep,
) -> Plan:
    key = (rulebook.version, assessment.person_id)
    found = kept.get(key)
    if found is None:
        found = make_plan(assessment, rulebook, None, False)
        if len(kept) < FLOOR_PEOPLE:
            kept[key] = found
    return found
