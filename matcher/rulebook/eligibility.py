"""The exclusion rules implied by each catalogue entry's eligibility, written as rule-file entries.

Their practitioner text comes from rules/texts.yaml (``catalogue_eligibility``); what a missing
region means comes from catalogue/regions.yaml. Nothing here is policy: only how a catalogue
field becomes a rule condition.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from matcher.model.catalogue import Contract, Intervention, ScoreAlternative, day_number
from matcher.model.policy import Text
from matcher.model.rules import CATALOGUE_RULE_PREFIX
from matcher.model.vocabulary import UNSPECIFIED_REGION, Vocabulary

# Eligibility fields on a band or scale: their codes are shown as words, not labelled.
_SCORED = ("ogrs_band", "rosh", "osp_band", "sara")


# The criteria catalogue rules are named after (``catalogue.<id>.<criterion>``), as policy's
# provision_gap_when and cannot_be_delivered_when name them (``criteria`` adds the coded ones).
CRITERIA = (
    "gender",
    "age_min",
    "age_max",
    *_SCORED,
    "sentence_type",
    "scores",
    "time_left_suitable",
    "weeks_left",
    "region",
    "pdu",
    "setting",
    "time_before_release",
    "contract",
    "withdrawn",
)


def criteria(vocabulary: Vocabulary) -> tuple[str, ...]:
    """Every criterion a catalogue rule can be named after: ``requires_<code>`` for a flag or
    responsivity code, ``excludes_<code>`` for those and requirement codes too."""
    required = [*vocabulary.codes("flags"), *vocabulary.codes("responsivity")]
    excluded = [*required, *vocabulary.codes("requirements")]
    return (
        *CRITERIA,
        *(f"requires_{code}" for code in required),
        *(f"excludes_{code}" for code in excluded),
    )


# One exclusion rule before it is written: (id suffix, text key, condition, words for the text).
_Criterion = tuple[str, str, dict[str, Any], list[str]]


def catalogue_rule_texts(
    intervention: Intervention, vocabulary: Vocabulary, texts: dict[str, Text]
) -> list[dict[str, Any]]:
    """The exclusion rules implied by one catalogue entry's eligibility, exclusions and regions."""
    if intervention.status == "withdrawn":
        on = str(intervention.withdrawn_on)
        criteria: list[_Criterion] = [("withdrawn", "withdrawn", {"age": {"gte": 0}}, [on])]
    else:
        criteria = [
            *_eligibility_criteria(intervention, vocabulary),
            *_exclusion_criteria(intervention, vocabulary),
            *_contract_criteria(intervention, vocabulary),
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
    if e.scores:
        words = [_alternative_words(a, vocabulary) for a in e.scores]
        found.append(("scores", "scores", _scores_fail(e.scores), [" or ".join(words)]))
    found += _weeks_left_criteria(intervention, vocabulary)
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
    for code in i.exclusions.requirements:
        words = [label("requirements", code)]
        found.append((f"excludes_{code}", "excludes_requirement", {"requirement": code}, words))
    if isinstance(i.regions, list):
        served = (
            [*i.regions, UNSPECIFIED_REGION] if vocabulary.region_not_given_served else i.regions
        )
        words = [label("regions", r) for r in i.regions]
        found.append(("region", "region", {"not": {"region": served}}, words))
        found += _pdu_criteria(i, vocabulary)
    if vocabulary.assessment_setting not in i.settings:
        words = [label("settings", s) for s in i.settings]
        found.append(("setting", "setting", {"setting": vocabulary.assessment_setting}, words))
        # in custody, it must also finish before release
        weeks = i.wait_weeks + i.duration_weeks
        when = {"setting": vocabulary.custody_setting, "weeks_to_release": {"lt": weeks}}
        found.append(("time_before_release", "time_before_release", when, [str(weeks)]))
    return found


def _pdu_criteria(intervention: Intervention, vocabulary: Vocabulary) -> list[_Criterion]:
    """In a region where it lists PDUs, the region's other PDUs are not served. Someone whose
    PDU is not known is served wherever their region is (regional availability)."""
    listed = set(intervention.pdus)
    regions = {vocabulary.pdus[p].region for p in listed if p in vocabulary.pdus}
    others = sorted(
        p.id for p in vocabulary.pdus.values() if p.region in regions and p.id not in listed
    )
    if not others:
        return []
    words = [vocabulary.pdus[p].name for p in sorted(listed) if p in vocabulary.pdus]
    return [("pdu", "pdu", {"pdu": others}, words)]


def _weeks_left_criteria(intervention: Intervention, vocabulary: Vocabulary) -> list[_Criterion]:
    """Time left: a minimum per sentence type where the catalogue says one, else the general one."""
    needed = intervention.eligibility.weeks_left
    if needed is None:
        return []
    found: list[_Criterion] = []
    for kind, weeks in sorted(needed.by_sentence_type.items()):
        words = [f"{weeks} weeks left on {vocabulary.label('sentence_types', kind)}"]
        on_type = {"sentence_type": kind, "weeks_left": {"lt": weeks}}
        # HMPPS's suitability guide, not the time the work takes: an order can override it
        found.append((f"time_left_suitable.{kind}", "weeks_left_on", on_type, words))
    if needed.min is not None:
        when: dict[str, Any] = {"weeks_left": {"lt": needed.min}}
        if needed.by_sentence_type:
            other_types = {"not": {"sentence_type": sorted(needed.by_sentence_type)}}
            when = {"all": [when, other_types]}
        found.append(("weeks_left", "weeks_left", when, [str(needed.min)]))
    return found


def _scores_fail(alternatives: list[ScoreAlternative]) -> dict[str, Any]:
    """Holds when no alternative does; a score an alternative needs but is not given fails it."""
    fails = []
    for alternative in alternatives:
        parts: list[dict[str, Any]] = []
        given = [name for name, bound in alternative.items() if bound != "absent"]
        absent = [name for name, bound in alternative.items() if bound == "absent"]
        if given:
            parts.append({"missing": given})
        if absent:
            parts.append({"present": absent})
        for name in given:
            bound = alternative[name]
            assert bound != "absent"
            if bound.min is not None:
                parts.append({name: {"lt": bound.min}})
            if bound.max is not None:
                parts.append({name: {"gt": bound.max}})
        fails.append({"any": parts} if len(parts) > 1 else parts[0])
    return {"all": fails} if len(fails) > 1 else fails[0]


def _alternative_words(alternative: ScoreAlternative, vocabulary: Vocabulary) -> str:
    """'OVP 20 or more', 'OGRS3 25 or more with no OVP'."""
    said, absent = [], []
    for name, bound in alternative.items():
        label = vocabulary.label("scores", name)
        if bound == "absent":
            absent.append(label)
        elif bound.min is not None and bound.max is not None:
            said.append(f"{label} {bound.min} to {bound.max}")
        elif bound.min is not None:
            said.append(f"{label} {bound.min} or more")
        elif bound.max is not None:
            said.append(f"{label} {bound.max} or less")
    text = " and ".join(said)
    return f"{text} with no {join(absent)} given" if absent else text


def _contract_criteria(intervention: Intervention, vocabulary: Vocabulary) -> list[_Criterion]:
    """A contracted intervention: no contract serves this person during their sentence.

    One rule for the regions no contract covers, and one per region that has contracts, so that
    each condition stays inside durable_rules' expression limit (error 113) and a person fires
    at most one of them."""
    if intervention.regions != "contracted" or not intervention.contracts:
        return []  # no contract: a problem already reported (catalogue/contracts.yaml)
    words = [vocabulary.label("regions", r) for r in intervention.provided_in() or []]
    covered = sorted({r for c in intervention.contracts for r in c.regions})
    uncovered = [r for r in vocabulary.regions if r not in covered]
    if not vocabulary.region_not_given_served:
        uncovered.append(UNSPECIFIED_REGION)
    found: list[_Criterion] = []
    if uncovered:
        found.append(("contract", "contract", {"region": uncovered}, words))
    for region in covered:
        mine = [c for c in intervention.contracts if region in c.regions]
        groups: dict[tuple[Any, ...], list[Contract]] = {}
        for c in mine:
            ages = (c.age.min, c.age.max) if c.age else (None, None)
            groups.setdefault((tuple(c.genders or ()), *ages, c.starts, c.ends), []).append(c)
        served = [_contract_holds(g) for _, g in sorted(groups.items(), key=str)]
        none_serves = {"not": {"any": served}} if len(served) > 1 else {"not": served[0]}
        when = {"all": [{"region": region}, none_serves]}
        found.append((f"contract.{region}", "contract", when, words))
    return found


def _contract_holds(contracts: list[Contract]) -> dict[str, Any]:
    """These contracts (one eligibility, one period, one region) serve the person."""
    first = contracts[0]
    parts: list[dict[str, Any]] = []
    if not any(c.area.region for c in contracts):  # police-force areas or PDUs, not the region
        forces = sorted({c.area.police_force_area for c in contracts if c.area.police_force_area})
        pdus = sorted({p for c in contracts if c.area.pdus for p in c.area.pdus})
        places: list[dict[str, Any]] = []
        if forces:
            places.append({"police_force_area": [*forces, UNSPECIFIED_REGION]})
        if pdus:
            places.append({"pdu": [*pdus, UNSPECIFIED_REGION]})
        parts.append({"any": places} if len(places) > 1 else places[0])
    if first.genders:
        parts.append({"gender": list(first.genders)})
    if first.age and first.age.min is not None:
        parts.append({"age": {"gte": first.age.min}})
    if first.age and first.age.max is not None:
        parts.append({"age": {"lte": first.age.max}})
    parts.append({"sentence_end_day": {"gte": day_number(first.starts)}})
    if first.ends is not None:
        parts.append({"plan_start_day": {"lte": day_number(first.ends)}})
    return {"all": parts}


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
