"""Work ruled out by what happened, not by a rule file: the person's history (done or tried before,
with a status policy says is not planned again) and the practitioner's rejections."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from itertools import chain, repeat
from typing import Any

from matcher.model.catalogue import Intervention
from matcher.model.contract import Assessment, Decisions, Exclusion
from matcher.model.policy import Policy
from matcher.model.rules import catalogue_criterion


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


def cause_of(ruled: list[Exclusion], policy: Policy) -> str:
    """Why one candidate is out, from what rules it out: ``history`` (done or tried before),
    ``provision`` (not provided where or when the person can take it: policy's
    provision_gap_when), else ``eligibility``; "" when nothing rules it out."""
    if any(e.rule_id == policy.text("progress_unavailable").rule_id for e in ruled):
        return "provision"  # not available to this person now: a provision gap
    if any(e.rule_id == policy.text("decision_rejected").rule_id for e in ruled):
        return "rejected"
    if any(e.rule_id == policy.text("history_not_again").rule_id for e in ruled):
        return "history"
    where = policy.selection.provision_gap_when
    if ruled and all(catalogue_criterion(e.rule_id) in where for e in ruled):
        return "provision"
    return "eligibility" if ruled else ""


_EXCLUSION = operator.attrgetter("exclusion")
_BY_INTERVENTION_AND_RULE = operator.attrgetter("intervention_id", "rule_id")


def sorted_once(
    found: list[Exclusion | None], exactly: Callable[[], list[Exclusion]]
) -> list[Exclusion]:
    """Each exclusion once, sorted by intervention and rule: ``sorted(set(exactly()))`` by that
    key, ``found`` being the same exclusions in any order, each intervention's rules at most once
    (None: one not made yet). Two that share a key are rare (the same history twice): only then,
    or if one is missing, is the list read again as ``exactly()`` gives it and each one hashed."""
    key = _BY_INTERVENTION_AND_RULE
    try:
        ordered = sorted(found, key=key)
    except AttributeError:  # one not made yet
        return sorted(set(exactly()), key=key)
    keys = list(map(key, ordered))
    if any(map(operator.eq, keys, keys[1:])):
        return sorted(set(exactly()), key=key)
    return ordered  # type: ignore[return-value]  # none is None: each has a key


def each_once(
    ids: list[str],
    hits: Mapping[str, list[Any]],
    others: list[dict[str, list[Exclusion]]],
    ruled_out: Callable[[str], list[Exclusion]],
) -> list[Exclusion]:
    """Every reason ``ids`` (in catalogue order) are ruled out, each once, by intervention and
    rule: ``ruled_out(i)`` for each, read from the rules' hits (their ``exclusion``) and the
    ``others`` (history, rejections) as they are, without sorting each intervention's own."""
    found: list[Exclusion | None] = list(
        map(_EXCLUSION, chain.from_iterable(map(hits.get, ids, repeat(()))))
    )
    for more in others:
        if more:
            found += chain.from_iterable(map(more.get, ids, repeat(())))
    return sorted_once(found, lambda: [e for key in ids for e in ruled_out(key)])


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
