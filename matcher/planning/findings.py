"""Rules that fired → findings: what each rule's outcome says, keyed by intervention and by name.

Nothing here decides whether a rule applies (durable_rules did); this only reads the outcomes of the
rules that fired and settles derived values by their declared precedence.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from matcher.model.catalogue import Intervention
from matcher.model.contract import Exclusion, Reason, Warning
from matcher.model.engine import Firing, need_area
from matcher.model.policy import Policy
from matcher.model.rules import Outcome, RuleSpec
from matcher.planning.choices import Choice


@dataclass(slots=True)
class Hit:  # many per plan (one per rule and intervention): a plain, slotted record
    rule: RuleSpec
    weight: float = 0.0
    include: bool = False
    prepares: bool = False
    mandatory: bool = False
    comes_first: str = ""  # the precedence level the rule puts it at ("" none)
    alongside: bool = False  # a companion: beside the need's main choice, never instead of it
    urgent: bool = False  # crisis work: never held back by the capacity limit


def precedence_level(hits: list[Hit], levels: list[str]) -> int:
    """The earliest of ``levels`` any hit puts its intervention at (``len(levels)``: none)."""
    return min(
        [levels.index(h.comes_first) for h in hits if h.comes_first in levels] or [len(levels)]
    )


@dataclass
class Findings:
    recommended: dict[str, list[Hit]] = field(default_factory=lambda: defaultdict(list))
    excluded: dict[str, list[Hit]] = field(default_factory=lambda: defaultdict(list))
    adapted: dict[str, list[Hit]] = field(default_factory=lambda: defaultdict(list))
    flags: list[tuple[str, RuleSpec]] = field(default_factory=list)
    proposed: list[tuple[Outcome, RuleSpec]] = field(default_factory=list)  # to the court
    switched_on: set[str] = field(default_factory=set)
    capacity_rules: list[str] = field(default_factory=list)
    derived: dict[str, tuple[Any, RuleSpec]] = field(default_factory=dict)  # name → (value, rule)
    firings: list[Firing] = field(default_factory=list)
    _seen: set[tuple[str, str, str]] = field(default_factory=set)  # (outcome, rule, target)

    def add(self, firings: list[Firing], rules: dict[str, RuleSpec]) -> dict[str, Any]:
        """Record one stage's firings; return the derived values to carry into the next stage."""
        candidates: dict[str, list[tuple[int, str, Any]]] = defaultdict(list)
        matched: dict[str, dict[str, Any]] | None = None
        area = None
        for firing in firings:
            rule = rules.get(firing.rule_id)
            if rule is None:
                continue
            self.firings.append(firing)
            if firing.facts is not matched:  # one engine firing can stand for many rules
                matched, area = firing.facts, need_area(firing.facts)
            # A rule fires once per way its condition holds (each `any` branch, each matching
            # need); each outcome counts once per target, so weights are never added twice.
            for outcome in rule.outcomes:
                if outcome.kind == "propose":
                    if self._first(outcome.kind, rule.id, outcome.code):
                        self.proposed.append((outcome, rule))
                elif outcome.kind == "derive":
                    name = f"{outcome.name}_{area}" if outcome.per_need and area else outcome.name
                    candidates[name].append((outcome.precedence, rule.id, outcome.value))
                elif not outcome.targets:
                    if self._first(outcome.kind, rule.id, outcome.code):
                        self._note(outcome.kind, outcome.code, rule)
                else:
                    hits = {
                        "recommend": self.recommended,
                        "exclude": self.excluded,
                        "adapt": self.adapted,
                    }[outcome.kind]
                    for intervention_id in outcome.targets:
                        if self._first(outcome.kind, rule.id, intervention_id):
                            hits[intervention_id].append(
                                Hit(
                                    rule,
                                    outcome.weight,
                                    outcome.include,
                                    outcome.prepares,
                                    outcome.mandatory,
                                    outcome.comes_first,
                                    outcome.alongside,
                                    outcome.urgent,
                                )
                            )
        carried: dict[str, Any] = {}
        for name, options in candidates.items():
            _, rule_id, value = min(options, key=lambda o: (o[0], o[1]))
            self.derived[name] = (value, rules[rule_id])
            carried[name] = value
        return carried

    def _note(self, kind: str, code: str, rule: RuleSpec) -> None:
        if kind == "flag":
            self.flags.append((code, rule))
        elif kind == "switch":
            self.switched_on.add(code)
        elif kind == "capacity":
            self.capacity_rules.append(code)

    def _first(self, kind: str, rule_id: str, target: str) -> bool:
        key = (kind, rule_id, target)
        if key in self._seen:
            return False
        self._seen.add(key)
        return True


def reasons_of(hits: list[Hit]) -> list[Reason]:
    """The reasons the rules behind ``hits`` give, each rule once, by id."""
    rules = {hit.rule.id: hit.rule for hit in hits}
    return [reason(k, rules[k].description) for k in sorted(rules)]


# Reasons and exclusions are frozen models, made once per process and shared by every plan that
# gives them, rather than built again for every candidate of every plan.
@functools.lru_cache(maxsize=1 << 16)
def reason(rule_id: str, text: str) -> Reason:
    return Reason(rule_id=rule_id, text=text)


@functools.lru_cache(maxsize=1 << 16)
def exclusion(intervention_id: str, rule_id: str, text: str) -> Exclusion:
    return Exclusion(intervention_id=intervention_id, rule_id=rule_id, reason=text)


def exclusions_of(findings: Findings, intervention_id: str) -> list[Exclusion]:
    return [
        exclusion(intervention_id, r.rule_id, r.text)
        for r in reasons_of(findings.excluded.get(intervention_id, []))
    ]


def accredited_first(
    findings: Findings, catalogue: dict[str, Intervention], policy: Policy
) -> dict[str, list[Exclusion]]:
    """Work for people not suitable for an accredited programme (the catalogue says so), ruled
    out when one is open to this person: not excluded, and recommended by a rule."""
    kind = policy.selection.accredited_kind
    open_ = [
        i.name
        for i in catalogue.values()
        if i.kind == kind and findings.recommended.get(i.id) and not findings.excluded.get(i.id)
    ]
    if not open_:
        return {}
    text = policy.text("accredited_first")
    found: dict[str, list[Exclusion]] = {}
    for intervention in catalogue.values():
        if intervention.eligibility.not_if_accredited_suitable:
            why = text.say(name=intervention.name, programmes=", ".join(sorted(open_)))
            found[intervention.id] = [
                Exclusion(intervention_id=intervention.id, rule_id=text.rule_id, reason=why)
            ]
    return found


def prerequisite_warnings(
    choices: list[Choice],
    findings: Findings,
    catalogue: dict[str, Intervention],
    policy: Policy,
    done: frozenset[str] = frozenset(),
    rejected: Mapping[str, list[Exclusion]] | None = None,
) -> list[Warning]:
    """A warning for each chosen intervention whose prerequisite is ruled out for this person or
    ``rejected`` by the practitioner (and not ``done`` already)."""
    warnings, rejected = [], rejected or {}
    text = policy.text("prerequisite_not_possible")
    for made in choices:
        for prerequisite in made.intervention.prerequisites:
            out = exclusions_of(findings, prerequisite) + rejected.get(prerequisite, [])
            if out and prerequisite not in done:
                first = catalogue[prerequisite]
                why = "; ".join(e.reason for e in out)
                warnings.append(
                    Warning(
                        code="prerequisite_not_possible",
                        message=text.say(name=made.intervention.name, first=first.name, why=why),
                        rule_id=text.rule_id,
                    )
                )
    return warnings
