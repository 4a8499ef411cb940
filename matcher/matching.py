"""Findings → the chosen interventions per priority need, what was ruled out, and unmet needs."""

from __future__ import annotations

from dataclasses import dataclass, field

from matcher.catalogue import Intervention
from matcher.domain import Assessment, Exclusion, Reason, UnmetNeed, Warning
from matcher.findings import Findings, Hit
from matcher.policy import Policy
from matcher.vocabulary import Vocabulary

MANDATED_RULE = "sentence.mandated"
SELECTED_RULE = "selection.priority_need"
PREREQUISITE_RULE = "catalogue.prerequisite"


@dataclass
class Choice:
    """One intervention chosen for the plan, before it is scheduled."""

    intervention: Intervention
    addresses: list[str]
    reasons: list[Reason]
    adaptations: list[Reason]
    mandatory: bool
    rank: tuple[int, int, int, str]  # sort key: most pressing first


@dataclass
class Match:
    priority_needs: list[str]
    choices: list[Choice] = field(default_factory=list)
    unmet: list[UnmetNeed] = field(default_factory=list)
    excluded: list[Exclusion] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)


def rank_needs(assessment: Assessment, priority: set[str], vocabulary: Vocabulary) -> list[str]:
    """Priority needs, most pressing first: linked to offending, then severity, then policy order."""
    order = {area: index for index, area in enumerate(vocabulary.need_areas)}
    given = {n.area: n for n in assessment.needs}

    def key(area: str) -> tuple[int, int, int]:
        need = given.get(area)
        linked = need.linked_to_offending if need else False
        return (0 if linked else 1, -(need.severity if need else 0), order.get(area, 99))

    return sorted(priority, key=key)


def _reasons(hits: list[Hit]) -> list[Reason]:
    seen: dict[str, Reason] = {}
    for hit in hits:
        seen.setdefault(hit.rule.id, Reason(rule_id=hit.rule.id, text=hit.rule.description))
    return [seen[k] for k in sorted(seen)]


def exclusions_of(findings: Findings, intervention_id: str) -> list[Exclusion]:
    return [
        Exclusion(intervention_id=intervention_id, rule_id=r.rule_id, reason=r.text)
        for r in _reasons(findings.excluded.get(intervention_id, []))
    ]


