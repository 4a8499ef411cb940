"""Stored plans, as the routes need them: store what was planned, read it back with its
decisions, decide, erase, and the feed of events (design.md §6.2). The store keeps documents;
this is where they become the API's models again."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from api.delivery import history_of, next_due, now, overdue, status_now
from api.errors import ApiError, ErrorItem
from api.schemas import (
    AuditEvent,
    AuditTrail,
    DomainEvent,
    EventFeed,
    Identifier,
    PersonPlans,
    PersonReference,
    PlanList,
)
from matcher.model.contract import Assessment, Plan
from matcher.planning.planner import plan
from matcher.rulebook.book import Rulebook
from matcher.store.plans import Store
from matcher.store.records import Asked, Made, Version

_IF_MATCH = re.compile(r'^\s*(?:W/)?"?(\d{1,9})"?\s*$')
_CURSOR = re.compile(r"[0-9]{1,18}")


@dataclass(frozen=True)
class Request:
    """Who asks, with which Idempotency-Key (and a hash of the whole request it keys), and the
    query that shaped the plan."""

    by: str
    key: str | None = None
    today: date | None = None
    explain: bool = False
    digest: str = ""


def asking(
    by: str, key: str | None, today: date | None, explain: bool, what: str, body: Any
) -> Request:
    """A request to plan: ``what`` (the endpoint) and ``body`` are hashed when a key is sent, so
    the same key with another request, or at another endpoint, is refused."""
    digest = request_hash(what, body, today) if key is not None else ""
    return Request(by, key, today, explain, digest)


def request_hash(what: str, body: Any, today: date | None) -> str:
    """What a request asked, as a hash."""
    given = {"what": what, "body": body, "today": today and today.isoformat()}
    canonical = json.dumps(given, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def replayed(store: Store, asked: Request, position: int = 0) -> Plan | None:
    """The plan an earlier request with the same Idempotency-Key made, if there was one."""
    if asked.key is None:
        return None
    found = store.replayed(_asked(asked, position))
    return present(store, found) if found else None


def plan_and_store(
    store: Store, assessment: Assessment, rulebook: Rulebook, asked: Request
) -> tuple[Plan, bool]:
    """The plan for an assessment, stored; or, for a retried request (the same Idempotency-Key),
    the plan it made then. The flag says which."""
    keep = keeper(store, rulebook, asked)
    made: list[bool] = []

    def make() -> Plan:
        made.append(True)
        return plan(assessment, rulebook, today=asked.today, explain=asked.explain)

    return keep(0, assessment, make), not made


def keeper(
    store: Store, rulebook: Rulebook, asked: Request
) -> Callable[[int, Assessment, Callable[[], Plan]], Plan]:
    """Stores each plan a request makes (at its position in the request), unless the same
    request was made before with its Idempotency-Key: then the plan it stored."""

    def keep(position: int, assessment: Assessment, make: Callable[[], Plan]) -> Plan:
        found = replayed(store, asked, position)
        if found is not None:
            return found
        return store_plan(store, assessment, make(), rulebook, asked, position)

    return keep


def store_plan(
    store: Store,
    assessment: Assessment,
    planned: Plan,
    rulebook: Rulebook,
    asked: Request,
    position: int = 0,
) -> Plan:
    """Store a plan just made as version 1 of a new plan; the answer carries its id."""
    made = Made(
        person_id=assessment.person_id,
        assessment=assessment.model_dump(mode="json", exclude_unset=True),
        plan=document(planned),
        rules_version=rulebook.version,
        planned_on=planned.plan_start or asked.today or date.today(),
        detail={"items": [i.intervention_id for i in planned.items]},
        next_due=None,
    )
    made = replace(made, next_due=next_due(made.plan, [], made.planned_on))
    plan_id = str(uuid.uuid4())
    version = store.issue(plan_id, made, _asked(asked, position))
    if version.plan_id != plan_id:  # the same key, sent twice at once: the first one's plan
        return present(store, version)
    return _as_stored(planned, version)


def _as_stored(planned: Plan, version: Version) -> Plan:
    """The plan just made, as its stored first version shows (no decisions or progress yet):
    what ``present`` would read back, without reading it."""
    items = [item.model_copy(update={"status_history": []}) for item in planned.items]
    stored = {
        "items": items,
        "plan_id": version.plan_id,
        "version": version.version,
        "created_at": version.created_at,
        "requested_by": version.created_by,
    }
    return planned.model_copy(update=stored)


def _asked(asked: Request, position: int) -> Asked:
    return Asked(asked.by, now(), asked.key, position, asked.digest)


def document(planned: Plan) -> dict[str, Any]:
    """What is stored of a plan: all of it but the trace (which an explanation gives again)."""
    stored: dict[str, Any] = planned.model_dump(mode="json", exclude={"trace"})
    return stored


def present(
    store: Store, version: Version, rulebook: Rulebook | None = None, today: date | None = None
) -> Plan:
    """A stored version as the API shows it: its id and version, each item's decision and
    progress, and — read with the ``rulebook`` as of ``today`` — work that is overdue."""
    decided = store.decisions(version.plan_id, version.version) if version.version > 1 else []
    latest = {d.intervention_id: d for d in decided}  # a first version has no decisions yet
    progress = store.progress(version.plan_id)
    history = history_of(progress)
    items = []
    for item in version.plan["items"]:
        found, changes = latest.get(item["intervention_id"]), history.get(item["intervention_id"])
        decision = found.as_item() if found else None
        status = status_now(item, progress, version.planned_on)
        items.append(
            {**item, "decision": decision, "status": status, "status_history": changes or []}
        )
    warnings = list(version.plan["warnings"])
    if rulebook is not None and version.version == version.latest_version:
        late = overdue(version.plan, progress, rulebook, today or date.today(), version.planned_on)
        warnings += [w.model_dump() for w in late]
    return Plan.model_validate(
        {
            **version.plan,
            "items": items,
            "warnings": warnings,
            "plan_id": version.plan_id,
            "version": version.version,
            "created_at": version.created_at,
            "requested_by": version.created_by,
        }
    )


def read(
    store: Store, rulebook: Rulebook, plan_id: str, version: int | None, today: date | None
) -> Plan:
    return present(store, store.version(plan_id, version), rulebook, today)


def overdue_plans(store: Store, rulebook: Rulebook, today: date | None, limit: int) -> PlanList:
    """The plans whose latest version has work due to start and nothing recorded on it."""
    day = today or date.today()
    return PlanList(plans=[present(store, v, rulebook, day) for v in store.overdue(day, limit)])


def person_plans(
    store: Store, rulebook: Rulebook, person_id: str, today: date | None
) -> PersonPlans:
    versions = store.person_plans(person_id)
    if not versions:
        raise ApiError(404, f"no stored plans for person {person_id!r}")
    return PersonPlans(
        person_id=person_id, plans=[present(store, v, rulebook, today) for v in versions]
    )


def if_match(header: str | None) -> int | None:
    """The version an ``If-Match`` header names (``3``, ``"3"`` or ``W/"3"``; ``*`` or none: any).

    >>> [if_match(h) for h in ('3', '"3"', 'W/"12"', "*", None)]
    [3, 3, 12, None, None]
    """
    if header is None or header.strip() == "*":  # "*": whatever version is current
        return None
    found = _IF_MATCH.match(header)
    if found is None:
        message = f'If-Match must name a plan version, like "3"; got {header[:40]!r}'
        raise ApiError(422, message, [ErrorItem(path="header.If-Match", message=message)])
    return int(found.group(1))


def audit(store: Store, plan_id: str) -> AuditTrail:
    events = [AuditEvent.model_validate(e) for e in store.audit(plan_id)]
    return AuditTrail(plan_id=plan_id, events=events)


def cursor(after: str) -> int:
    """The feed's cursor: the id of the last event read ("0" or nothing: from the start)."""
    if after == "":
        return 0
    if not _CURSOR.fullmatch(after):
        message = f"after must be a cursor from an earlier response's next; got {after[:40]!r}"
        raise ApiError(422, message, [ErrorItem(path="query.after", message=message)])
    return int(after)


def events(store: Store, after: str, limit: int, base_url: str) -> EventFeed:
    start = cursor(after)
    found = store.events(start, limit)
    base = base_url.rstrip("/")
    shown = [
        DomainEvent(
            eventType=e.event_type,
            version=e.version,
            occurredAt=e.occurred_at,
            detailUrl=f"{base}{e.detail_path}" if e.detail_path else None,
            personReference=PersonReference(identifiers=[Identifier(value=e.person_id)]),
            additionalInformation=e.additional,
        )
        for e in found
    ]
    return EventFeed(events=shown, next=str(found[-1].id if found else start))


def erase(store: Store, person_id: str, by: str) -> int:
    return store.erase(person_id, Asked(by, now()))
