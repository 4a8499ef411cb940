"""Issue 10, items 5 and 6: reasons that are true. No item carries adaptations that contradict each
other; a young adult's options fit their gender; OSP and RoSH count when deciding who is
light-touch; a sexual offence alone opens no high-intensity group work."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from matcher.model.contract import Assessment
from matcher.planning.planner import plan
from matcher.rulebook import build as rulebook_module
from matcher.rulebook.book import Rulebook
from tests.conftest import CATALOGUE, RULES, TODAY

Assess = Callable[..., Assessment]

# Words of one adaptation that another adaptation on the same item must never contradict: when
# to hold the sessions.
CONTRADICTIONS = [
    ("within school hours", "book the evening or weekend sessions"),
    ("within school hours", "evening sessions are booked instead"),
    ("book the evening or weekend sessions", "evening sessions are booked instead"),
    ("book the evening or weekend sessions", "daytime and weekend sessions are booked instead"),
]
CURFEWS: list[dict[str, str] | None] = [
    None,
    {"from": "09:00", "to": "13:00"},  # daytime
    {"from": "20:00", "to": "06:00"},  # evening
]
RESPONSIVITY = ["caring_responsibilities", "employed_full_time", "rural", "learning_disability"]


def _people(assess: Assess) -> list[Assessment]:
    people = []
    for gender, curfew, n in itertools.product(["male", "female"], CURFEWS, range(3)):
        for combo in itertools.combinations(RESPONSIVITY, n):
            people.append(
                assess(
                    gender=gender,
                    region="south_west",
                    risk={"ogrs": 62},
                    sentence={"type": "licence", "requirements": [], "end_date": "2028-05-01"}
                    | ({"curfew": curfew} if curfew else {}),
                    needs=[
                        {"area": a, "severity": 2, "linked_to_offending": True}
                        for a in ("ete", "emotional_wellbeing", "lifestyle", "finance")
                    ],
                    responsivity=list(combo),
                )
            )
    return people


def test_no_item_carries_adaptations_that_contradict_each_other(
    assess: Assess, rulebook: Rulebook
) -> None:
    problems = []
    for person in _people(assess):
        for item in plan(person, rulebook, today=TODAY).items:
            texts = {a.rule_id: " ".join(a.text.split()) for a in item.adaptations}
            for one, other in CONTRADICTIONS:
                a = [r for r, t in texts.items() if one in t]
                b = [r for r, t in texts.items() if other in t]
                if a and b:
                    problems.append(
                        f"{person.gender}, {list(person.responsivity)}, curfew "
                        f"{person.sentence.curfew}: {item.intervention_id} adapted by {a} and {b}"
                    )
    assert not problems, "\n".join(problems[:10])


def test_a_young_woman_is_never_offered_the_young_mens_work_as_open(
    assess: Assess, rulebook: Rulebook
) -> None:
    young_men_only = {i.id for i in rulebook.catalogue.values() if i.eligibility.gender == ["male"]}
    person = assess(
        age=21,
        gender="female",
        region="wales",
        needs=[{"area": "lifestyle", "severity": 2, "linked_to_offending": True}],
    )
    result = plan(person, rulebook, today=TODAY, explain=True)
    fired = {t["rule_id"] for t in result.trace or []}
    assert "responsivity.young_adult" not in fired
    assert "responsivity.young_adult.women" in fired
    for item in result.items:
        assert item.intervention_id not in young_men_only
        for reason in [*item.reasons, *item.adaptations]:
            assert reason.rule_id != "responsivity.young_adult", item


def test_the_young_mens_rule_names_only_work_for_men(rulebook: Rulebook) -> None:
    rule = rulebook.rules["responsivity.young_adult"]
    for outcome in rule.outcomes:
        if outcome.kind == "recommend":
            for target in outcome.targets:
                assert rulebook.catalogue[target].eligibility.gender == ["male"]


def test_other_high_intensity_group_work_is_listed_whole(rulebook: Rulebook) -> None:
    """risk.low_likelihood.sexual_offence.no_other_high_intensity names, by id, every
    high-intensity group programme that is not sexual-offending work: a new one must be added."""
    rule = rulebook.rules["risk.low_likelihood.sexual_offence.no_other_high_intensity"]
    named = {t for o in rule.outcomes if o.kind == "exclude" for t in o.targets}
    wanted = {
        i.id
        for i in rulebook.catalogue.values()
        if i.intensity == "high"
        and "group" in i.formats
        and i.kind in ("accredited_programme", "structured_intervention")
        and "sexual_offence" not in i.eligibility.requires_flags
    }
    assert named == wanted


SEXUAL_OFFENCE_OSP_MEDIUM: dict[str, Any] = {
    "ogrs": 20,
    "rosh": "medium",
    "flags": ["sexual_offence"],
    "osp_dc": "medium",
    "osp_iic": "low",
}


def _capacity_fired(rulebook: Rulebook, person: Assessment) -> set[str]:
    result = plan(person, rulebook, today=TODAY, explain=True)
    return {t["rule_id"] for t in result.trace or [] if t["rule_id"].startswith("capacity.")}


def test_light_touch_capacity_by_the_derived_value(assess: Assess, tmp_path: Path) -> None:
    """The policy.yaml change recommended for issue 10 item 6: the light-touch capacity limit
    tests `light_touch` (rules/rulesets/35_light_touch.yaml), not OGRS3 alone."""
    shutil.copytree(RULES, tmp_path / "rules")
    policy = tmp_path / "rules" / "policy.yaml"
    text = policy.read_text(encoding="utf-8")
    old = "      when: {ogrs_band: low}\n      max_concurrent: 2\n      max_hours_per_week: 4\n"
    new = "      when: {light_touch: true}\n      max_concurrent: 2\n      max_hours_per_week: 4\n"
    if old in text:
        policy.write_text(text.replace(old, new), encoding="utf-8")
    book = rulebook_module.load(tmp_path / "rules", CATALOGUE, probe=False)
    plain = assess(risk={"ogrs": 20})
    osp = assess(risk=SEXUAL_OFFENCE_OSP_MEDIUM)
    high_rosh = assess(risk={**SEXUAL_OFFENCE_OSP_MEDIUM, "osp_dc": "low", "rosh": "high"})
    assert "capacity.low_likelihood" in _capacity_fired(book, plain)
    assert "capacity.low_likelihood" not in _capacity_fired(book, osp)
    assert "capacity.low_likelihood" not in _capacity_fired(book, high_rosh)


def test_shipped_light_touch_capacity_counts_osp(assess: Assess, rulebook: Rulebook) -> None:
    assert "capacity.low_likelihood" not in _capacity_fired(
        rulebook, assess(risk=SEXUAL_OFFENCE_OSP_MEDIUM)
    )
