"""The use case: ``plan(assessment, rulebook) -> Plan``. Facts → rules → matching → sequencing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from matcher.domain import Assessment, Plan, PlanItem, ProgrammePathway, Reason, Warning
from matcher.errors import AssessmentError, FieldError
from matcher.facts import apply_computed, has_risk_scores, need_facts, person_fact
from matcher.findings import Findings
from matcher.matching import Choice, match
from matcher.rulebook import Rulebook
from matcher.sequencing import Slot, effective_capacity, sequence
from matcher.vocabulary import suggest


@dataclass
class Evaluation:
    """Everything the rules said about one assessment."""

    findings: Findings
    person: dict[str, Any]
    priority: set[str]


def check_codes(assessment: Assessment, rulebook: Rulebook) -> None:
    """Raise AssessmentError naming the JSON path of every code the vocabulary does not know."""
    vocabulary, errors = rulebook.vocabulary, []

    def expect(path: str, value: str | None, allowed: Any, what: str) -> None:
        if value is not None and value not in allowed:
            hint = suggest(value, allowed)
            errors.append(
                FieldError(
                    path,
                    f"unknown {what} {value!r}" + (f"; did you mean {hint!r}?" if hint else ""),
                )
            )

    expect("gender", assessment.gender, vocabulary.codes("genders"), "gender")
    expect("region", assessment.region, vocabulary.regions, "region")
    expect(
        "sentence.type",
        assessment.sentence.type,
        vocabulary.codes("sentence_types"),
        "sentence type",
    )
    lists = {
        "sentence.requirements": (
            assessment.sentence.requirements,
            vocabulary.codes("requirements"),
            "requirement",
        ),
        "sentence.mandated": (assessment.sentence.mandated, rulebook.catalogue, "intervention"),
        "risk.flags": (assessment.risk.flags, vocabulary.codes("flags"), "risk flag"),
        "strengths": (assessment.strengths, vocabulary.codes("strengths"), "strength"),
        "responsivity": (
            assessment.responsivity,
            vocabulary.codes("responsivity"),
            "responsivity code",
        ),
    }
    for path, (values, allowed, what) in lists.items():
        for index, value in enumerate(values):
            expect(f"{path}[{index}]", value, allowed, what)
    for index, need in enumerate(assessment.needs):
        expect(f"needs[{index}].area", need.area, vocabulary.need_areas, "need area")
    for name, scale in (
        ("rosh", "rosh"),
        ("osp_dc", "osp"),
        ("osp_iic", "osp"),
        ("sara_partner", "sara"),
        ("sara_other", "sara"),
    ):
        expect(
            f"risk.{name}", getattr(assessment.risk, name), vocabulary.scales.get(scale, ()), name
        )
    for item in assessment.oasys_items:
        expect(f"oasys_items.{item}", item, vocabulary.lists["oasys_items"], "OASys item")
    if errors:
        raise AssessmentError(errors)


def evaluate(assessment: Assessment, rulebook: Rulebook, today: date) -> Evaluation:
    """Run every stage's rules in durable_rules; derived values flow from one stage to the next."""
    check_codes(assessment, rulebook)
    checked = rulebook.checked
    person = person_fact(assessment, checked.vocabulary, today)
    needs = need_facts(assessment)
    findings = Findings()
    for stage in rulebook.engine.stages:
        apply_computed(
            person, tuple(c for c in checked.computed if c.stage == stage), checked.vocabulary
        )
        firings = rulebook.engine.evaluate(
            stage, [person, *needs] if stage in checked.need_stages else [person]
        )
        person = {**person, **findings.add(firings, checked.rules)}
    name = rulebook.policy.priority_field
    priority = {a for a in checked.vocabulary.need_areas if person.get(f"{name}_{a}") is True}
    return Evaluation(findings, person, priority)


def plan(
    assessment: Assessment,
    rulebook: Rulebook,
    today: date | None = None,
    explain: bool = False,
    sequence_plan: bool = True,
) -> Plan:
    """The recommended, sequenced and explained plan for one assessment.

    Deterministic: the same assessment, rulebook and ``today`` give the same plan.
    """
    today = today or date.today()
    return plan_from(
        evaluate(assessment, rulebook, today), assessment, rulebook, today, explain, sequence_plan
    )