def match(
    assessment: Assessment,
    findings: Findings,
    priority: set[str],
    catalogue: dict[str, Intervention],
    policy: Policy,
    vocabulary: Vocabulary,
    unavailable: frozenset[str] = frozenset(),
) -> Match:
    """Choose interventions: mandated ones, those a rule includes, then the best for each
    uncovered priority need, most pressing first. ``unavailable`` ones (e.g. too long for the
    sentence) are not chosen unless mandated."""
    ranked = rank_needs(assessment, priority, vocabulary)
    need_rank = {area: index for index, area in enumerate(ranked)}
    assessed = {n.area for n in assessment.needs if n.severity >= 1}
    result = Match(priority_needs=ranked)
    covered: set[str] = set()
    chosen: set[str] = set()

    def choose(
        intervention: Intervention, reasons: list[Reason], mandatory: bool, prepares: bool = False
    ) -> None:
        addresses = [a for a in ranked if a in intervention.needs] or sorted(
            assessed & set(intervention.needs)
        )
        if prepares:
            addresses = []  # preparatory work (e.g. motivational) readies the person; it covers no need
        best = min([need_rank[a] for a in addresses if a in need_rank] or [len(ranked)])
        rank = (0 if mandatory else 1, best, -len(addresses), intervention.id)
        adaptations = _reasons(findings.adapted.get(intervention.id, []))
        result.choices.append(
            Choice(intervention, addresses, reasons, adaptations, mandatory, rank)
        )
        covered.update(a for a in addresses if a in priority)
        chosen.add(intervention.id)

    for mandated in sorted(set(assessment.sentence.mandated)):
        intervention = catalogue[mandated]
        if findings.excluded.get(mandated):
            why = "; ".join(e.reason for e in exclusions_of(findings, mandated))
            result.warnings.append(
                Warning(
                    code="mandated_not_possible",
                    message=f"{intervention.name} is required by the sentence but cannot be offered: {why} Escalate to the court or the responsible officer.",
                    rule_id=MANDATED_RULE,
                )
            )
            continue
        reason = Reason(
            rule_id=MANDATED_RULE,
            text=f"{intervention.name} is required by the court order or licence.",
        )
        choose(intervention, [reason, *_reasons(findings.recommended.get(mandated, []))], True)

    for intervention_id in sorted(findings.recommended):
        hits = findings.recommended[intervention_id]
        included = [h for h in hits if h.include]
        if (
            intervention_id in chosen
            or intervention_id in unavailable
            or findings.excluded.get(intervention_id)
            or not included
        ):
            continue
        choose(catalogue[intervention_id], _reasons(hits), False, all(h.prepares for h in included))

    for area in ranked:
        if area in covered:
            continue
        if len(result.choices) >= policy.max_items:
            result.unmet.append(
                UnmetNeed(
                    area=area,
                    reason=f"The plan already holds {policy.max_items} interventions, the most policy allows at once; review {vocabulary.label('need_areas', area)} when one ends.",
                )
            )
            continue
        best = _best_for(area, findings, catalogue, policy, priority - covered, chosen, unavailable)
        if best is None:
            result.unmet.append(
                _unmet(area, assessment, findings, catalogue, vocabulary, unavailable)
            )
            continue
        label = vocabulary.label("need_areas", area)
        reasons = [
            Reason(
                rule_id=SELECTED_RULE,
                text=f"Chosen for the priority need {label}: eligible, available, and the best-supported option.",
            )
        ]
        choose(best, reasons + _reasons(findings.recommended.get(best.id, [])), False)

    for choice in list(result.choices):
        for prerequisite in choice.intervention.prerequisites:
            if prerequisite in chosen:
                continue
            first = catalogue[prerequisite]
            if findings.excluded.get(prerequisite) or prerequisite in unavailable:
                why = (
                    "; ".join(e.reason for e in exclusions_of(findings, prerequisite))
                    or "it cannot be completed before the sentence ends."
                )
                result.warnings.append(
                    Warning(
                        code="prerequisite_not_possible",
                        message=f"{choice.intervention.name} needs {first.name} first, which cannot be offered: {why}",
                        rule_id=PREREQUISITE_RULE,
                    )
                )
                continue
            reason = Reason(
                rule_id=PREREQUISITE_RULE,
                text=f"{first.name} must be completed before {choice.intervention.name}.",
            )
            choose(first, [reason], choice.mandatory)

    for area in ranked:
        for intervention in catalogue.values():
            if area in intervention.needs and intervention.id not in chosen:
                result.excluded += exclusions_of(findings, intervention.id)
    result.excluded = sorted(set(result.excluded), key=lambda e: (e.intervention_id, e.rule_id))
    result.choices.sort(key=lambda c: c.rank)
    return result


def _best_for(
    area: str,
    findings: Findings,
    catalogue: dict[str, Intervention],
    policy: Policy,
    uncovered: set[str],
    chosen: set[str],
    unavailable: frozenset[str],
) -> Intervention | None:
    """The eligible intervention for ``area`` with the highest rule weight, favouring one that also
    covers other uncovered priority needs; ties go to the id, so the choice is deterministic.
    One whose prerequisite is ruled out or unavailable cannot be offered either."""
    best: tuple[float, str] | None = None
    for intervention in catalogue.values():
        blocked = any(
            findings.excluded.get(p) or p in unavailable for p in intervention.prerequisites
        )
        if (
            area not in intervention.needs
            or intervention.id in chosen
            or intervention.id in unavailable
            or findings.excluded.get(intervention.id)
            or blocked
        ):
            continue
        weight = sum(h.weight for h in findings.recommended.get(intervention.id, []))
        extra = len(uncovered & set(intervention.needs)) - 1
        score = weight + policy.multi_need_bonus * max(extra, 0)
        key = (-score, intervention.id)
        if best is None or key < best:
            best = key
    return catalogue[best[1]] if best else None


def _unmet(
    area: str,
    assessment: Assessment,
    findings: Findings,
    catalogue: dict[str, Intervention],
    vocabulary: Vocabulary,
    unavailable: frozenset[str],
) -> UnmetNeed:
    label = vocabulary.label("need_areas", area)
    candidates = [i for i in catalogue.values() if area in i.needs]
    excluded = [e for i in candidates for e in exclusions_of(findings, i.id)]
    if not candidates:
        reason = f"No intervention in the catalogue addresses {label}."
    elif assessment.region and not any(i.serves(assessment.region) for i in candidates):
        reason = f"No intervention for {label} is provided in {vocabulary.label('regions', assessment.region)}: a provision gap to report to commissioners."
    else:
        reason = (
            f"Every intervention for {label} was ruled out for this person; see the exclusions."
        )
    return UnmetNeed(area=area, reason=reason, excluded=excluded)
