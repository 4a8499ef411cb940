"""Practitioners' decisions on a stored plan: checked, recorded, and the plan's next version
planned around them and what the field reported (design.md §6.2)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from api.delivery import next_due, now
from api.errors import ApiError, ErrorItem
from api.records import Request, document, present
from api.replanning import replan, standing
from api.schemas import DecisionRequest
from matcher.model.contract import Assessment, Plan
from matcher.model.vocabulary import suggest
from matcher.rulebook.book import Rulebook
from matcher.store.plans import Store
from matcher.store.records import Asked, Decided, Made, Progress, Version


def decide(
    store: Store,
    rulebook: Rulebook,
    plan_id: str,
    body: DecisionRequest,
    seen: int | None,
    asked: Request,
) -> Plan:
    """Record a decision and store the plan's next version, planned with the rulebook live now
    from the latest version (the plan is locked meanwhile); with ``seen`` (If-Match) a plan that
    has moved on is refused (409)."""
    at = now()

    def make(
        current: Version, so_far: list[Decided], progress: list[Progress]
    ) -> tuple[Made, Decided]:
        decided = Decided(body.intervention_id, body.decision, body.reason, asked.by, at, 0)
        made = _decide_on(rulebook, current, so_far, decided, progress, asked.today)
        return replace(made, next_due=next_due(made.plan, progress, made.planned_on)), decided

    version = store.next_version(plan_id, seen, make, Asked(asked.by, at))
    return present(store, version, rulebook, asked.today)


def _decide_on(
    rulebook: Rulebook,
    current: Version,
    so_far: list[Decided],
    decided: Decided,
    progress: list[Progress],
    today: date | None,
) -> Made:
    """The next version after ``decided``: checked (422 if it cannot be made), then planned
    around what the field reported, as a review would."""
    assessment = Assessment.model_validate(current.assessment)
    _check_decision(rulebook, current, assessment, decided)
    stand = standing([*so_far, decided])
    day = max(today or date.today(), current.planned_on)
    planned = replan(rulebook, assessment, current, stand, progress, day)
    if decided.decision == "added":
        _check_added(rulebook, planned, decided.intervention_id)
    return Made(
        person_id=current.person_id,
        assessment=current.assessment,
        plan=document(planned),
        rules_version=rulebook.version,
        planned_on=day,
        cause="decision",
        detail={
            "intervention_id": decided.intervention_id,
            "decision": decided.decision,
            "reason": decided.reason,
            "items": [i.intervention_id for i in planned.items],
        },
    )


def _check_decision(
    rulebook: Rulebook, current: Version, assessment: Assessment, body: Decided
) -> None:
    """A decision names an intervention in the catalogue, in the plan (to accept or reject) or
    not yet in it (to add); an intervention the court ordered cannot be rejected."""
    wanted, catalogue = body.intervention_id, rulebook.catalogue
    if wanted not in catalogue:
        hint = suggest(wanted, catalogue)
        _refuse(f"unknown intervention {wanted!r}" + (f"; did you mean {hint!r}?" if hint else ""))
    in_plan = {item["intervention_id"] for item in current.plan["items"]}
    name, text = catalogue[wanted].name, rulebook.policy.text
    if body.decision != "added" and wanted not in in_plan:
        _refuse(text("decision_not_in_plan").say(name=name, id=wanted, version=current.version))
    if body.decision == "added" and wanted in in_plan:
        _refuse(text("decision_already_in_plan").say(name=name, id=wanted))
    if body.decision == "rejected" and wanted in assessment.sentence.mandated:
        _refuse(text("decision_mandated").say(name=name))


def _check_added(rulebook: Rulebook, planned: Plan, intervention_id: str) -> None:
    """Added work that cannot be planned is refused with the plan's own reason."""
    if any(item.intervention_id == intervention_id for item in planned.items):
        return
    name = rulebook.catalogue[intervention_id].name
    why = [w.message for w in planned.warnings if name in w.message]
    _refuse(" ".join(why) or rulebook.policy.text("added_cannot_be_planned").say(name=name))


def _refuse(message: str) -> None:
    raise ApiError(422, message, [ErrorItem(path="intervention_id", message=message)])
