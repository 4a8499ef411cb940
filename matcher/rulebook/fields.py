"""The fields each fact carries, as the rule language sees them: person, need and derived facts."""

from __future__ import annotations

from typing import Any

from matcher.model.conditions import SET_KEYS, FieldInfo
from matcher.model.engine import item_field
from matcher.model.errors import Problem
from matcher.model.rules import Outcome, RuleFiles, RuleSpec
from matcher.model.vocabulary import UNKNOWN, UNSPECIFIED_REGION, Vocabulary
from matcher.rulebook.language import ConditionParser


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
        number("plan_start_day"),  # days since 1 January 2000 (contract dates)
        number("sentence_end_day"),
        number("weeks_total"),
        number("rar_days"),
        code("setting", vocabulary.codes("settings")),
        code("pdu", [*vocabulary.pdus, UNSPECIFIED_REGION]),
        code("police_force_area", [*vocabulary.police_force_areas, UNSPECIFIED_REGION]),
        code("accommodation_status", [*vocabulary.accommodation_statuses, UNKNOWN]),
        number("weeks_to_release"),
        number("unpaid_work_hours"),
        number("ogrs"),
        number("mappa_level"),
        number("ovp"),
        number("rsr"),
        number("ldc_score"),
    ]
    for name, scale in vocabulary.risk_scales.items():
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
        "linked_to_harm": FieldInfo("linked_to_harm", "bool"),
    }


def fields_for_stage(
    stage: int, vocabulary: Vocabulary, rule_files: RuleFiles
) -> tuple[dict[str, FieldInfo], dict[str, FieldInfo]]:
    """(person fields, derived-fact fields) a rule of ``stage`` may test."""
    person = base_fields(vocabulary)
    for spec in rule_files.computed:
        if spec.stage <= stage:
            scale = vocabulary.scales.get(spec.scale, ())
            if spec.kind == "sum":
                person[spec.name] = FieldInfo(spec.name, "number")
            else:
                values = tuple(b.band for b in spec.bands) if spec.kind == "band" else scale
                person[spec.name] = FieldInfo(spec.name, "code", (*values, UNKNOWN))
    same_stage: list[str] = []
    for name, entry in rule_files.derived.items():
        if entry["stage"] == stage:
            same_stage.append(name)
        elif entry["stage"] < stage:
            if entry["per_need"]:
                person.update(
                    {f"{name}_{a}": FieldInfo(f"{name}_{a}", "flag") for a in vocabulary.need_areas}
                )
            else:
                values = entry["values"]
                if values <= {True}:
                    person[name] = FieldInfo(name, "flag")
                elif all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
                    person[name] = FieldInfo(name, "number")
                else:
                    person[name] = FieldInfo(name, "code", tuple(str(v) for v in values))
    derived = {
        "name": FieldInfo("name", "code", tuple(sorted(same_stage))),
        "value": FieldInfo("value", "any"),
        "area": FieldInfo("area", "code", vocabulary.need_areas),
    }
    return person, derived


def condition_parser(stage: int, vocabulary: Vocabulary, rule_files: RuleFiles) -> ConditionParser:
    """A parser for the conditions of a rule in ``stage``: the fields and codes it may test."""
    person, derived = fields_for_stage(stage, vocabulary, rule_files)
    codes = {
        kind: tuple(vocabulary.codes(kind)) for kind in sorted({*SET_KEYS.values(), "need_areas"})
    }
    history = {
        "intervention_id": FieldInfo("intervention_id", "code", rule_files.intervention_ids),
        "status": FieldInfo("status", "code", tuple(vocabulary.codes("history_statuses"))),
        "reason_code": FieldInfo(
            "reason_code", "code", tuple(vocabulary.codes("progress_reasons"))
        ),
    }
    parser = ConditionParser(person, need_fields(vocabulary), derived, codes, history)
    parser.homes = vocabulary.code_homes  # an unknown code says which file to add it to
    return parser


def add_policy_rule(
    rule_files: RuleFiles,
    vocabulary: Vocabulary,
    problems: list[Problem],
    stage: int,
    about: tuple[str, str, str],
    when: Any,
    place: tuple[str, int],
    outcome: Outcome,
) -> None:
    """A rule written by a policy file (a capacity rule, a conditional sequencing edge).

    ``about`` is (rule id, description, source) and ``place`` is (file, line).
    """
    rule_id, description, source = about
    file, line = place
    parser = condition_parser(stage, vocabulary, rule_files)
    condition = parser.parse(when)
    for message in parser.problems:
        problems.append(Problem(file, line, f"{rule_id}: {message}"))
    rule_files.rules.append(
        RuleSpec(rule_id, description, source, stage, file, line, condition, (outcome,))
    )
