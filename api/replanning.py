"""A stored plan's next version, planned from the person, the practitioner's standing decisions
and what the field reported (ADR 0012) — the one way both decisions and reviews re-plan.

What the field reported becomes the person's history (completed, started, not completed,
declined), so the rule files answer it; unavailable work is ruled out (another option, or a
provision gap); time already waited counts; needs that completed work met stay met. Completed
work stays in the plan as it was done and work under way keeps its real start, their weeks
counted from the new plan start (negative before it), so the plan reads as a history and a future.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from matcher.model.contract import (
    Assessment,
    Decisions,
    HistoryEntry,
    Plan,
    PlanItem,
)
from matcher.planning.planner import plan
from matcher.rulebook.book import Rulebook
from matcher.store.records import Decided, Progress, Version

HISTORY = {"completed", "started", "not_completed", "declined"}  # progress read as history
WAITING = {"referred", "waiting"}


def standing(decisions: Sequence[Decided]) -> Decisions:
    """The decisions that stand: for each intervention the latest that rejected or added it
    (accepting changes nothing: an accepted added item stays added)."""
    latest = {d.intervention_id: d for d in decisions if d.decision != "accepted"}
    rejected = {k: d.as_item() for k, d in latest.items() if d.decision == "rejected"}
    added = {k: d.as_item() for k, d in latest.items() if d.decision == "added"}
    return Decisions(rejected=rejected, added=added)


def replan(
    rulebook: Rulebook,
    person: Assessment,
    current: Version,
    decisions: Decisions,
    progress: list[Progress],
    day: date,
    keep_met: bool = True,
) -> Plan:
    """The next version of ``current`` as of ``day``."""
    known = [p for p in progress if p.intervention_id in rulebook.catalogue]
    latest = {p.intervention_id: p for p in known}
    delivery = _delivery(decisions, known, latest, day, current if keep_met else None)
    planned = plan(
        _with_history(person, known, latest, rulebook), rulebook, day, decisions=delivery
    )
    return _keep_done(planned, current, known, latest)


def _with_history(
    person: Assessment, known: list[Progress], latest: dict[str, Progress], rulebook: Rulebook
) -> Assessment:
    """The person's history, with what the field reported replacing what it says of that work."""
    reported = {k: p for k, p in latest.items() if p.status in HISTORY}
    kept = [h for h in person.history if h.intervention_id not in reported]
    for intervention_id, p in sorted(reported.items()):
        end = p.on
        if p.status == "started":
            weeks = rulebook.catalogue[intervention_id].duration_weeks
            end = _started(known, intervention_id, p.on) + timedelta(weeks=weeks)
        kept.append(
            HistoryEntry(
                intervention_id=intervention_id,
                status=p.status,  # one of HISTORY
                end_date=end,
                reason=p.reason[:500] if p.reason else None,
                reason_code=p.reason_code,
            )
        )
    return person.model_copy(update={"history": kept})


def _delivery(
    decisions: Decisions,
    known: list[Progress],
    latest: dict[str, Progress],
    day: date,
    current: Version | None,
) -> Decisions:
    """Unavailable work ruled out; weeks already waited for a place counted (from the first day
    of the present wait); needs that completed work in the plan met, met (a referral never
    meets one; with a new assessment, the assessment says)."""
    unavailable = {k: p.reason or "" for k, p in latest.items() if p.status == "unavailable"}
    waited = {
        k: max((day - _waiting_since(known, k)).days // 7, 0)
        for k, p in latest.items()
        if p.status in WAITING
    }
    done = {k for k, p in latest.items() if p.status == "completed"}
    met = sorted(
        {
            area
            for i in (current.plan["items"] if current else [])
            if i["intervention_id"] in done and i.get("role") == "intervention"
            for area in i["addresses"]
        }
    )
    return decisions.model_copy(update={"unavailable": unavailable, "waited": waited, "met": met})


def _waiting_since(known: list[Progress], intervention_id: str) -> date:
    """The first day of the present run of referred/waiting reports on the work."""
    since = None
    for p in known:
        if p.intervention_id == intervention_id:
            since = (since or p.on) if p.status in WAITING else None
    return since or date.min


def _started(known: list[Progress], intervention_id: str, default: date) -> date:
    """When the work was first reported started (else ``default``)."""
    return min(
        (p.on for p in known if p.intervention_id == intervention_id and p.status == "started"),
        default=default,
    )


def _keep_done(
    planned: Plan, current: Version, known: list[Progress], latest: dict[str, Progress]
) -> Plan:
    """Completed work stays as it was done (once, whatever the planner chose again), work under
    way keeps its real start; their weeks count from the new plan start."""
    begin = planned.plan_start or date.today()
    done = {k for k, p in latest.items() if p.status == "completed"}
    before = {i["intervention_id"]: i for i in current.plan["items"]}
    items = []
    for item in planned.items:
        if item.intervention_id in done:
            continue
        p = latest.get(item.intervention_id)
        if p is not None and p.status == "started":
            first = _started(known, item.intervention_id, p.on)
            item = item.model_copy(update={"start_week": weeks(begin, first)})
        items.append(item)
    for intervention_id in sorted(done & set(before)):
        finished = latest[intervention_id].on
        first = min(_started(known, intervention_id, finished), finished)
        kept = {
            **before[intervention_id],
            "start_week": weeks(begin, first),
            "end_week": weeks(begin, finished),
            "status": "completed",
        }
        items.append(PlanItem.model_validate(kept))
    return planned.model_copy(update={"items": items})


def weeks(begin: date, day: date) -> int:
    """Whole weeks from ``begin`` to ``day`` (negative before it).

    >>> weeks(date(2026, 12, 1), date(2026, 11, 20))
    -2
    """
    return (day - begin).days // 7
