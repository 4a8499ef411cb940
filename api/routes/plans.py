"""POST /v1/plans, /v1/matches and /v1/plans/batch."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request, Response

from api import records, service
from api.auth import Plans
from api.deps import CallerDep, RulebookDep, SettingsDep, StorageDep, noted
from api.errors import ApiError, ErrorItem, responses
from api.examples import ASSESSMENT_EXAMPLES, BATCH_EXAMPLES
from api.json_body import StrictJsonRoute
from api.schemas import BatchRequest, BatchResponse, MatchResponse
from matcher.model.contract import IDENTIFIER, Assessment, IsoDate, Plan, Proposal
from matcher.model.strict import QueryBool

router = APIRouter(
    tags=["plans"],
    dependencies=[Plans],
    responses=responses(401, 403, 413, 415, 422, 500, 503),
    route_class=StrictJsonRoute,
)

AssessmentBody = Annotated[Assessment, Body(openapi_examples=ASSESSMENT_EXAMPLES)]
Explain = Annotated[QueryBool, Query(description="add the trace of every rule that fired")]
Today = Annotated[
    IsoDate | None,
    Query(description="plan as if today were this date (YYYY-MM-DD), for reproducible plans"),
]
Store = Annotated[
    QueryBool, Query(description="store the plan (default); false: plan only, nothing is kept")
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="a retried request with the same key returns the plan(s) it made",
    ),
]


@router.post("/v1/plans", summary="A sequenced, explained plan for one assessment, stored")
def create_plan(
    request: Request,
    assessment: AssessmentBody,
    rulebook: RulebookDep,
    storage: StorageDep,
    caller: CallerDep,
    response: Response,
    explain: Explain = False,
    today: Today = None,
    store: Store = True,
    idempotency_key: IdempotencyKey = None,
) -> Plan:
    """Which interventions, why, in which order and from which week; what is unmet and why.
    Stored (with ``plan_id`` and ``version``) unless ``?store=false``."""
    noted(request, assessment.person_id)
    if not store:
        return service.make_plan(assessment, rulebook, today, explain)
    body = assessment.model_dump(mode="json", exclude_unset=True)
    asked = records.asking(caller, idempotency_key, today, explain, "plans", body)
    made, replayed = records.plan_and_store(storage.store(), assessment, rulebook, asked)
    response.headers["ETag"] = f'"{made.version}"'
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return made


@router.post(
    "/v1/proposals",
    summary="Requirements to propose to the court, and the plan they would allow",
)
def create_proposal(
    request: Request, assessment: AssessmentBody, rulebook: RulebookDep, today: Today = None
) -> Proposal:
    """For a pre-sentence report: the requirements (RAR days, accredited programme requirement
    and which programme, treatment requirements) to propose, each with its reasons, and the plan
    the proposed order would allow. The sentence may carry only its type and dates."""
    noted(request, assessment.person_id)
    return service.make_proposal(assessment, rulebook, today)


@router.post("/v1/matches", summary="Eligible, selected and excluded interventions, no sequencing")
def create_match(
    request: Request,
    assessment: AssessmentBody,
    rulebook: RulebookDep,
    explain: Explain = False,
    today: Today = None,
) -> MatchResponse:
    """A quick eligibility check: the same rules as a plan, without order or weeks."""
    noted(request, assessment.person_id)
    return service.match(assessment, rulebook, today, explain)


@router.post("/v1/plans/batch", summary="Plans for a caseload, in the order sent")
def create_batch(
    body: Annotated[BatchRequest, Body(openapi_examples=BATCH_EXAMPLES)],
    rulebook: RulebookDep,
    settings: SettingsDep,
    storage: StorageDep,
    caller: CallerDep,
    explain: Explain = False,
    today: Today = None,
    store: Store = True,
    idempotency_key: IdempotencyKey = None,
) -> BatchResponse:
    """Each assessment is validated and planned on its own: a bad one gets an error entry
    (the same envelope as a single call) and never fails the batch. Each plan is stored unless
    ``?store=false``."""
    if explain and len(body.assessments) > settings.max_batch_explain:
        raise ApiError(
            422,
            f"explain=true is limited to batches of {settings.max_batch_explain} (a trace is large): "
            "send fewer, or ask POST /v1/explanations for the ones you need",
            [
                ErrorItem(
                    path="explain", message=f"at most {settings.max_batch_explain} assessments"
                )
            ],
        )
    asked = records.asking(caller, idempotency_key, today, explain, "batch", body.assessments)
    keep = records.keeper(storage.store(), rulebook, asked) if store else None
    return service.plan_batch(body.assessments, rulebook, settings.max_batch, today, explain, keep)


@router.post(
    "/v1/explanations",
    summary="Every rule that fired, and why one intervention was or was not chosen",
    responses=responses(404),
)
def create_explanation(
    request: Request,
    assessment: AssessmentBody,
    rulebook: RulebookDep,
    intervention: Annotated[
        str | None,
        Query(
            max_length=64,
            pattern=IDENTIFIER,
            description="explain this intervention, e.g. building_choices_high",
        ),
    ] = None,
    today: Today = None,
) -> dict[str, Any]:
    """The rules that fired with the facts they matched; for ``intervention``: selected, excluded
    (and by which rules and eligibility criteria), outscored, not needed, or too long to finish."""
    noted(request, assessment.person_id)
    return service.explain(assessment, rulebook, intervention, today)
