"""Examples of the stored-plan responses for the OpenAPI document, built from the example plan the
live rulebook makes (the ids, times and the decision are illustrative)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from api.schemas import (
    AuditEvent,
    AuditTrail,
    Changes,
    DomainEvent,
    EventFeed,
    Identifier,
    PersonPlans,
    PlanList,
    ProgressResponse,
    Reviewed,
)
from api.schemas import PersonReference as Reference
from matcher.model.contract import ItemDecision, Plan, StatusChange

PLAN_ID = "3f2b8c1e-5d4a-4e7b-9c61-0a8d2e4f6b13"
ISSUED = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
DECIDED = datetime(2026, 11, 3, 14, 5, tzinfo=UTC)
BY = "anonymous"


def stored_examples(found: Plan) -> dict[tuple[str, str], Any]:
    """(path, method) → an example body for each stored-plan operation."""
    first = found.model_copy(
        update={"plan_id": PLAN_ID, "version": 1, "created_at": ISSUED, "requested_by": BY}
    )
    items = list(first.items)
    accepted = ItemDecision(decision="accepted", by=BY, at=DECIDED)
    if items:
        items[0] = items[0].model_copy(update={"decision": accepted, "status_history": []})
    second = first.model_copy(update={"version": 2, "created_at": DECIDED, "items": items})
    decided = items[0].intervention_id if items else ""
    trail = _trail(found, decided)
    feed = _feed(found)
    return {
        ("/v1/plans/{plan_id}", "get"): second.model_dump(mode="json"),
        ("/v1/plans/{plan_id}/decisions", "post"): second.model_dump(mode="json"),
        ("/v1/people/{person_id}/plans", "get"): PersonPlans(
            person_id=found.person_id, plans=[second]
        ).model_dump(mode="json"),
        ("/v1/plans/{plan_id}/audit", "get"): trail.model_dump(mode="json"),
        ("/v1/people/{person_id}", "delete"): {"erased": 1},
        ("/v1/events", "get"): feed.model_dump(mode="json"),
        ("/v1/plans", "get"): PlanList(plans=[second]).model_dump(mode="json"),
        ("/v1/plans/{plan_id}/progress", "post"): ProgressResponse(
            plan_id=PLAN_ID,
            intervention_id=decided,
            status="referred",
            status_history=[
                StatusChange(status="referred", date=DECIDED.date(), by=BY, at=DECIDED)
            ],
        ).model_dump(mode="json"),
        ("/v1/plans/{plan_id}/reviews", "post"): Reviewed(
            **second.model_copy(update={"version": 3}).model_dump(), changes=Changes()
        ).model_dump(mode="json"),
    }


def _trail(found: Plan, decided: str) -> AuditTrail:
    return AuditTrail(
        plan_id=PLAN_ID,
        events=[
            AuditEvent(
                kind="issued",
                at=ISSUED,
                by=BY,
                rules_version=found.rules_version,
                detail={"version": 1, "items": [i.intervention_id for i in found.items]},
            ),
            AuditEvent(
                kind="decision",
                at=DECIDED,
                by=BY,
                rules_version=found.rules_version,
                detail={"version": 2, "intervention_id": decided, "decision": "accepted"},
            ),
        ],
    )


def _feed(found: Plan) -> EventFeed:
    person = Reference(identifiers=[Identifier(value=found.person_id)])
    return EventFeed(
        events=[
            DomainEvent(
                eventType=kind,
                version=1,
                occurredAt=at,
                detailUrl=f"http://127.0.0.1:8000/v1/plans/{PLAN_ID}?version={number}",
                personReference=person,
                additionalInformation={"planId": PLAN_ID, "version": number},
            )
            for kind, at, number in (("plan.issued", ISSUED, 1), ("plan.changed", DECIDED, 2))
        ],
        next="2",
    )
