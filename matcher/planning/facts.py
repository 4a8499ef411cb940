"""Assessment → the flat facts asserted into durable_rules, with plain derived values computed first.

The person is one flat fact (well under durable_rules' ~253-field limit); each need is a small fact of
its own. Codes become presence fields (``responsivity_learning_disability: true``) because the engine
has no "contains". A value the assessment does not give is either absent (numbers: a rule testing it
does not match) or ``unknown`` (bands and scales), never guessed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from matcher.model.contract import Assessment
from matcher.model.engine import NEED, PERSON, item_field
from matcher.model.rules import ComputedField
from matcher.model.vocabulary import UNKNOWN, UNSPECIFIED_REGION, Vocabulary, band_of


def weeks_between(start: date, end: date) -> int:
    return max(0, (end - start).days // 7)


def person_fact(assessment: Assessment, vocabulary: Vocabulary, today: date) -> dict[str, Any]:
    """The person fact, before computed fields and derivations."""
    sentence, risk = assessment.sentence, assessment.risk
    fact: dict[str, Any] = {
        "t": PERSON,
        "id": PERSON,
        "gender": assessment.gender,
        "age": assessment.age,
        "region": assessment.region or UNSPECIFIED_REGION,
        "sentence_type": sentence.type,
        "weeks_left": weeks_between(max(today, sentence.start_date), sentence.end_date),
        "weeks_total": weeks_between(sentence.start_date, sentence.end_date),
        "setting": vocabulary.assessment_setting,
    }
    optional = {
        "rar_days": sentence.rar_days,
        "ogrs": risk.ogrs,
        "mappa_level": risk.mappa_level,
        "ovp": risk.ovp,
        "rsr": risk.rsr,
        "ldc_score": assessment.ldc_score,
    }
    fact.update({k: v for k, v in optional.items() if v is not None})
    for name, scale in vocabulary.risk_scales.items():
        value = getattr(risk, name)
        fact[name] = (
            value if value is not None else vocabulary.missing_score_means.get(scale, UNKNOWN)
        )
    for band in vocabulary.bands.values():
        fact[band.field] = band.band_of(fact.get(band.of))
    fact.update({item_field(k): v for k, v in assessment.oasys_items.items()})
    fact.update({f"need_{n.area}": n.severity for n in assessment.needs})
    codes = {
        "responsivity": assessment.responsivity,
        "strength": assessment.strengths,
        "flag": risk.flags,
        "requirement": sentence.requirements,
    }
    for prefix, values in codes.items():
        fact.update({f"{prefix}_{code}": True for code in values})
    return fact


def need_facts(assessment: Assessment) -> list[dict[str, Any]]:
    return [
        {
            "t": NEED,
            "id": f"need_{n.area}",
            "area": n.area,
            "severity": n.severity,
            "linked_to_offending": n.linked_to_offending,
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
