"""Static checks on a whole rulebook, beyond each file's own schema: all problems collected."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from matcher.model.catalogue import Intervention
from matcher.model.conditions import AllOf, Condition, Expr, Test
from matcher.model.errors import Problem
from matcher.model.rules import RuleSpec
from matcher.model.vocabulary import Vocabulary, suggest
from matcher.rulebook.cases import Case, cases, implies, overlap


def static_checks(
    vocabulary: Vocabulary,
    catalogue: dict[str, Intervention],
    rules: dict[str, RuleSpec],
) -> list[Problem]:
    constants = vocabulary.constant_fields
    memo = RuleCases(rules, constants)  # shared: both checks read most rules' cases
    problems: list[Problem] = []
    problems += never_fires(rules)
    problems += recommend_and_exclude(rules)
    problems += conflicting_rules(rules, constants, memo)
    problems += unreachable_interventions(vocabulary, catalogue, rules, memo)
    problems += unknown_proposals(vocabulary, rules)
    return problems


class RuleCases:
    """The cases of each rule's condition, worked out once per distinct condition: the copies of
    a catalogue entry have their eligibility rules' conditions in common, and the checks below
    ask for one rule's cases many times."""

    def __init__(self, rules: dict[str, RuleSpec], constants: dict[str, Any]) -> None:
        self._rules, self._constants = rules, constants
        self._by_rule: dict[str, int] = {}  # rule id → the number of its condition
        self._texts: dict[str, int] = {}  # a condition's repr (1, 1.0 and True kept apart) → number
        self._cases: list[list[Case] | None] = []  # by number
        self._objects: dict[int, int] = {}  # id of a Condition (the rules keep it alive) → number

    def number(self, rule_id: str) -> int:
        """The number of the rule's condition: equal for rules with the very same condition."""
        if rule_id not in self._by_rule:
            condition = self._rules[rule_id].condition
            # one Condition object is often shared (the catalogue's, parsed once): its repr once
            number = self._objects.get(id(condition))
            if number is None:
                text = repr(condition)
                if text not in self._texts:
                    self._texts[text] = len(self._cases)
                    self._cases.append(cases(condition, self._constants))
                number = self._objects[id(condition)] = self._texts[text]
            self._by_rule[rule_id] = number
        return self._by_rule[rule_id]

    def __call__(self, rule_id: str) -> list[Case] | None:
        return self._cases[self.number(rule_id)]

    def always(self, rule_id: str) -> bool:
        """The rule holds for every assessment (it joins no fact, and one case tests only
        constants)."""
        rule = self._rules[rule_id]
        return not rule.condition.joins and any(not case.tests for case in self(rule_id) or [])


def unknown_proposals(vocabulary: Vocabulary, rules: dict[str, RuleSpec]) -> list[Problem]:
    """A ``propose`` outcome must name a requirement the vocabulary knows."""
    known = vocabulary.codes("requirements")
    return [
        Problem(
            rule.file,
            rule.line,
            f"rule {rule.id!r}: unknown requirement {outcome.code!r}; add it to "
            "rules/vocabulary.yaml under requirements",
            suggest(outcome.code, known),
        )
        for rule in rules.values()
        for outcome in rule.outcomes
        if outcome.kind == "propose" and outcome.code not in known
    ]


def _contradiction(expr: Expr | None) -> str:
    """Why an all-of can never hold (two different values demanded of one field), or ''."""
    if not isinstance(expr, AllOf):
        return ""
    equal: dict[str, set[object]] = defaultdict(set)
    present, absent = set(), set()
    for part in expr.parts:
        if isinstance(part, Test):
            if part.op == "eq":
                equal[part.field].add(part.value)
            elif part.op == "ex":
                present.add(part.field)
            elif part.op == "nex":
                absent.add(part.field)
        else:
            reason = _contradiction(part)
            if reason:
                return reason
    for field_name, values in equal.items():
        if len(values) > 1:
            return f"{field_name!r} cannot equal {' and '.join(map(repr, sorted(values, key=str)))} at once"
    both = (present | set(equal)) & absent
    if both:
        return f"{sorted(both)[0]!r} cannot be both given and missing"
    return ""


def never_fires(rules: dict[str, RuleSpec]) -> list[Problem]:
    problems = []
    for rule in rules.values():
        for expr in [rule.condition.person, *(j.expr for j in rule.condition.joins)]:
            reason = _contradiction(expr)
            if reason:
                problems.append(
                    Problem(rule.file, rule.line, f"rule {rule.id!r} can never fire: {reason}")
                )
                break
    return problems


def recommend_and_exclude(rules: dict[str, RuleSpec]) -> list[Problem]:
    """A rule that both recommends and excludes one intervention contradicts itself."""
    problems = []
    for rule in rules.values():
        recommended = {t for o in rule.outcomes if o.kind == "recommend" for t in o.targets}
        excluded = {t for o in rule.outcomes if o.kind == "exclude" for t in o.targets}
        for target in sorted(recommended & excluded):
            problems.append(
                Problem(
                    rule.file,
                    rule.line,
                    f"rule {rule.id!r} both recommends and excludes {target!r}",
                )
            )
    return problems


def _targets(rules: dict[str, RuleSpec], kind: str) -> dict[str, set[str]]:
    """Intervention id → the rules with an outcome of ``kind`` naming it."""
    found: dict[str, set[str]] = defaultdict(set)
    for rule in rules.values():
        for outcome in rule.outcomes:
            if outcome.kind == kind:
                for target in outcome.targets:
                    found[target].add(rule.id)
    return found


