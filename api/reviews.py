"""A review: the plan's next version as of the review date, planned around what happened
(design.md §6.2). What the field reported becomes the person's history — completed, started,
not completed, declined — so the rules answer it as they answer any history; unavailable work is
ruled out (another option, or a provision gap); time already spent waiting counts. Completed and
started work keeps its real dates (weeks before the review are negative); the rest is sequenced
from the review date. ``changes`` says what was added, removed or moved, and why."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from api.delivery import next_due, now, starts
from api.errors import ApiError, ErrorItem
from api.records import present, standing
from api.schemas import Changes, Moved, Reviewed, ReviewRequest, Said
from matcher.model.contract import Assessment, Decisions, HistoryEntry, Plan, PlanItem
from matcher.planning.planner import plan
from matcher.rulebook.book import Rulebook
from matcher.store.plans import Store
from matcher.store.records import Asked, Decided, Made, Progress, Version

HISTORY = {
    "completed",
    "started",
    "not_completed",
    "declined",
}  # progress the rules read as history


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
    progress = store.progress(plan_id)
    said: dict[str, Any] = {}

    def make(current: Version, so_far: list[Decided]) -> tuple[Made, None]:
        person = _assessment(current, body)
        latest = _latest(progress)
        decisions = _with_delivery(standing(so_far), latest, day, current)
        planned = plan(_with_history(person, latest, rulebook), rulebook, day, decisions=decisions)
        shown = _keep_done(planned, current, latest, rulebook)
        said["changes"] = changes = _changes(current, shown, latest, rulebook)
        made = Made(
            person_id=current.person_id,
            assessment=person.model_dump(mode="json", exclude_unset=True),
            plan=shown.model_dump(mode="json", exclude={"trace"}),
            rules_version=rulebook.version,
            planned_on=day,
            cause="review",
            detail={"review_date": day.isoformat(), "changes": changes.model_dump(mode="json")},
        )
        return replace(made, next_due=next_due(made.plan, progress)), None

    version = store.next_version(plan_id, seen, make, Asked(by, at))
    shown = present(store, version, rulebook, day)
    return Reviewed(**shown.model_dump(), changes=said["changes"])


def _assessment(current: Version, body: ReviewRequest) -> Assessment:
    """The review's assessment: a new one if given (the same person), else the stored one."""
    if body.assessment is None:
        return Assessment.model_validate(current.assessment)
    if body.assessment.person_id != current.person_id:
        message = f"the plan is {current.person_id!r}'s, not {body.assessment.person_id!r}'s"
        raise ApiError(422, message, [ErrorItem(path="assessment.person_id", message=message)])
    return body.assessment


def _latest(progress: list[Progress]) -> dict[str, Progress]:
    """Each item's latest progress."""
    return {p.intervention_id: p for p in progress}


def _with_history(person: Assessment, latest: dict[str, Progress], rulebook: Rulebook) -> Any:
    """The person's history, with what the field reported replacing what it says of the same
    work: completed, under way (to its planned end), not completed, declined."""
    reported = {k: p for k, p in latest.items() if p.status in HISTORY}
    kept = [h for h in person.history if h.intervention_id not in reported]
    for intervention_id, p in sorted(reported.items()):
        end = p.on
        if p.status == "started":
            end = p.on + timedelta(weeks=rulebook.catalogue[intervention_id].duration_weeks)
        kept.append(
            HistoryEntry(
                intervention_id=intervention_id,
                status=p.status,  # one of HISTORY
                end_date=end,
                reason=(p.reason or None) and p.reason[:500],
                reason_code=p.reason_code,
            )
        )
    return person.model_copy(update={"history": kept})


def _with_delivery(
    decisions: Decisions, latest: dict[str, Progress], day: date, current: Version
) -> Decisions:
    """Unavailable work ruled out; weeks already waited for a place counted; the needs that
    completed work addressed, met."""
    unavailable = {k: p.reason or "" for k, p in latest.items() if p.status == "unavailable"}
    waited = {
        k: (day - p.on).days // 7 for k, p in latest.items() if p.status in ("referred", "waiting")
    }
    done = {k for k, p in latest.items() if p.status == "completed"}
    met = sorted(  # a referral or a companion never meets a need on its own
        {
            area
            for i in current.plan["items"]
            if i["intervention_id"] in done and i.get("role") == "intervention"
            for area in i["addresses"]
        }
    )
    return decisions.model_copy(update={"unavailable": unavailable, "waited": waited, "met": met})


def _keep_done(
    planned: Plan, current: Version, latest: dict[str, Progress], rulebook: Rulebook
) -> Plan:
    """Completed work stays in the plan as it was done, and work under way keeps its real start:
    their weeks count from the new plan start, so they may be negative."""
    begin = planned.plan_start or date.today()
    before = {i["intervention_id"]: i for i in current.plan["items"]}
    when = starts(current.plan)
    items = []
    for item in planned.items:
        p = latest.get(item.intervention_id)
        if p is not None and p.status == "started":
            item = item.model_copy(update={"start_week": _weeks(begin, p.on)})
        items.append(item)
    for intervention_id, p in sorted(latest.items()):
        if p.status != "completed" or intervention_id not in before:
            continue
        was = before[intervention_id]
        started = when.get(intervention_id, p.on)
        first, last = _weeks(begin, min(started, p.on)), _weeks(begin, p.on)
        done = {**was, "start_week": first, "end_week": last, "status": "completed"}
        items.append(PlanItem.model_validate(done))
    return planned.model_copy(update={"items": items})


def _weeks(begin: date, day: date) -> int:
    """Whole weeks from ``begin`` to ``day`` (negative before it)."""
    return (day - begin).days // 7


def _changes(
    current: Version, shown: Plan, latest: dict[str, Progress], rulebook: Rulebook
) -> Changes:
    """What the review added, removed and moved (weeks from the new plan start), and why."""
    begin = shown.plan_start or date.today()
    before = starts(current.plan)
    after = {i.intervention_id: i for i in shown.items}
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
    moved = []
    for k, item in after.items():
        if k in before and (latest.get(k) is None or latest[k].status != "completed"):
            was = _weeks(begin, before[k])
            if was != item.start_week:
                reason = item.reasons[0].text if item.reasons else ""
                moved.append(
                    Moved(intervention_id=k, from_week=was, to_week=item.start_week, reason=reason)
                )
    return Changes(added=added, removed=removed, moved=moved)


def _why_removed(
    intervention_id: str, latest: dict[str, Progress], why_out: dict[str, str], rulebook: Rulebook
) -> str:
    """Why work left the plan: what the field reported, else the rule that now rules it out."""
    p = latest.get(intervention_id)
    name = rulebook.catalogue[intervention_id].name if intervention_id in rulebook.catalogue else ""
    if p is not None:
        said = rulebook.policy.text("review_removed").say(
            name=name, status=p.status.replace("_", " "), date=p.on.isoformat()
        )
        return f"{said} {p.reason}".strip() if p.reason else said
    return why_out.get(intervention_id) or rulebook.policy.text("review_not_chosen").say(name=name)
