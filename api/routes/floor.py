"""POST /v1/_floor/plans: the framework floor for benchmarks (only with MATCHER_BENCH_ENDPOINTS=1).

It validates the body exactly as POST /v1/plans does, then returns a stored plan of realistic
size without planning, so a benchmark can tell the engine's cost from the framework's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from api.auth import Plans
from api.deps import FloorPlanDep
from api.errors import responses
from api.examples import ASSESSMENT_EXAMPLES
from api.json_body import StrictJsonRoute
from matcher.model.contract import Assessment, Plan

# the same auth and middleware as POST /v1/plans, so the floor is a fair one
router = APIRouter(
    tags=["benchmark"],
    dependencies=[Plans],
    responses=responses(401, 403, 413, 415, 422, 500),
    route_class=StrictJsonRoute,
)


@router.post("/v1/_floor/plans", summary="A stored plan, no planning (benchmark floor)")
def floor_plan(
    assessment: Annotated[Assessment, Body(openapi_examples=ASSESSMENT_EXAMPLES)],
    stored: FloorPlanDep,
) -> Plan:
    return stored
