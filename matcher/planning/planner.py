"""The use case: ``plan(assessment, rulebook) -> Plan``. Facts → rules → selection → fit → Plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from matcher.model.catalogue import Intervention
from matcher.model.contract import (
    Assessment,
    Decisions,
    Plan,
    PlanItem,
    ProgrammePathway,
    Reason,
    Warning,
)
from matcher.model.policy import Policy, Rar
from matcher.planning.choices import Selection
from matcher.planning.codes import check_codes
from matcher.planning.contracted import contract_windows
from matcher.planning.facts import (
    apply_computed,
    history_facts,
    need_facts,
    person_fact,
    plan_start,
    release_week,
    weeks_between,
)
from matcher.planning.findings import Findings, prerequisite_warnings
from matcher.planning.fit import Fitted, fit, unscheduled
from matcher.planning.gaps import provision_gaps
from matcher.planning.schedule import Slot, Timing, effective_capacity
from matcher.planning.selection import select
from matcher.rulebook.book import Rulebook


@dataclass
class Evaluation:
    """Everything the rules said about one assessment."""

    findings: Findings
    person: dict[str, Any]
    priority: set[str]


def evaluate(assessment: Assessment, rulebook: Rulebook, today: date) -> Evaluation:
    """Run every stage's rules in durable_rules; derived values flow from one stage to the next."""
    check_codes(assessment, rulebook)
    checked = rulebook.checked
    person = person_fact(assessment, checked.vocabulary, today)
    needs, history = need_facts(assessment), history_facts(assessment)
    findings = Findings()
    for stage in rulebook.engine.stages:
        apply_computed(
            person, tuple(c for c in checked.computed if c.stage == stage), checked.vocabulary
        )
        facts = [person]
        facts += needs if stage in checked.need_stages else []
        facts += history if stage in checked.history_stages else []
        firings = rulebook.engine.evaluate(stage, facts)
        person = {**person, **findings.add(firings, checked.rules)}
    name = rulebook.policy.selection.priority_field
    priority = {a for a in checked.vocabulary.need_areas if person.get(f"{name}_{a}") is True}
    return Evaluation(findings, person, priority)


def plan(
    assessment: Assessment,
    rulebook: Rulebook,
    today: date | None = None,
    explain: bool = False,
    sequence_plan: bool = True,
    decisions: Decisions | None = None,
) -> Plan:
    """The recommended, sequenced and explained plan for one assessment, with a practitioner's
    standing ``decisions`` (rejected and added work) if it is a stored plan's next version.

    Deterministic: the same assessment, decisions, rulebook and ``today`` give the same plan.
    """
    today = today or date.today()
    evaluation = evaluate(assessment, rulebook, today)
    return plan_from(
        evaluation, assessment, rulebook, today, explain, sequence_plan, decisions
    ).plan


@dataclass(frozen=True)
class Planned:
    """A plan, and what a plan does not say but an explanation needs."""

    plan: Plan
    dropped: tuple[str, ...]  # left out: could not finish before the sentence ends


def plan_from(
    evaluation: Evaluation,
    assessment: Assessment,
    rulebook: Rulebook,
    today: date,
    explain: bool = False,
    sequence_plan: bool = True,
    decisions: Decisions | None = None,
) -> Planned:
    """The plan, from what the rules already said about ``assessment`` (see ``evaluate``).

    One way: selection ranks the options for each need, then the fit to the sentence takes them.
    """
    policy, findings, vocabulary = rulebook.policy, evaluation.findings, rulebook.vocabulary
    weeks_left = int(evaluation.person["weeks_left"])
    start = plan_start(assessment, today)
    chosen = select(
        assessment,
        findings,
        evaluation.priority,
        rulebook.catalogue,
        policy,
        vocabulary,
        in_progress(assessment, rulebook, start),
        decisions,
    )
    released = release_week(assessment, today)
    fitted = (
        _fitted(chosen, evaluation, assessment, rulebook, (start, released), decisions)
        if sequence_plan
        else unscheduled(chosen, policy)
    )
    warnings = _warnings(evaluation, chosen, fitted, assessment, rulebook)
    unmet, order, shown = fitted.unmet, chosen.priority_needs, policy.pathway.shown_when_given
    planned = {s.choice.intervention.id for s in fitted.slots}
    result = Plan(
        person_id=assessment.person_id,
        rules_version=rulebook.version,
        items=_items(fitted, assessment, policy),
        unmet_needs=[unmet[a] for a in order if a in unmet],
        warnings=sorted(warnings, key=lambda w: (w.code, w.rule_id or "", w.message)),
        programme_pathway=_pathway(evaluation, policy.pathway.fields)
        if any(getattr(assessment.risk, score) is not None for score in shown)
        else None,
        priority_needs=order,
        excluded=chosen.excluded_all if explain else chosen.excluded,
        plan_start=start,
        weeks_available=weeks_left,
        release_week=released,
        goals=list(assessment.goals),
        provision_gaps=provision_gaps(order, planned, findings, rulebook, start),
        trace=_trace(evaluation) if explain else None,
    )
    return Planned(result, tuple(c.intervention.id for c in fitted.dropped))