def conflicting_rules(
    rules: dict[str, RuleSpec], constants: dict[str, Any], memo: RuleCases | None = None
) -> list[Problem]:
    """Pairs of rules where one recommends and another excludes one intervention, and both can
    hold for the same person: no field is held to disjoint values by the two conditions.

    The exclusion always wins, so a recommendation is *shadowed* when the excluding rule holds
    whenever it does (its tests are implied by the recommending rule's); that is reported as such.
    Catalogue eligibility (``catalogue.*``) is the designed filter on recommendations, so an
    overlap with it is only reported when it shadows the recommendation completely.
    """
    recommended, excluded = _targets(rules, "recommend"), _targets(rules, "exclude")
    of = memo or RuleCases(rules, constants)
    # a verdict depends only on the two conditions (many catalogue rules share one): judged once
    # per recommending rule and distinct excluding condition (numbered once, not hashed per pair)
    numbers: dict[Condition, int] = {}
    kinds = {
        exc_id: (
            numbers.setdefault(rules[exc_id].condition, len(numbers)),
            exc_id.startswith("catalogue."),
        )
        for exc_ids in excluded.values()
        for exc_id in exc_ids
    }
    verdicts: dict[str, dict[tuple[int, bool], str]] = defaultdict(dict)  # per recommending rule

    # and a verdict on two conditions is the same whichever rules hold them (rules ×10: copies)
    judged: dict[tuple[int, int, bool], str] = {}

    def verdict(rec_id: str, exc_id: str, known: dict[tuple[int, bool], str]) -> str:
        catalogue = kinds[exc_id][1]
        key = (of.number(rec_id), of.number(exc_id), catalogue)
        if key not in judged:
            everyone = lambda: of.always(exc_id)  # noqa: E731 - asked only on overlap
            judged[key] = _verdict(of(rec_id), of(exc_id), catalogue, everyone)
        found = known[kinds[exc_id]] = judged[key]
        return found

    shadowed: dict[tuple[str, str], list[str]] = defaultdict(list)
    overlapping: dict[tuple[str, str], list[str]] = defaultdict(list)
    for target in sorted(set(recommended) & set(excluded)):
        excluding = sorted(excluded[target])
        for rec_id in sorted(recommended[target]):
            known = verdicts[rec_id]
            for exc_id in excluding:
                if rec_id == exc_id:
                    continue
                found = known.get(kinds[exc_id])
                if found is None:
                    found = verdict(rec_id, exc_id, known)
                if found:
                    pairs = shadowed if found == "shadowed" else overlapping
                    pairs[rec_id, exc_id].append(target)
    return _conflicts(rules, shadowed, overlapping)


def _conflicts(
    rules: dict[str, RuleSpec],
    shadowed: dict[tuple[str, str], list[str]],
    overlapping: dict[tuple[str, str], list[str]],
) -> list[Problem]:
    problems = []
    for (rec_id, exc_id), targets in sorted(shadowed.items()):
        rule, other = rules[rec_id], rules[exc_id]
        problems.append(
            Problem(
                rule.file,
                rule.line,
                f"rule {rec_id!r} recommends {_names(targets)} but whenever it fires rule {exc_id!r} ({other.file}:{other.line}) excludes {'it' if len(targets) == 1 else 'them'}: the recommendation can never take effect",
                severity="warning",
            )
        )
    for (rec_id, exc_id), targets in sorted(overlapping.items()):
        rule, other = rules[rec_id], rules[exc_id]
        problems.append(
            Problem(
                rule.file,
                rule.line,
                f"rule {rec_id!r} recommends and rule {exc_id!r} ({other.file}:{other.line}) excludes {_names(targets)} under overlapping conditions (the exclusion wins); check this is intended",
                severity="warning",
            )
        )
    return problems


def _verdict(
    rec: list[Case] | None, exc: list[Case] | None, catalogue: bool, for_everyone: Any
) -> str:
    """``shadowed``: the exclusion holds whenever the recommendation does; ``overlapping``: both
    can (not said of catalogue eligibility); "": never both, or the exclusion is for everyone."""
    if rec is None or exc is None or not overlap(rec, exc) or for_everyone():
        return ""
    if implies(rec, exc):
        return "shadowed"
    if not catalogue and (implies(exc, rec) or overlap(rec, exc, shared=True)):
        return "overlapping"
    return ""


def _names(ids: list[str]) -> str:
    shown = ", ".join(repr(i) for i in ids[:4])
    return shown + (f" and {len(ids) - 4} more" if len(ids) > 4 else "")


def unreachable_interventions(
    vocabulary: Vocabulary,
    catalogue: dict[str, Intervention],
    rules: dict[str, RuleSpec],
    memo: RuleCases | None = None,
) -> list[Problem]:
    """Interventions that can never be in a plan: excluded for everyone, or neither recommended
    by any rule that can fire nor addressing any need area (so not even chosen for a need)."""
    problems = []
    of = memo or RuleCases(rules, vocabulary.constant_fields)
    recommended = _targets(rules, "recommend")
    need_areas = set(vocabulary.need_areas)
    for intervention in catalogue.values():
        can_fire = any(of(r) != [] for r in recommended.get(intervention.id, ()))
        if not can_fire and not set(intervention.needs) & need_areas:
            problems.append(
                Problem(
                    intervention.file,
                    intervention.line,
                    f"{intervention.id!r} can only reach a plan if a sentence mandates it: no rule recommends it and it addresses no need area",
                    severity="warning",
                )
            )
    for rule in rules.values():
        if not of.always(rule.id):
            continue
        for outcome in rule.outcomes:
            if outcome.kind == "exclude" and outcome.targets:
                problems.append(
                    Problem(
                        rule.file,
                        rule.line,
                        f"rule {rule.id!r} excludes {_names(list(outcome.targets))} for everyone: {'it' if len(outcome.targets) == 1 else 'they'} can never be in a plan",
                        severity="warning",
                    )
                )
    return problems
