"""Assessment → the flat facts asserted into durable_rules, with plain derived values computed first.

The person is one flat fact (well under durable_rules' ~253-field limit); each need is a small fact of
its own. Codes become presence fields (``responsivity_learning_disability: true``) because the engine
has no "contains". A value the assessment does not give is either absent (numbers: a rule testing it
does not match) or ``unknown`` (bands and scales), never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from matcher.conditions import SET_KEYS, FieldInfo
from matcher.domain import Assessment
from matcher.vocabulary import UNKNOWN, UNSPECIFIED_REGION, Vocabulary

PERSON, NEED, DERIVED = "person", "need", "derived"
_SCALED_RISK = {
    "rosh": "rosh",
    "osp_dc": "osp",
    "osp_iic": "osp",
    "sara_partner": "sara",
    "sara_other": "sara",
}
_ABSENT_MEANS = {"osp": "not_applicable"}  # the PNI treats a missing OSP like "not applicable"


@dataclass(frozen=True)
class ComputedField:
    """A plain derived value declared in a rule file: a sum of fields, or the highest on a scale."""

    name: str
    kind: str  # "sum" | "highest" | "band"
    of: tuple[str, ...]
    scale: str = ""
    stage: int = 1
    bands: tuple[tuple[str, float], ...] = ()  # for "band": (band, from), half-open, ascending


def item_field(item: str) -> str:
    """The fact field for an OASys item id.

    >>> item_field("11.12")
    'item_11_12'
    """
    return "item_" + item.replace(".", "_")


def base_fields(vocabulary: Vocabulary) -> dict[str, FieldInfo]:
    """Every field the person fact can carry before any rule runs."""

    def code(name: str, values: Any) -> FieldInfo:
        return FieldInfo(name, "code", tuple(values))

    def number(name: str) -> FieldInfo:
        return FieldInfo(name, "number")

    fields = [
        code("gender", vocabulary.codes("genders")),
        number("age"),
        code("region", [*vocabulary.regions, UNSPECIFIED_REGION]),
        code("sentence_type", vocabulary.codes("sentence_types")),
        number("weeks_left"),
        number("weeks_total"),
        number("rar_days"),
        code("setting", vocabulary.codes("settings")),
        number("ogrs"),
        number("mappa_level"),
        number("ovp"),
        number("rsr"),
        number("ldc_score"),
    ]
    for name, scale in _SCALED_RISK.items():
        fields.append(code(name, [*vocabulary.scales.get(scale, ()), UNKNOWN]))
    for band in vocabulary.bands.values():
        fields.append(code(band.field, [b.band for b in band.bands] + [UNKNOWN]))
    fields += [number(item_field(i)) for i in vocabulary.lists["oasys_items"]]
    fields += [number(f"need_{area}") for area in vocabulary.need_areas]
    for key, kind in SET_KEYS.items():
        fields += [FieldInfo(f"{key}_{c}", "flag") for c in vocabulary.codes(kind)]
    return {f.name: f for f in fields}


def need_fields(vocabulary: Vocabulary) -> dict[str, FieldInfo]:
    return {
        "area": FieldInfo("area", "code", vocabulary.need_areas),
        "severity": FieldInfo("severity", "number"),
        "linked_to_offending": FieldInfo("linked_to_offending", "bool"),
    }


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
        "setting": "community",
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
    for name, scale in _SCALED_RISK.items():
        value = getattr(risk, name)
        fact[name] = value if value is not None else _ABSENT_MEANS.get(scale, UNKNOWN)
    for band in vocabulary.bands.values():
        raw = fact.get(band.of)
        fact[band.field] = band.band_of(raw) if raw is not None else UNKNOWN
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
            value = fact.get(spec.of[0])
            chosen = UNKNOWN
            for band, start in spec.bands:
                if isinstance(value, int | float) and value >= start:
                    chosen = band
            fact[spec.name] = chosen
        else:
            scale = vocabulary.scales.get(spec.scale, ())
            ranks = [scale.index(fact[f]) for f in spec.of if fact.get(f) in scale]
            fact[spec.name] = scale[max(ranks)] if ranks else UNKNOWN


def has_risk_scores(assessment: Assessment) -> bool:
    risk = assessment.risk
    scores = (
        risk.ogrs,
        risk.ovp,
        risk.rsr,
        risk.osp_dc,
        risk.osp_iic,
        risk.sara_partner,
        risk.sara_other,
    )
    return any(score is not None for score in scores)