def _fitted(
    chosen: Selection,
    evaluation: Evaluation,
    assessment: Assessment,
    rulebook: Rulebook,
    when: tuple[date, int | None],
    decisions: Decisions | None = None,
) -> Fitted:
    """The selection fitted to the sentence: from ``when`` (plan start, release week)."""
    policy, findings, vocabulary = rulebook.policy, evaluation.findings, rulebook.vocabulary
    start, released = when
    capacity = effective_capacity(policy.capacity, policy.capacity_rules, findings.capacity_rules)
    timing = Timing(
        released,
        vocabulary.custody_setting,
        vocabulary.assessment_setting,
        contract_windows(assessment, rulebook.catalogue, start),
        dict(decisions.waited) if decisions else {},
    )
    weeks_left = int(evaluation.person["weeks_left"])
    return fit(chosen, policy, findings.switched_on, capacity, weeks_left, timing)


def _items(fitted: Fitted, assessment: Assessment, policy: Policy) -> list[PlanItem]:
    together = alongside(fitted.slots)
    return [
        _item(slot, _counted(slot, assessment, policy), with_)
        for slot, with_ in zip(fitted.slots, together, strict=True)
    ]


def _counted(slot: Slot, assessment: Assessment, policy: Policy) -> list[Reason]:
    """What an item counts towards: the order's unpaid work hours, for its ETE element."""
    total = assessment.sentence.unpaid_work_hours
    if total is None or slot.choice.intervention.id not in policy.unpaid_work.ete_interventions:
        return []
    used, allowed = _ete_hours(slot), total * policy.unpaid_work.ete_share
    text = policy.text("unpaid_work_ete")
    return [
        Reason(
            rule_id=text.rule_id,
            text=text.say(used=f"{used:g}", allowed=f"{allowed:g}", total=total),
        )
    ]


def _ete_hours(slot: Slot) -> float:
    return (slot.end_week - slot.start_week) * slot.choice.intervention.hours_per_week


def alongside(slots: list[Slot]) -> list[list[str]]:
    """For each slot, the items it runs alongside: its catalogue companions (either way round),
    and between a companion and the main work for the needs it serves."""
    found = []
    for slot in slots:
        one = slot.choice
        together = set()
        for other in (s.choice for s in slots if s is not slot):
            paired = other.intervention.id in one.intervention.alongside
            paired |= one.intervention.id in other.intervention.alongside
            shared = set(one.addresses) & set(other.addresses)
            if paired or (shared and one.companion != other.companion):
                together.add(other.intervention.id)
        found.append(sorted(together))
    return found


def _item(slot: Slot, counted: list[Reason], together: list[str]) -> PlanItem:
    choice, intervention = slot.choice, slot.choice.intervention
    return PlanItem(
        intervention_id=intervention.id,
        name=intervention.name,
        addresses=choice.addresses,
        phase=slot.phase,
        start_week=slot.start_week,
        end_week=slot.end_week,
        after=list(slot.after),
        mandatory=choice.mandatory,
        reasons=choice.reasons + counted,
        adaptations=choice.adaptations,
        kind=intervention.kind,
        provider=intervention.provider,
        hours_per_week=intervention.hours_per_week,
        wait_weeks=intervention.wait_weeks,
        setting=slot.setting or None,
        role=intervention.role,
        alongside=together,
        status="started" if choice.remaining_weeks is not None else None,
    )


def in_progress(assessment: Assessment, rulebook: Rulebook, start: date) -> dict[str, int]:
    """Work the history says is under way → the weeks left of it: to its expected end if the
    history gives one, else its whole length (at least one week)."""
    found = {}
    for entry in assessment.history:
        if entry.status == "started":
            weeks = rulebook.catalogue[entry.intervention_id].duration_weeks
            if entry.end_date is not None:
                weeks = weeks_between(start, entry.end_date)
            found[entry.intervention_id] = max(weeks, 1)
    return found


