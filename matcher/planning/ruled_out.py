"""Work ruled out by what happened, not by a rule file: the person's history (done or tried before,
with a status policy says is not planned again) and the practitioner's rejections."""

from __future__ import annotations

from matcher.model.catalogue import Intervention
from matcher.model.contract import Assessment, Decisions, Exclusion
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


def rejections(
    decisions: Decisions, catalogue: dict[str, Intervention], policy: Policy
) -> dict[str, list[Exclusion]]:
    """Work a practitioner rejected, with the reason they gave (it stays out until added again),
    and work the field reported unavailable."""
    text = policy.text("decision_rejected")
    found: dict[str, list[Exclusion]] = {}
    for intervention_id, decided in sorted(decisions.rejected.items()):
        if intervention_id not in catalogue:
            continue  # no longer in the catalogue: nothing to keep out
        name = catalogue[intervention_id].name
        why = text.say(name=name, by=decided.by, reason=_sentence(decided.reason or ""))
        found[intervention_id] = [
            Exclusion(intervention_id=intervention_id, rule_id=text.rule_id, reason=why)
        ]
    text = policy.text("progress_unavailable")
    for intervention_id, reason in sorted(decisions.unavailable.items()):
        if intervention_id in catalogue and intervention_id not in found:
            name = catalogue[intervention_id].name
            why = text.say(name=name, reason=_sentence(reason) if reason else "")
            found[intervention_id] = [
                Exclusion(intervention_id=intervention_id, rule_id=text.rule_id, reason=why)
            ]
    return found


def _sentence(text: str) -> str:
    """A practitioner's reason as a sentence: stripped, ending with a full stop.

    >>> _sentence(" prefers one-to-one work ")
    'prefers one-to-one work.'
    """
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def read_list(names: list[str], most: int = 4) -> str:
    """A readable list: 'A, B and C' (and 'and N more' past ``most``)."""
    shown = names[:most] + ([f"{len(names) - most} more"] if len(names) > most else [])
    if len(shown) < 2:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " and " + shown[-1]
