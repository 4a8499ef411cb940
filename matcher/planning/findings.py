"""Rules that fired → findings: what each rule's outcome says, keyed by intervention and by name.

Nothing here decides whether a rule applies (durable_rules did); this only reads the outcomes of the
rules that fired and settles derived values by their declared precedence.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from matcher.model.engine import Firing
from matcher.model.rules import Outcome, RuleSpec


@dataclass(frozen=True)
class Hit:
    rule: RuleSpec
    weight: float = 0.0
    include: bool = False
    prepares: bool = False
    mandatory: bool = False
    comes_first: str = ""  # the precedence level the rule puts it at ("" none)


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
        for firing in firings:
            rule = rules.get(firing.rule_id)
            if rule is None:
                continue
            self.firings.append(firing)
            area = next(
                (f.get("area") for k, f in sorted(firing.facts.items()) if k.startswith("n")), None
            )
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