def _warnings(
    evaluation: Evaluation,
    chosen: Selection,
    fitted: Fitted,
    assessment: Assessment,
    rulebook: Rulebook,
) -> list[Warning]:
    """Every warning: the rules' flags, selection's, and fitting the plan to the sentence."""
    findings, policy = evaluation.findings, rulebook.policy
    warnings = [
        Warning(code=code, message=rule.description, rule_id=rule.id)
        for code, rule in findings.flags
    ]
    warnings += chosen.warnings + fitted.warnings
    warnings += prerequisite_warnings(
        fitted.choices, findings, rulebook.catalogue, policy, chosen.done, chosen.rejected
    )
    return warnings + _fit_warnings(fitted, assessment, policy)


def _fit_warnings(fitted: Fitted, assessment: Assessment, policy: Policy) -> list[Warning]:
    dropped, overruns = policy.text("dropped_no_time"), policy.text("mandated_overruns")
    ended = policy.text("dropped_contract_ends")
    warnings = [
        Warning(
            code="dropped_contract_ends",
            message=ended.say(name=c.intervention.name, week=fitted.ended[c.intervention.id]),
            rule_id=ended.rule_id,
        )
        if c.intervention.id in fitted.ended
        else Warning(
            code="dropped_no_time",
            message=dropped.say(
                name=c.intervention.name,
                weeks=c.intervention.duration_weeks,
                wait=c.intervention.wait_weeks,
            ),
            rule_id=dropped.rule_id,
        )
        for c in fitted.dropped
    ]
    warnings += [
        Warning(
            code="mandated_overruns",
            message=overruns.say(name=c.intervention.name),
            rule_id=overruns.rule_id,
        )
        for c in fitted.overrunning
    ]
    warnings += _unpaid_work_warnings(fitted, assessment, policy)
    warnings += _set_aside_warnings(fitted, policy)
    allowed = assessment.sentence.rar_days
    if allowed is not None:
        used = rar_days([s.choice.intervention for s in fitted.slots], policy.rar)
        if used > allowed:
            text = policy.text("rar_days_exceeded")
            warnings.append(
                Warning(
                    code="rar_days_exceeded",
                    message=text.say(used=f"{used:g}", allowed=allowed),
                    rule_id=text.rule_id,
                )
            )
    return warnings


def _set_aside_warnings(fitted: Fitted, policy: Policy) -> list[Warning]:
    """Each precedence set aside so that more pressing work finishes within the sentence."""
    text = policy.text("sequencing_reconsidered")
    names = {s.choice.intervention.id: s.choice.intervention.name for s in fitted.slots}
    return [
        Warning(
            code="sequencing_reconsidered",
            message=text.say(
                name=names[slot.choice.intervention.id], other=names[before], edge=edge
            ),
            rule_id=text.rule_id,
        )
        for slot in fitted.slots
        for before, edge in slot.set_aside
    ]


def rar_days(interventions: list[Intervention], rar: Rar) -> float:
    """The RAR activity days these interventions use, counted as policy says."""
    return sum(
        i.sessions * rar.days_per_session for i in interventions if i.provider in rar.providers
    )


def _unpaid_work_warnings(fitted: Fitted, assessment: Assessment, policy: Policy) -> list[Warning]:
    total = assessment.sentence.unpaid_work_hours
    ete = [
        s for s in fitted.slots if s.choice.intervention.id in policy.unpaid_work.ete_interventions
    ]
    if total is None or not ete:
        return []
    used, allowed = sum(_ete_hours(s) for s in ete), total * policy.unpaid_work.ete_share
    if used <= allowed:
        return []
    text = policy.text("unpaid_work_ete_exceeded")
    message = text.say(used=f"{used:g}", allowed=f"{allowed:g}", total=total)
    return [Warning(code="unpaid_work_ete_exceeded", message=message, rule_id=text.rule_id)]


def _pathway(evaluation: Evaluation, fields: dict[str, str]) -> ProgrammePathway | None:
    derived = evaluation.findings.derived
    if fields["pathway"] not in derived:
        return None
    reasons = [
        Reason(rule_id=rule.id, text=rule.description)
        for key in ("risk_level", "need_level", "pathway")
        if (entry := derived.get(fields[key]))
        for rule in [entry[1]]
    ]
    need_level = evaluation.person.get(fields["need_level"])
    return ProgrammePathway(
        pathway=str(derived[fields["pathway"]][0]),
        risk_level=str(derived[fields["risk_level"]][0])
        if fields["risk_level"] in derived
        else None,
        need_level=str(need_level) if need_level not in (None, "unknown") else None,
        reasons=reasons,
    )


def _trace(evaluation: Evaluation) -> list[dict[str, Any]]:
    return [{"rule_id": f.rule_id, "facts": f.facts} for f in evaluation.findings.firings]
