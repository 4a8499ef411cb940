"""Work the person's history rules out: done or tried before, with a status policy says is not
planned again."""

from __future__ import annotations

from matcher.model.catalogue import Intervention
from matcher.model.contract import Assessment, Exclusion
from matcher.model.policy import Policy


def history_exclusions(
    assessment: Assessment, catalogue: dict[str, Intervention], policy: Policy
) -> dict[str, list[Exclusion]]:
    """Work in the history with a status policy says is not planned again, and why."""
    text = policy.text("history_not_again")
    found: dict[str, list[Exclusion]] = {}
    for entry in assessment.history:
        if entry.status in policy.not_planned_again:
            name = catalogue[entry.intervention_id].name
            why = text.say(name=name, status=entry.status.replace("_", " "))
            found.setdefault(entry.intervention_id, []).append(
                Exclusion(intervention_id=entry.intervention_id, rule_id=text.rule_id, reason=why)
            )
    return found
