"""rules/policy.yaml → Policy: selection, capacity, RAR counting, pathway, thin provision.

Every value is required (no default in Python repeats policy). Capacity rules become rules of the
last stage, so durable_rules decides when they apply like any other rule.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from matcher.model.contract import Risk
from matcher.model.errors import Problem
from matcher.model.policy import (
    Capacity,
    CapacityRule,
    Pathway,
    Policy,
    Proposals,
    Ranked,
    Rar,
    Selection,
    Text,
    ThinProvision,
    UnpaidWork,
)
from matcher.model.rules import Outcome, RuleFiles
from matcher.model.vocabulary import Vocabulary, suggest
from matcher.rulebook.eligibility import criteria
from matcher.rulebook.fields import add_policy_rule
from matcher.rulebook.shapes import (
    CapacitySpec,
    MandatedSpec,
    PathwaySpec,
    PeopleSpec,
    ProposalsSpec,
    RarSpec,
    SelectionSpec,
    ThinProvisionSpec,
    UnpaidWorkSpec,
)
from matcher.rulebook.sources import LineDict, Sources, document, line_of, section, validated

POLICY_FILE = "rules/policy.yaml"


def load_policy(
    sources: Sources,
    vocabulary: Vocabulary,
    rule_files: RuleFiles,
    texts: dict[str, Text],
    problems: list[Problem],
) -> Policy | None:
    """rules/policy.yaml as a Policy (None if a section is unusable; its problems are reported).

    Capacity rules are appended to ``rule_files.rules``.
    """
    doc = document(sources, POLICY_FILE, problems)
    selection = _part(doc, "selection", SelectionSpec, problems)
    capacity_spec = _part(doc, "capacity", _CapacityWithRules, problems)
    pathway = _part(doc, "programme_pathway", PathwaySpec, problems)
    rar = _part(doc, "rar", RarSpec, problems)
    thin = _part(doc, "thin_provision", ThinProvisionSpec, problems)
    people = _part(doc, "people", PeopleSpec, problems)
    mandated = _part(doc, "mandated", MandatedSpec, problems)
    unpaid = _part(doc, "unpaid_work", UnpaidWorkSpec, problems)
    proposals = _part(doc, "proposals", ProposalsSpec, problems)
    parts = (selection, capacity_spec, pathway, rar, thin, people, mandated, unpaid, proposals)
    if None in parts:
        return None
    capacity = Capacity(capacity_spec.max_concurrent, capacity_spec.max_hours_per_week)
    capacity_rules = _capacity_rules(doc, capacity, vocabulary, rule_files, problems)
    _check_policy_codes(doc, rar, thin, pathway, vocabulary, problems)
    _check_criteria(doc, selection, mandated, vocabulary, problems)
    return Policy(
        selection=Selection(
            priority_field=selection.priority_need,
            multi_need_bonus=selection.multi_need_bonus,
            max_items=selection.max_items,
            assessed_from_severity=selection.assessed_from_severity,
            need_order=tuple(selection.need_order),
            accredited_kind=selection.accredited_kind,
            precedence=tuple(Ranked(p.level, p.text) for p in selection.precedence),
            tie_break=tuple(Ranked(t.criterion, t.text) for t in selection.tie_break),
            preference=tuple(selection.preference),
            provision_gap_when=tuple(selection.provision_gap_when),
        ),
        adults_from_age=people.adults_from_age,
        not_planned_again=tuple(people.not_planned_again),
        mandated_cannot_when=tuple(mandated.cannot_be_delivered_when),
        mandated_own_requirement=tuple(mandated.is_its_own_requirement),
        capacity=capacity,
        capacity_rules=capacity_rules,
        rar=Rar(tuple(rar.providers), rar.days_per_session),
        unpaid_work=UnpaidWork(unpaid.ete_share, tuple(unpaid.ete_interventions)),
        proposals=_proposals(proposals),
        pathway=_pathway(pathway),
        thin_provision=ThinProvision(tuple(thin.providers), tuple(thin.tiers)),
        edges=(),  # rules/sequencing.yaml's, added by the build
        texts=texts,
    )


def _proposals(spec: ProposalsSpec) -> Proposals:
    programme, rar = spec.programme, spec.rar
    return Proposals(
        tuple(spec.sentence_types),
        tuple(spec.assume),
        programme.requirement,
        tuple(programme.kinds),
        rar.requirement,
        rar.round_up_to,
    )


def _pathway(spec: PathwaySpec) -> Pathway:
    fields = {"pathway": spec.pathway, "risk_level": spec.risk_level, "need_level": spec.need_level}
    return Pathway(fields, tuple(spec.shown_when_given))


def _part(doc: LineDict, key: str, model: type[BaseModel], problems: list[Problem]) -> Any:
    """One required section of the policy file as a ``model``; None (and a Problem) if unusable."""
    raw = doc.get(key)
    if raw is None:
        problems.append(Problem(POLICY_FILE, 1, f"{POLICY_FILE} has no {key!r} section"))
        return None
    return validated(model, raw, POLICY_FILE, doc, (key,), key, problems)


def _check_policy_codes(
    doc: LineDict,
    rar: RarSpec,
    thin: ThinProvisionSpec,
    pathway: PathwaySpec,
    vocabulary: Vocabulary,
    problems: list[Problem],
) -> None:
    """Report providers, tiers and risk scores the vocabulary does not know."""
    _check_codes(doc, "rar", "providers", rar.providers, vocabulary.lists["providers"], problems)
    _check_codes(
        doc, "thin_provision", "providers", thin.providers, vocabulary.lists["providers"], problems
    )
    _check_codes(doc, "thin_provision", "tiers", thin.tiers, vocabulary.lists["tiers"], problems)
    scores = tuple(Risk.model_fields)
    _check_codes(
        doc, "programme_pathway", "shown_when_given", pathway.shown_when_given, scores, problems
    )


def _check_criteria(
    doc: LineDict,
    selection: SelectionSpec,
    mandated: MandatedSpec,
    vocabulary: Vocabulary,
    problems: list[Problem],
) -> None:
    """Report a catalogue criterion no catalogue rule is named after (it would do nothing)."""
    known = criteria(vocabulary)
    gap, cannot = selection.provision_gap_when, mandated.cannot_be_delivered_when
    _check_codes(doc, "selection", "provision_gap_when", gap, known, problems)
    _check_codes(doc, "mandated", "cannot_be_delivered_when", cannot, known, problems)


class _CapacityWithRules(CapacitySpec):
    rules: list[Any] = Field(default_factory=list)  # checked by _capacity_rules, line by line


def _capacity_rules(
    doc: LineDict,
    default: Capacity,
    vocabulary: Vocabulary,
    rule_files: RuleFiles,
    problems: list[Problem],
) -> tuple[CapacityRule, ...]:
    found = []
    stage = max([r.stage for r in rule_files.rules] + [1])
    capacity_doc = section(doc, "capacity", dict, POLICY_FILE, problems)
    for index, raw in enumerate(section(capacity_doc, "rules", list, POLICY_FILE, problems)):
        where = line_of(doc, "capacity", "rules", index)
        if not isinstance(raw, dict) or not raw.get("id"):
            problems.append(
                Problem(
                    POLICY_FILE,
                    where,
                    "each capacity rule must be a mapping with id, description, when and limits",
                )
            )
            continue
        rule_id = f"capacity.{raw['id']}"
        limits = _limits(raw, default, where, problems)
        description = str(raw.get("description") or "")
        found.append(CapacityRule(rule_id, description, limits))
        add_policy_rule(
            rule_files,
            vocabulary,
            problems,
            stage,
            (rule_id, description, str(raw.get("source", ""))),
            raw.get("when"),
            (POLICY_FILE, where),
            Outcome("capacity", code=rule_id),
        )
    return tuple(found)


def _limits(raw: dict[str, Any], default: Capacity, line: int, problems: list[Problem]) -> Capacity:
    """A capacity rule's limits; a limit it does not set is the default's."""
    try:
        limits = Capacity(
            int(raw.get("max_concurrent", default.max_concurrent)),
            float(raw.get("max_hours_per_week", default.max_hours_per_week)),
        )
    except (TypeError, ValueError):
        problems.append(
            Problem(
                POLICY_FILE,
                line,
                "capacity needs whole-number max_concurrent and numeric max_hours_per_week",
            )
        )
        return default
    if limits.max_concurrent < 1 or limits.max_hours_per_week <= 0:
        problems.append(Problem(POLICY_FILE, line, "capacity limits must be positive"))
    return limits


def _check_codes(
    doc: LineDict,
    key: str,
    field: str,
    values: list[str],
    allowed: tuple[str, ...],
    problems: list[Problem],
) -> None:
    for value in values:
        if value not in allowed:
            problems.append(
                Problem(
                    POLICY_FILE,
                    line_of(doc, key, field),
                    f"unknown {field} {value!r} in {key}.{field}",
                    suggest(value, allowed),
                )
            )
