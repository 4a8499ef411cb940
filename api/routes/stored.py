"""Stored plans: read a plan and its versions, a person's plans, decisions, the audit trail,
erasure and the feed of events (design.md §6.2)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Response
from pydantic import AfterValidator

from api import decisions, delivery, records, reviews
from api.auth import Erasure, Plans, Reports
from api.deps import CallerDep, RulebookDep, SettingsDep, StoreDep
from api.errors import responses
from api.json_body import StrictJsonRoute
from api.schemas import (
    AuditTrail,
    DecisionRequest,
    Erased,
    EventFeed,
    PersonPlans,
    PlanList,
    ProgressRequest,
    ProgressResponse,
    Reviewed,
    ReviewRequest,
)
from matcher.model.contract import IDENTIFIER, IsoDate, Plan, plain_id
from matcher.model.strict import Digits

router = APIRouter(
    tags=["stored plans"],
    responses=responses(401, 403, 404, 422, 500, 503),
    route_class=StrictJsonRoute,
)

PlanId = Annotated[
    str,
    Path(
        pattern=r"^[0-9a-fA-F-]{1,36}$",
        description="the plan_id a stored plan was given",
        examples=["3f2b8c1e-5d4a-4e7b-9c61-0a8d2e4f6b13"],
    ),
]
PersonId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        json_schema_extra={"pattern": IDENTIFIER},
        description="the person's id (CRN)",
        examples=["X123456"],
    ),
    AfterValidator(plain_id),
]
Today = Annotated[
    IsoDate | None, Query(description="decide as if today were this date (YYYY-MM-DD)")
]
IfMatch = Annotated[
    str | None,
    Header(
        max_length=40,
        pattern=r'^(\*|(W/)?"?[0-9]{1,9}"?)$',
        description='the version the decision is made on, e.g. "2": 409 if the plan has moved on',
    ),
]


ReadToday = Annotated[
    IsoDate | None, Query(description="read as if today were this date: what is overdue by then")
]


@router.get(
    "/v1/plans", dependencies=[Plans], summary="Stored plans with work overdue: ?status=overdue"
)
def list_plans(
    store: StoreDep,
    rulebook: RulebookDep,
    status: Annotated[Literal["overdue"], Query(description="only overdue is supported")],
    today: ReadToday = None,
    limit: Annotated[int, Query(ge=1, le=1000), Digits] = 100,
) -> PlanList:
    """Plans whose latest version has work due to start before today with nothing recorded on
    it (no referral, no progress), the longest overdue first; each carries its warnings."""
    return records.overdue_plans(store, rulebook, today, limit)


@router.get(
    "/v1/plans/{plan_id}",
    dependencies=[Plans],
    summary="A stored plan: its latest version, or ?version=N",
)
def get_plan(
    plan_id: PlanId,
    store: StoreDep,
    rulebook: RulebookDep,
    response: Response,
    version: Annotated[int | None, Query(ge=1, le=1_000_000), Digits] = None,
    today: ReadToday = None,
) -> Plan:
    """The latest version warns of work due to start with nothing recorded on it."""
    found = records.read(store, rulebook, plan_id, version, today)
    response.headers["ETag"] = f'"{found.version}"'
    return found


@router.get(
    "/v1/people/{person_id}/plans",
    dependencies=[Plans],
    summary="A person's stored plans, newest first",
)
def get_person_plans(
    person_id: PersonId, store: StoreDep, rulebook: RulebookDep, today: ReadToday = None
) -> PersonPlans:
    return records.person_plans(store, rulebook, person_id, today)


@router.post(
    "/v1/plans/{plan_id}/progress",
    dependencies=[Plans],
    summary="Progress on an item from the field: its status history (no new version)",
)
def create_progress(
    plan_id: PlanId,
    body: ProgressRequest,
    store: StoreDep,
    rulebook: RulebookDep,
    caller: CallerDep,
    today: Today = None,
) -> ProgressResponse:
    """referred, waiting, started, completed, not_completed, declined or unavailable, with the
    date it happened (not after today), a reason and a reason code from the vocabulary."""
    return delivery.record(store, rulebook, plan_id, body, caller, today or date.today())


@router.post(
    "/v1/plans/{plan_id}/decisions",
    dependencies=[Plans],
    summary="Accept, reject or add an intervention: the plan's next version",
    responses=responses(409),
)
def create_decision(
    plan_id: PlanId,
    body: DecisionRequest,
    store: StoreDep,
    rulebook: RulebookDep,
    caller: CallerDep,
    response: Response,
    if_match: IfMatch = None,
    today: Today = None,
) -> Plan:
    """A rejected item leaves and the rules choose the next option (it stays out at later
    versions unless added again); an added item joins and is sequenced; an intervention the court
    ordered cannot be rejected. The new version is planned with the rules live now."""
    asked = records.Request(caller, today=today)
    seen = records.if_match(if_match)
    made = decisions.decide(store, rulebook, plan_id, body, seen, asked)
    response.headers["ETag"] = f'"{made.version}"'
    return made


@router.post(
    "/v1/plans/{plan_id}/reviews",
    dependencies=[Plans],
    summary="A review: the next version planned around what happened, and what changed",
    responses=responses(409),
)
def create_review(
    plan_id: PlanId,
    store: StoreDep,
    rulebook: RulebookDep,
    caller: CallerDep,
    response: Response,
    body: ReviewRequest | None = None,
    if_match: IfMatch = None,
    today: Today = None,
) -> Reviewed:
    """As of the review date (``?today=``): completed and started work kept with its real dates;
    declined, not completed and unavailable work answered by the rules; the rest re-sequenced.
    ``changes`` lists what was added, removed or moved, and why."""
    seen = records.if_match(if_match)
    made = reviews.review(store, rulebook, plan_id, body or ReviewRequest(), seen, caller, today)
    response.headers["ETag"] = f'"{made.version}"'
    return made


@router.get(
    "/v1/plans/{plan_id}/audit",
    dependencies=[Plans],
    summary="What happened to a plan: append-only events",
)
def get_audit(plan_id: PlanId, store: StoreDep) -> AuditTrail:
    return records.audit(store, plan_id)


@router.delete(
    "/v1/people/{person_id}",
    dependencies=[Erasure],
    summary="Erase a person: their assessments, plans and events; a tombstone stays",
)
def erase_person(person_id: PersonId, store: StoreDep, caller: CallerDep) -> Erased:
    return Erased(erased=records.erase(store, person_id, caller))


@router.get(
    "/v1/events",
    dependencies=[Reports],
    summary="plan.issued, plan.changed and person.erased, after a cursor",
)
def get_events(
    store: StoreDep,
    settings: SettingsDep,
    after: Annotated[
        str, Query(max_length=18, pattern=r"^[0-9]*$", description="`next` of the last page")
    ] = "0",
    limit: Annotated[int, Query(ge=1, le=1000), Digits] = 100,
) -> EventFeed:
    return records.events(store, after, limit, settings.base_url)
