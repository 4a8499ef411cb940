"""A review: the plan's next version as of the review date, planned around what happened
(design.md §6.2; how, in ``replanning``), and ``changes``: what was added, removed or moved, and
why."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from api.delivery import ENDED, next_due, now, starts
from api.errors import ApiError, ErrorItem
from api.records import present
from api.replanning import replan, standing, weeks
from api.schemas import Changes, Moved, Reviewed, ReviewRequest, Said
from matcher.model.contract import Assessment, Plan
from matcher.model.errors import AssessmentError
from matcher.rulebook.book import Rulebook
from matcher.store.plans import Store
from matcher.store.records import Asked, Decided, Made, Progress, Version


def review(
    store: Store,
    rulebook: Rulebook,
    plan_id: str,
    body: ReviewRequest,
    seen: int | None,
    by: str,
    today: date | None,
) -> Reviewed:
    """Store the plan's next version as of ``today`` (the review date)."""
    day, at = today or date.today(), now()
    said: dict[str, Any] = {}

    def make(
        current: Version, so_far: list[Decided], progress: list[Progress]
    ) -> tuple[Made, None]:
        _check_day(day, current, progress)
        person = _assessment(current, body)
        try:
            shown = replan(
                rulebook, person, current, standing(so_far), progress, day, body.assessment is None
            )
        except AssessmentError as error:
            raise _about_assessment(error, body.assessment is not None) from error
        said["changes"] = changes = _changes(current, shown, progress, rulebook)
        made = Made(
            person_id=current.person_id,
            assessment=person.model_dump(mode="json", exclude_unset=True),
            plan=shown.model_dump(mode="json", exclude={"trace"}),
            rules_version=rulebook.version,
            planned_on=day,
            cause="review",
            detail={"review_date": day.isoformat(), "changes": changes.model_dump(mode="json")},
        )
        return replace(made, next_due=next_due(made.plan, progress, day)), None

    version = store.next_version(plan_id, seen, make, Asked(by, at))
    shown = present(store, version, rulebook, day)
    return Reviewed(**shown.model_dump(), changes=said["changes"])


def _check_day(day: date, current: Version, progress: list[Progress]) -> None:
    """A review is dated no earlier than the version it follows or what the field reported."""
    latest = max([current.planned_on, *(p.on for p in progress)])
    if day < latest:
        message = f"a review dated {day} would come before what the plan already records ({latest})"
        raise ApiError(422, message, [ErrorItem(path="query.today", message=message)])


def _assessment(current: Version, body: ReviewRequest) -> Assessment:
    """The review's assessment: a new one if given (the same person), else the stored one."""
    if body.assessment is None:
        return Assessment.model_validate(current.assessment)
    if body.assessment.person_id != current.person_id:
        message = f"the plan is {current.person_id!r}'s, not {body.assessment.person_id!r}'s"
        raise ApiError(422, message, [ErrorItem(path="assessment.person_id", message=message)])
    return body.assessment


def _about_assessment(error: AssessmentError, sent: bool) -> ApiError:
    """The assessment's problems, with paths into the request (or saying it was the stored one)."""
    where = "assessment." if sent else "stored assessment: "
    items = [ErrorItem(path=f"{where}{e.path}", message=e.message) for e in error.errors]
    return ApiError(422, "; ".join(f"{i.path}: {i.message}" for i in items), items)


def _changes(
    current: Version, shown: Plan, progress: list[Progress], rulebook: Rulebook
) -> Changes:
    """What the review added, removed and moved (weeks from the new plan start), and why."""
    begin = shown.plan_start or date.today()
    before = starts(current.plan)
    after = {i.intervention_id: i for i in shown.items}
    latest = {p.intervention_id: p for p in progress}
    why_out = {e.intervention_id: e.reason for e in shown.excluded}
    added = [
        Said(intervention_id=k, reason=i.reasons[0].text if i.reasons else "")
        for k, i in after.items()
        if k not in before
    ]
    removed = [
        Said(intervention_id=k, reason=_why_removed(k, latest, why_out, rulebook))
        for k in before
        if k not in after
    ]
    text, moved = rulebook.policy.text("review_moved"), []
    for k, item in after.items():
        if k in before and item.status not in ("completed", "started"):
            was = weeks(begin, before[k])
            if was != item.start_week:
                reason = text.say(name=item.name, was=was, now=item.start_week)
                moved.append(
                    Moved(intervention_id=k, from_week=was, to_week=item.start_week, reason=reason)
                )
    return Changes(added=added, removed=removed, moved=moved)


def _why_removed(
    intervention_id: str, latest: dict[str, Progress], why_out: dict[str, str], rulebook: Rulebook
) -> str:
    """Why work left the plan: what the field reported that ended it, else the rule that now
    rules it out, else that the rules no longer choose it."""
    p = latest.get(intervention_id)
    known = rulebook.catalogue.get(intervention_id)
    name = known.name if known else intervention_id
    if p is not None and p.status in ENDED:
        said = rulebook.policy.text("review_removed").say(
            name=name, status=p.status.replace("_", " "), date=p.on.isoformat()
        )
        return f"{said} {p.reason}".strip() if p.reason else said
    return why_out.get(intervention_id) or rulebook.policy.text("review_not_chosen").say(name=name)
