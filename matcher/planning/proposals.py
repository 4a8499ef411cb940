"""The pre-sentence report's use case: which requirements to propose to the court, and the plan
they would make possible (design.md §6.1). Every choice comes from rule files and policy."""

from __future__ import annotations

import math
from datetime import date

from matcher.model.contract import (
    Assessment,
    Plan,
    Proposal,
    ProposedRequirement,
    Reason,
)
from matcher.model.errors import AssessmentError, FieldError
from matcher.planning.planner import evaluate, plan, plan_from, rar_days
from matcher.rulebook.book import Rulebook


def propose(assessment: Assessment, rulebook: Rulebook, today: date | None = None) -> Proposal:
    """The requirements to propose for ``assessment`` (its own requirements, if any, kept), and
    the plan the proposed order would allow.

    Raises:
        AssessmentError: the sentence is not one requirements are proposed for, or a code is
            unknown (as for a plan).
    """
    today = today or date.today()
    policy = rulebook.policy.proposals
    if assessment.sentence.type not in policy.sentence_types:
        text = rulebook.policy.text("proposal_sentence_type")
        raise AssessmentError(
            [FieldError("sentence.type", text.say(type=assessment.sentence.type))]
        )
    given = list(assessment.sentence.requirements)
    trial = _ordering(assessment, [*given, *policy.assume], None)
    proposed = _proposed_by_rules(trial, rulebook, today)
    trial = _ordering(trial, [*trial.sentence.requirements, *proposed], None)
    trial_plan = plan_from(evaluate(trial, rulebook, today), trial, rulebook, today).plan
    for code, requirement in _used_by_the_plan(trial_plan, rulebook).items():
        proposed.setdefault(code, requirement)  # a rule's own proposal says more
    codes = [*given, *(c for c in proposed if c not in given)]
    rar = proposed.get(policy.rar_requirement)
    final = _ordering(assessment, codes, rar.days if rar else None)
    return Proposal(
        person_id=assessment.person_id,
        rules_version=rulebook.version,
        requirements=list(proposed.values()),
        plan=plan(final, rulebook, today=today),
    )


def as_proposed(assessment: Assessment, proposal: Proposal) -> Assessment:
    """``assessment`` as if the court made the proposed order."""
    rar = [r.days for r in proposal.requirements if r.days is not None]
    codes = [*assessment.sentence.requirements, *(r.code for r in proposal.requirements)]
    return _ordering(assessment, codes, rar[0] if rar else None)


def _ordering(assessment: Assessment, codes: list[str], rar_days: int | None) -> Assessment:
    """``assessment`` as if the court ordered these requirements (each once, in order)."""
    sentence = assessment.sentence.model_copy(
        update={"requirements": list(dict.fromkeys(codes)), "rar_days": rar_days}
    )
    return assessment.model_copy(update={"sentence": sentence})


def _proposed_by_rules(
    trial: Assessment, rulebook: Rulebook, today: date
) -> dict[str, ProposedRequirement]:
    """What the rule files propose (``then: {propose: ...}``), each requirement once."""
    found: dict[str, ProposedRequirement] = {}
    for outcome, rule in evaluate(trial, rulebook, today).findings.proposed:
        reason = Reason(rule_id=rule.id, text=rule.description)
        entry = found.get(outcome.code)
        reasons = [*(entry.reasons if entry else []), reason]
        found[outcome.code] = ProposedRequirement(
            code=outcome.code,
            intervention_id=outcome.name or (entry.intervention_id if entry else None),
            reasons=reasons,
        )
    return found


def _used_by_the_plan(planned: Plan, rulebook: Rulebook) -> dict[str, ProposedRequirement]:
    """The programme requirement for an accredited programme the plan holds, and the RAR days
    its rehabilitation activities use."""
    policy, found = rulebook.policy, {}
    proposals = policy.proposals
    programmes = [i for i in planned.items if i.kind in proposals.programme_kinds]
    if programmes:
        text = policy.text("proposal_programme")
        found[proposals.programme_requirement] = ProposedRequirement(
            code=proposals.programme_requirement,
            intervention_id=programmes[0].intervention_id,
            reasons=[Reason(rule_id=text.rule_id, text=text.say(name=programmes[0].name))],
        )
    used = rar_days([rulebook.catalogue[i.intervention_id] for i in planned.items], policy.rar)
    if used > 0:
        step = proposals.rar_round_up_to
        days = int(math.ceil(used / step) * step)
        text = policy.text("proposal_rar")
        found[proposals.rar_requirement] = ProposedRequirement(
            code=proposals.rar_requirement,
            days=days,
            reasons=[Reason(rule_id=text.rule_id, text=text.say(days=days, used=f"{used:g}"))],
        )
    return found
