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
from matcher.model.rules import CATALOGUE_RULE_PREFIX
from matcher.model.vocabulary import UNSPECIFIED_REGION, Vocabulary

# Eligibility fields on a band or scale: their codes are shown as words, not labelled.
_SCORED = ("ogrs_band", "rosh", "osp_band")


# One exclusion rule before it is written: (id suffix, text key, condition, words for the text).
_Criterion = tuple[str, str, dict[str, Any], list[str]]


def catalogue_rule_texts(
    intervention: Intervention, vocabulary: Vocabulary, texts: dict[str, Text]
) -> list[dict[str, Any]]:
    """The exclusion rules implied by one catalogue entry's eligibility, exclusions and regions."""
    criteria = [
        *_eligibility_criteria(intervention, vocabulary),
        *_exclusion_criteria(intervention, vocabulary),
    ]
    return [_exclusion_rule(intervention, texts, criterion) for criterion in criteria]


def _exclusion_rule(
    intervention: Intervention, texts: dict[str, Text], criterion: _Criterion
) -> dict[str, Any]:
    """One criterion written as a rule-file entry that excludes the intervention."""
    i = intervention
    suffix, key, when, words = criterion
    template = texts.get(key)  # a missing text is already a problem in rules/texts.yaml
    value, values = (words[0] if words else ""), join(words)
    text = template.say(name=i.name, value=value, values=values) if template else key
    return {
        "id": f"{CATALOGUE_RULE_PREFIX}{i.id}.{suffix}",
        "description": text,
        "source": f"{i.file}:{i.line}",
        "when": when,
        "then": {"exclude": {"interventions": [i.id]}},
    }


def _eligibility_criteria(intervention: Intervention, vocabulary: Vocabulary) -> list[_Criterion]:
    """The criteria of the entry's 'eligibility', in the order its rules are written."""
    e, label = intervention.eligibility, vocabulary.label
    found: list[_Criterion] = []
    if e.gender:
        words = [label("genders", g) for g in e.gender]
        found.append(("gender", "gender", {"not": {"gender": e.gender}}, words))
    if e.age and e.age.min is not None:
        found.append(("age_min", "age_min", {"age": {"lt": e.age.min}}, [str(e.age.min)]))
    if e.age and e.age.max is not None:
        found.append(("age_max", "age_max", {"age": {"gt": e.age.max}}, [str(e.age.max)]))
    for key in _SCORED:
        allowed = getattr(e, key)
        if allowed:
            words = [a.replace("_", " ") for a in allowed]
            found.append((key, key, {"not": {key: allowed}}, words))
    if e.sentence_type:
        types = [label("sentence_types", s) for s in e.sentence_type]
        found.append(
            ("sentence_type", "sentence_type", {"not": {"sentence_type": e.sentence_type}}, types)
        )
    if e.weeks_left:
        minimum = e.weeks_left.min
        found.append(("weeks_left", "weeks_left", {"weeks_left": {"lt": minimum}}, [str(minimum)]))
    for flag in e.requires_flags:
        words = [label("flags", flag)]
        found.append((f"requires_{flag}", "requires_flag", {"not": {"flag": flag}}, words))
    for code in e.requires_responsivity:
        words = [label("responsivity", code)]
        when = {"not": {"responsivity": code}}
        found.append((f"requires_{code}", "requires_responsivity", when, words))
    return found


def _exclusion_criteria(intervention: Intervention, vocabulary: Vocabulary) -> list[_Criterion]:
    """The criteria of the entry's 'exclusions', regions and settings, in rule order."""
    i, label = intervention, vocabulary.label
    found: list[_Criterion] = []
    for flag in i.exclusions.flags:
        found.append((f"excludes_{flag}", "excludes_flag", {"flag": flag}, [label("flags", flag)]))
    for code in i.exclusions.responsivity:
        words = [label("responsivity", code)]
        found.append((f"excludes_{code}", "excludes_responsivity", {"responsivity": code}, words))
    if i.regions != "all":
        served = (
            [*i.regions, UNSPECIFIED_REGION] if vocabulary.region_not_given_served else i.regions
        )
        words = [label("regions", r) for r in i.regions]
        found.append(("region", "region", {"not": {"region": served}}, words))
    if vocabulary.assessment_setting not in i.settings:
        words = [label("settings", s) for s in i.settings]
        found.append(("setting", "setting", {"setting": vocabulary.assessment_setting}, words))
        # in custody, it must also finish before release
        weeks = i.wait_weeks + i.duration_weeks
        when = {"setting": vocabulary.custody_setting, "weeks_to_release": {"lt": weeks}}
        found.append(("time_before_release", "time_before_release", when, [str(weeks)]))
    return found


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
