"""The exclusion rules implied by each catalogue entry's eligibility, written as rule-file entries.

Their practitioner text comes from rules/texts.yaml (``catalogue_eligibility``); what a missing
region means comes from catalogue/regions.yaml. Nothing here is policy: only how a catalogue
field becomes a rule condition.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from matcher.model.catalogue import Intervention
from matcher.model.policy import Text
from matcher.model.vocabulary import UNSPECIFIED_REGION, Vocabulary

# Eligibility fields on a band or scale: their codes are shown as words, not labelled.
_SCORED = ("ogrs_band", "rosh", "osp_band")


def catalogue_rule_texts(
    intervention: Intervention, vocabulary: Vocabulary, texts: dict[str, Text]
) -> list[dict[str, Any]]:
    """The exclusion rules implied by one catalogue entry's eligibility, exclusions and regions."""
    i, rules = intervention, []
    label = vocabulary.label

    def add(suffix: str, key: str, when: dict[str, Any], codes: Iterable[str] = ()) -> None:
        words = list(codes)
        template = texts.get(key)  # a missing text is already a problem in rules/texts.yaml
        value, values = (words[0] if words else ""), join(words)
        text = template.say(name=i.name, value=value, values=values) if template else key
        rules.append(
            {
                "id": f"catalogue.{i.id}.{suffix}",
                "description": text,
                "source": f"{i.file}:{i.line}",
                "when": when,
                "then": {"exclude": {"interventions": [i.id]}},
            }
        )

    e = i.eligibility
    if e.gender:
        add(
            "gender",
            "gender",
            {"not": {"gender": e.gender}},
            (label("genders", g) for g in e.gender),
        )
    if e.age and e.age.min is not None:
        add("age_min", "age_min", {"age": {"lt": e.age.min}}, [str(e.age.min)])
    if e.age and e.age.max is not None:
        add("age_max", "age_max", {"age": {"gt": e.age.max}}, [str(e.age.max)])
    for key in _SCORED:
        allowed = getattr(e, key)
        if allowed:
            add(key, key, {"not": {key: allowed}}, (a.replace("_", " ") for a in allowed))
    if e.sentence_type:
        types = [label("sentence_types", s) for s in e.sentence_type]
        add("sentence_type", "sentence_type", {"not": {"sentence_type": e.sentence_type}}, types)
    if e.weeks_left:
        add(
            "weeks_left",
            "weeks_left",
            {"weeks_left": {"lt": e.weeks_left.min}},
            [str(e.weeks_left.min)],
        )
    for flag in e.requires_flags:
        add(f"requires_{flag}", "requires_flag", {"not": {"flag": flag}}, [label("flags", flag)])
    for code in e.requires_responsivity:
        words = [label("responsivity", code)]
        add(f"requires_{code}", "requires_responsivity", {"not": {"responsivity": code}}, words)
    for flag in i.exclusions.flags:
        add(f"excludes_{flag}", "excludes_flag", {"flag": flag}, [label("flags", flag)])
    for code in i.exclusions.responsivity:
        words = [label("responsivity", code)]
        add(f"excludes_{code}", "excludes_responsivity", {"responsivity": code}, words)
    if i.regions != "all":
        served = (
            [*i.regions, UNSPECIFIED_REGION] if vocabulary.region_not_given_served else i.regions
        )
        add(
            "region",
            "region",
            {"not": {"region": served}},
            (label("regions", r) for r in i.regions),
        )
    if vocabulary.assessment_setting not in i.settings:
        words = [label("settings", s) for s in i.settings]
        add("setting", "setting", {"setting": vocabulary.assessment_setting}, words)
    return rules


def join(words: Iterable[str]) -> str:
    """Plain-English list.

    >>> join(["a", "b", "c"])
    'a, b or c'
    >>> join([])
    ''
    """
    items = list(words)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]
