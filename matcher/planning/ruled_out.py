"""Work ruled out by what happened, not by a rule file: the person's history (done or tried before,
with a status policy says is not planned again) and the practitioner's rejections."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from matcher.model.catalogue import Intervention
from matcher.model.contract import Assessment, Decisions, Exclusion
from matcher.model.policy import Policy
from matcher.model.rules import catalogue_criterion
from matcher.planning.index import CatalogueIndex


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
_RULE = operator.attrgetter("rule_id")
_BY_INTERVENTION_AND_RULE = operator.attrgetter("intervention_id", "rule_id")


class _Again(Exception):
    """Two exclusions of one intervention share a rule: read them as they came."""


def each_once(
    ids: AbstractSet[str],
    hits: Mapping[str, list[Any]],
    others: list[dict[str, list[Exclusion]]],
    ruled_out: Callable[[str], list[Exclusion]],
    index: CatalogueIndex,
) -> list[Exclusion]:
    """Every reason ``ids`` are ruled out, each once, sorted by intervention and rule: what
    ``sorted(set(e for i in ids, in catalogue order, for e in ruled_out(i)))`` gives, read from the
    rules' hits (each with its own ``exclusion``) and the ``others`` (history, rejections) an
    intervention at a time, in the order of their ids. Two that share a key are rare (the same
    history twice): only then, or if a hit has no exclusion made, is each one hashed."""
    found: list[Exclusion] = []
    try:
        for key in sorted(ids, key=index.alphabetical.__getitem__):
            mine = list(map(_EXCLUSION, hits.get(key, ())))
            for more in others:
                mine += more.get(key, ())
            if len(mine) > 1:
                mine.sort(key=_RULE)  # AttributeError: a hit without its exclusion
                if len(set(map(_RULE, mine))) < len(mine):
                    raise _Again
            elif mine and mine[0] is None:
                raise _Again
            found += mine
    except (AttributeError, _Again):
        exactly = [e for key in index.in_order(ids) for e in ruled_out(key)]
        return sorted(set(exactly), key=_BY_INTERVENTION_AND_RULE)
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