def plan_from(
    evaluation: Evaluation,
    assessment: Assessment,
    rulebook: Rulebook,
    today: date,
    explain: bool = False,
    sequence_plan: bool = True,
) -> Plan:
    """The plan, from what the rules already said about ``assessment`` (see ``evaluate``)."""
    policy, vocabulary = rulebook.policy, rulebook.vocabulary
    warnings = [
        Warning(code=code, message=rule.description, rule_id=rule.id)
        for code, rule in evaluation.findings.flags
    ]
    too_long: set[str] = set()
    dropped: list[Choice] = []
    overrunning: list[Choice] = []
    while True:  # each round rules out at least one more intervention, or stops: this ends
        matched = match(
            assessment,
            evaluation.findings,
            evaluation.priority,
            rulebook.catalogue,
            policy,
            vocabulary,
            frozenset(too_long),
        )
        if not sequence_plan:
            slots = [Slot(c, 0, 0, 0, ()) for c in matched.choices]
            break
        capacity = effective_capacity(policy, evaluation.findings.capacity_rules)
        slots, late, overrunning = sequence(
            matched.choices,
            policy,
            evaluation.findings.switched_on,
            capacity,
            int(evaluation.person["weeks_left"]),
        )
        new = [c for c in late if c.intervention.id not in too_long]
        if not new:
            break
        dropped += new  # too long for the sentence: choose again without them
        too_long |= {c.intervention.id for c in new}
    warnings += matched.warnings
    warnings += _fit_warnings(slots, dropped, overrunning, assessment, policy.rar_providers)
    unmet = list(matched.unmet)
    items = [_item(slot) for slot in slots]
    return Plan(
        person_id=assessment.person_id,
        rules_version=rulebook.version,
        items=items,
        unmet_needs=sorted(
            unmet,
            key=lambda u: (
                matched.priority_needs.index(u.area) if u.area in matched.priority_needs else 99
            ),
        ),
        warnings=sorted(warnings, key=lambda w: (w.code, w.rule_id or "", w.message)),
        programme_pathway=_pathway(assessment, evaluation, policy.pathway_fields)
        if has_risk_scores(assessment)
        else None,
        priority_needs=matched.priority_needs,
        excluded=matched.excluded,
        plan_start=max(today, assessment.sentence.start_date),
        weeks_available=int(evaluation.person["weeks_left"]),
        trace=_trace(evaluation) if explain else None,
    )


def _item(slot: Slot) -> PlanItem:
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
        reasons=choice.reasons,
        adaptations=choice.adaptations,
        kind=intervention.kind,
        provider=intervention.provider,
        hours_per_week=intervention.hours_per_week,
        wait_weeks=intervention.wait_weeks,
    )


def _fit_warnings(
    slots: list[Slot],
    dropped: list[Any],
    overrunning: list[Any],
    assessment: Assessment,
    rar_providers: tuple[str, ...],
) -> list[Warning]:
    warnings = [
        Warning(
            code="dropped_no_time",
            message=f"{c.intervention.name} was left out: it cannot finish before the sentence ends (it takes {c.intervention.duration_weeks} weeks after a {c.intervention.wait_weeks}-week wait).",
            rule_id="sequencing.fit_to_sentence",
        )
        for c in dropped
    ]
    warnings += [
        Warning(
            code="mandated_overruns",
            message=f"{c.intervention.name} is required by the sentence but cannot finish before it ends; ask the court or the responsible officer about an extension or an alternative.",
            rule_id="sequencing.fit_to_sentence",
        )
        for c in overrunning
    ]
    if assessment.sentence.rar_days is not None:
        used = sum(
            s.choice.intervention.sessions
            for s in slots
            if s.choice.intervention.provider in rar_providers
        )
        if used > assessment.sentence.rar_days:
            warnings.append(
                Warning(
                    code="rar_days_exceeded",
                    message=f"The plan uses about {used} RAR activity days but the order allows {assessment.sentence.rar_days}; prioritise, or deliver some work outside the RAR.",
                    rule_id="sequencing.rar_days",
                )
            )
    return warnings


def _pathway(
    assessment: Assessment, evaluation: Evaluation, fields: dict[str, str]
) -> ProgrammePathway | None:
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
