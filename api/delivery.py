"""Delivery of a stored plan: progress from the field on its items, and the work that is overdue
(due to start, nothing recorded) — design.md §6.2. Progress makes no new version."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from api.errors import ApiError, ErrorItem
from api.schemas import ProgressRequest, ProgressResponse
from matcher.model.contract import StatusChange, Warning
from matcher.model.vocabulary import suggest
from matcher.rulebook.book import Rulebook
from matcher.store.plans import Store
from matcher.store.records import Asked, Progress, Version


def now() -> datetime:
    """The one clock of every record: UTC."""
    return datetime.now(UTC)


def history_of(progress: list[Progress]) -> dict[str, list[StatusChange]]:
    """Each item's progress, oldest first."""
    found: dict[str, list[StatusChange]] = {}
    for p in progress:
        change = StatusChange(
            status=p.status, date=p.on, reason=p.reason, reason_code=p.reason_code, by=p.by, at=p.at
        )
        found.setdefault(p.intervention_id, []).append(change)
    return found


def starts(plan: dict[str, Any]) -> dict[str, date]:
    """When each item of a stored plan document is due to start."""
    begin = date.fromisoformat(plan["plan_start"]) if plan.get("plan_start") else None
    if begin is None:
        return {}
    return {i["intervention_id"]: begin + timedelta(weeks=i["start_week"]) for i in plan["items"]}


ENDED = {"not_completed", "declined", "unavailable"}  # reports that end an attempt at the work


def attempt(progress: list[Progress], intervention_id: str, planned_on: date) -> list[Progress]:
    """The reports on the present attempt at the work: those after the last report that ended an
    earlier attempt before this version was planned (work planned again starts afresh)."""
    mine = [p for p in progress if p.intervention_id == intervention_id]
    start = 0
    for n, p in enumerate(mine):
        if p.status in ENDED and p.on < planned_on:
            start = n + 1
    return mine[start:]


def status_now(item: dict[str, Any], progress: list[Progress], planned_on: date) -> str | None:
    """An item's status: the latest report on its present attempt, else its own (under way)."""
    reports = attempt(progress, item["intervention_id"], planned_on)
    return reports[-1].status if reports else item.get("status")


def next_due(plan: dict[str, Any], progress: list[Progress], planned_on: date) -> date | None:
    """The earliest start of work with nothing recorded on its present attempt."""
    due = starts(plan)
    waiting = [
        due[i["intervention_id"]]
        for i in plan["items"]
        if i["intervention_id"] in due and status_now(i, progress, planned_on) is None
    ]
    return min(waiting, default=None)


def overdue(
    plan: dict[str, Any],
    progress: list[Progress],
    rulebook: Rulebook,
    today: date,
    planned_on: date,
) -> list[Warning]:
    """A warning for each item due to start before ``today`` with nothing recorded on it."""
    text = rulebook.policy.text("progress_overdue")
    due = starts(plan)
    late = [
        i
        for i in plan["items"]
        if i["intervention_id"] in due
        and due[i["intervention_id"]] < today
        and status_now(i, progress, planned_on) is None
    ]
    return [
        Warning(
            code="referral_not_made",
            message=text.say(
                name=i["name"], date=due[i["intervention_id"]].isoformat(), week=i["start_week"]
            ),
            rule_id=text.rule_id,
        )
        for i in sorted(late, key=lambda i: (due[i["intervention_id"]], i["intervention_id"]))
    ]


def record(
    store: Store, rulebook: Rulebook, plan_id: str, body: ProgressRequest, by: str, today: date
) -> ProgressResponse:
    """Record progress on an item of the plan's latest version (422 naming the field if it
    cannot be: not in the plan, a date after today or before the plan, an unknown reason code)."""
    _check_reason(rulebook, body.reason_code)
    if body.date > today:
        _refuse("date", f"date {body.date} is after today ({today})")
    first = store.version(plan_id, 1).planned_on
    if body.date < first:
        _refuse("date", f"date {body.date} is before the plan was made ({first})")
    at = now()

    def make(current: Version, so_far: list[Progress]) -> tuple[Progress, date | None]:
        in_plan = {i["intervention_id"]: i["name"] for i in current.plan["items"]}
        if body.intervention_id not in in_plan:
            name = rulebook.catalogue.get(body.intervention_id)
            said = rulebook.policy.text("progress_not_in_plan").say(
                name=name.name if name else body.intervention_id,
                id=body.intervention_id,
                version=current.version,
            )
            _refuse("intervention_id", said)
        done = Progress(
            body.intervention_id, body.status, body.date, body.reason, body.reason_code, by, at
        )
        return done, next_due(current.plan, [*so_far, done], current.planned_on)

    found = store.add_progress(plan_id, make, Asked(by, at))
    history = history_of(found)[body.intervention_id]
    return ProgressResponse(
        plan_id=plan_id,
        intervention_id=body.intervention_id,
        status=history[-1].status,
        status_history=history,
    )


def _check_reason(rulebook: Rulebook, code: str | None) -> None:
    known = rulebook.vocabulary.codes("progress_reasons")
    if code is not None and code not in known:
        hint = suggest(code, known)
        _refuse(
            "reason_code",
            f"unknown reason code {code!r}" + (f"; did you mean {hint!r}?" if hint else ""),
        )


def _refuse(path: str, message: str) -> None:
    raise ApiError(422, message, [ErrorItem(path=path, message=message)])
