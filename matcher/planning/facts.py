"""Assessment → the flat facts asserted into durable_rules, with plain derived values computed first.

The person is one flat fact (well under durable_rules' ~253-field limit); each need is a small fact of
its own. Codes become presence fields (``responsivity_learning_disability: true``) because the engine
has no "contains". A value the assessment does not give is either absent (numbers: a rule testing it
does not match) or ``unknown`` (bands and scales), never guessed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from matcher.model.catalogue import day_number
from matcher.model.contract import Assessment
from matcher.model.engine import HISTORY, NEED, PERSON, item_field
from matcher.model.rules import ComputedField
from matcher.model.vocabulary import UNKNOWN, UNSPECIFIED_REGION, Vocabulary, band_of


def weeks_between(start: date, end: date) -> int:
    return max(0, (end - start).days // 7)


def in_custody(assessment: Assessment, today: date) -> bool:
    """In prison on ``today``: custody is given and the release date is still ahead."""
    return assessment.custody is not None and today < assessment.custody.release_date


def plan_start(assessment: Assessment, today: date) -> date:
    """Where the plan's weeks count from: today in custody, else the sentence start or today."""
    if in_custody(assessment, today):
        return today
    return max(today, assessment.sentence.start_date)


def release_week(assessment: Assessment, today: date) -> int | None:
    """Weeks from the plan's start to release, for a person in custody."""
    if assessment.custody is None or not in_custody(assessment, today):
        return None
    return weeks_between(today, assessment.custody.release_date)


def person_fact(assessment: Assessment, vocabulary: Vocabulary, today: date) -> dict[str, Any]:
    """The person fact, before computed fields and derivations."""
    sentence = assessment.sentence
    fact: dict[str, Any] = {
        "t": PERSON,
        "id": PERSON,
        "gender": assessment.gender,
        "age": assessment.age,
        "region": assessment.region or UNSPECIFIED_REGION,
        "pdu": assessment.pdu or UNSPECIFIED_REGION,
        "police_force_area": vocabulary.pdus[assessment.pdu].police_force_area
        if assessment.pdu in vocabulary.pdus
        else UNSPECIFIED_REGION,
        "sentence_type": sentence.type,
        "weeks_left": weeks_between(plan_start(assessment, today), sentence.end_date),
        "weeks_total": weeks_between(sentence.start_date, sentence.end_date),
        "plan_start_day": day_number(plan_start(assessment, today)),
        "sentence_end_day": day_number(sentence.end_date),
        "setting": vocabulary.custody_setting
        if in_custody(assessment, today)
        else vocabulary.assessment_setting,
        "accommodation_status": accommodation_status(assessment, vocabulary),
    }
    optional = {
        "rar_days": sentence.rar_days,
        "unpaid_work_hours": sentence.unpaid_work_hours,
        "weeks_to_release": release_week(assessment, today),
        "ogrs": assessment.risk.ogrs,
        "mappa_level": assessment.risk.mappa_level,
        "ovp": assessment.risk.ovp,
        "rsr": assessment.risk.rsr,
        "ldc_score": assessment.ldc_score,
    }
    fact.update({k: v for k, v in optional.items() if v is not None})
    _scores(fact, assessment, vocabulary)
    codes: dict[str, list[str]] = {
        "responsivity": assessment.responsivity,
        "strength": assessment.strengths,
        "flag": assessment.risk.flags,
        "requirement": sentence.requirements,
        "goal": [g.need_area for g in assessment.goals if g.need_area],
        "curfew": curfew_blocks(assessment, vocabulary),
    }
    for prefix, values in codes.items():
        fact.update({f"{prefix}_{code}": True for code in values})
    return fact


def _scores(fact: dict[str, Any], assessment: Assessment, vocabulary: Vocabulary) -> None:
    """Risk scores on their scales and bands, OASys items and need severities (in place)."""
    for name, scale in vocabulary.risk_scales.items():
        value = getattr(assessment.risk, name)
        fact[name] = (
            value if value is not None else vocabulary.missing_score_means.get(scale, UNKNOWN)
        )
    for band in vocabulary.bands.values():
        fact[band.field] = band.band_of(fact.get(band.of))
    fact.update({item_field(k): v for k, v in assessment.oasys_items.items()})
    fact.update({f"need_{n.area}": n.severity for n in assessment.needs})


def curfew_blocks(assessment: Assessment, vocabulary: Vocabulary) -> list[str]:
    """The delivery times whose clock hours the curfew overlaps (it may run past midnight)."""
    curfew = assessment.sentence.curfew
    if curfew is None:
        return []
    start, end = (int(t[:2]) * 60 + int(t[3:]) for t in (curfew.start, curfew.end))
    home = set(range(start, end)) if start < end else set(range(start, 1440)) | set(range(end))
    return sorted(
        name for name, (a, b) in vocabulary.delivery_hours.items() if home & set(range(a, b))
    )


def accommodation_status(assessment: Assessment, vocabulary: Vocabulary) -> str:
    """As given, or read from the accommodation need's severity as the vocabulary says."""
    if assessment.accommodation_status is not None:
        return assessment.accommodation_status
    by_severity = vocabulary.accommodation_status_by_severity
    area = vocabulary.accommodation_status_need
    need = next((n for n in assessment.needs if n.area == area), None)
    return by_severity[need.severity if need else 0] if by_severity else UNKNOWN


def history_facts(assessment: Assessment) -> list[dict[str, Any]]:
    """One fact for each piece of work in the assessment's history."""
    return [
        {
            "t": HISTORY,
            "id": f"history_{index}",
            "intervention_id": entry.intervention_id,
            "status": entry.status,
            **({"reason_code": entry.reason_code} if entry.reason_code else {}),
        }
        for index, entry in enumerate(assessment.history)
    ]


def need_facts(assessment: Assessment) -> list[dict[str, Any]]:
    return [
        {
            "t": NEED,
            "id": f"need_{n.area}",
            "area": n.area,
            "severity": n.severity,
            "linked_to_offending": n.linked_to_offending,
            "linked_to_harm": n.linked_to_harm,
        }
        for n in assessment.needs
    ]


def apply_computed(
    fact: dict[str, Any], computed: tuple[ComputedField, ...], vocabulary: Vocabulary
) -> None:
    """Add each computed field to the person fact (in place; the fact is ours, not the caller's)."""
    for spec in computed:
        if spec.kind == "sum":
            fact[spec.name] = sum(fact.get(f, 0) for f in spec.of)
        elif spec.kind == "band":
            fact[spec.name] = band_of(spec.bands, fact.get(spec.of[0]))
        else:
            scale = vocabulary.scales.get(spec.scale, ())
            ranks = [scale.index(fact[f]) for f in spec.of if fact.get(f) in scale]
            fact[spec.name] = scale[max(ranks)] if ranks else UNKNOWN
