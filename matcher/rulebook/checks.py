"""Static checks on a whole rulebook, beyond each file's own schema: all problems collected."""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from matcher.model.catalogue import Intervention
from matcher.model.conditions import AllOf, AnyOf, Condition, Expr, Test
from matcher.model.errors import Problem
from matcher.model.rules import RuleSpec
from matcher.model.vocabulary import Vocabulary, suggest

MAX_DISJUNCTS = 64  # beyond this a condition is not analysed (no warning rather than a wrong one)


def static_checks(
    vocabulary: Vocabulary,
    catalogue: dict[str, Intervention],
    rules: dict[str, RuleSpec],
) -> list[Problem]:
    constants = vocabulary.constant_fields
    problems: list[Problem] = []
    problems += never_fires(rules)
    problems += recommend_and_exclude(rules)
    problems += conflicting_rules(rules, constants)
    problems += unreachable_interventions(vocabulary, catalogue, rules)
    problems += unknown_proposals(vocabulary, rules)
    return problems


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


@dataclass(frozen=True)
class Case:
    """One way a condition can hold: every person test, and every joined fact, at once."""

    tests: tuple[Test, ...]
    joins: tuple[Any, ...]  # the Join records, compared whole


def _dnf(expr: Expr | None) -> list[tuple[Test, ...]] | None:
    """The alternatives of ``expr``, each a conjunction of tests; None if there are too many."""
    if expr is None:
        return [()]
    if isinstance(expr, Test):
        return [(expr,)]
    if isinstance(expr, AnyOf):
        found: list[tuple[Test, ...]] = []
        for part in expr.parts:
            sub = _dnf(part)
            if sub is None or len(found) + len(sub) > MAX_DISJUNCTS:
                return None
            found += sub
        return found
    result: list[tuple[Test, ...]] = [()]
    for part in expr.parts:
        sub = _dnf(part)
        if sub is None or len(result) * len(sub) > MAX_DISJUNCTS:
            return None
        result = [a + b for a in result for b in sub]
    return result


def cases(condition: Condition, constants: dict[str, Any]) -> list[Case] | None:
    """The satisfiable cases of a rule's condition (empty: it can never hold; None: too complex).

    A test on a field whose value is the same for every assessment (``constants``, from the
    vocabulary) is settled here: it drops out if it holds and removes its case if not.
    """
    alternatives = _dnf(condition.person)
    if alternatives is None:
        return None
    found = []
    for tests in alternatives:
        fixed = [t for t in tests if t.field in constants]
        if all(_implied(t, [Test(t.field, "eq", constants[t.field])]) for t in fixed):
            rest = tuple(t for t in tests if t.field not in constants)
            if _satisfiable(rest):
                found.append(Case(rest, condition.joins))
    return found


def _by_field(tests: tuple[Test, ...]) -> dict[str, list[Test]]:
    grouped: dict[str, list[Test]] = defaultdict(list)
    for test in tests:
        grouped[test.field].append(test)
    return grouped


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _interval(tests: list[Test]) -> tuple[float, bool, float, bool]:
    """(low, low inclusive, high, high inclusive) that every numeric test on one field allows."""
    low, low_in, high, high_in = float("-inf"), False, float("inf"), False
    for t in tests:
        if not _number(t.value) or t.op not in ("eq", "lt", "lte", "gt", "gte"):
            continue
        v = float(t.value)
        if t.op in ("eq", "gt", "gte") and (v > low or (v == low and t.op == "gt")):
            low, low_in = v, t.op != "gt"
        if t.op in ("eq", "lt", "lte") and (v < high or (v == high and t.op == "lt")):
            high, high_in = v, t.op != "lt"
    return low, low_in, high, high_in


def _field_satisfiable(tests: list[Test]) -> bool:
    ops = {t.op for t in tests}
    equal = {_key(t.value) for t in tests if t.op == "eq"}
    unequal = {_key(t.value) for t in tests if t.op == "ne"}
    if len(equal) > 1 or equal & unequal:
        return False
    if "nex" in ops and ops & {"ex", "eq", "lt", "lte", "gt", "gte"}:
        return False
    low, low_in, high, high_in = _interval(tests)
    if low > high or (low == high and not (low_in and high_in)):
        return False
    return not (low == high and low_in and high_in and low in unequal)


def _key(value: Any) -> Any:
    return float(value) if _number(value) else value


def _satisfiable(tests: tuple[Test, ...]) -> bool:
    return all(_field_satisfiable(group) for group in _by_field(tests).values())


def _implied(wanted: Test, known: list[Test]) -> bool:
    """Whether every value satisfying all of ``known`` (tests on one field) satisfies ``wanted``."""
    if wanted in known:
        return True
    equal = [t.value for t in known if t.op == "eq"]
    ops = {t.op for t in known}
    if wanted.op == "ex":
        return bool(ops & {"eq", "ex", "lt", "lte", "gt", "gte"})
    if wanted.op == "eq":
        return any(_key(v) == _key(wanted.value) for v in equal)
    if wanted.op == "ne" and any(_key(v) != _key(wanted.value) for v in equal):
        return True
    if wanted.op in ("ne", "lt", "lte", "gt", "gte") and _number(wanted.value):
        low, low_in, high, high_in = _interval(known)
        v = float(wanted.value)
        return {
            "ne": low > v or high < v or (low == v and not low_in) or (high == v and not high_in),
            "lt": high < v or (high == v and not high_in),
            "lte": high <= v,
            "gt": low > v or (low == v and not low_in),
            "gte": low >= v,
        }[wanted.op]
    return False


def _case_implies(first: Case, second: Case) -> bool:
    """Whenever ``first`` holds, ``second`` holds too."""
    if not set(second.joins) <= set(first.joins):
        return False
    known = _by_field(first.tests)
    return all(_implied(t, known.get(t.field, [])) for t in second.tests)


def implies(first: list[Case], second: list[Case]) -> bool:
    """Every case of ``first`` is covered by some case of ``second``."""
    return bool(first) and all(any(_case_implies(a, b) for b in second) for a in first)


def overlap(first: list[Case], second: list[Case], shared: bool = False) -> bool:
    """Some assessment could satisfy both conditions (as far as the tests on the person show);
    with ``shared``, only counting cases that test at least one field in common."""
    return any(
        _satisfiable(a.tests + b.tests)
        and (not shared or bool({t.field for t in a.tests} & {t.field for t in b.tests}))
        for a in first
        for b in second
    )


def _targets(rules: dict[str, RuleSpec], kind: str) -> dict[str, set[str]]:
    """Intervention id → the rules with an outcome of ``kind`` naming it."""
    found: dict[str, set[str]] = defaultdict(set)
    for rule in rules.values():
        for outcome in rule.outcomes:
            if outcome.kind == kind:
                for target in outcome.targets:
                    found[target].add(rule.id)
    return found


def conflicting_rules(rules: dict[str, RuleSpec], constants: dict[str, Any]) -> list[Problem]:
    """Pairs of rules where one recommends and another excludes one intervention, and both can
    hold for the same person: no field is held to disjoint values by the two conditions.

    The exclusion always wins, so a recommendation is *shadowed* when the excluding rule holds
    whenever it does (its tests are implied by the recommending rule's); that is reported as such.
    Catalogue eligibility (``catalogue.*``) is the designed filter on recommendations, so an
    overlap with it is only reported when it shadows the recommendation completely.
    """
    recommended, excluded = _targets(rules, "recommend"), _targets(rules, "exclude")
    memo: dict[str, list[Case] | None] = {}

    def of(rule_id: str) -> list[Case] | None:
        if rule_id not in memo:
            memo[rule_id] = cases(rules[rule_id].condition, constants)
        return memo[rule_id]

    # a verdict depends only on the two conditions (many catalogue rules share one): judged once
    verdicts: dict[tuple[str, Condition, bool], str] = {}

    def verdict(rec_id: str, exc_id: str) -> str:
        exc_rule = rules[exc_id]
        key = (rec_id, exc_rule.condition, exc_id.startswith("catalogue."))
        if key not in verdicts:
            everyone = lambda: _always(exc_rule, constants)  # noqa: E731 - asked only on overlap
            verdicts[key] = _verdict(of(rec_id), of(exc_id), key[2], everyone)
        return verdicts[key]

    shadowed: dict[tuple[str, str], list[str]] = defaultdict(list)
    overlapping: dict[tuple[str, str], list[str]] = defaultdict(list)
    for target in sorted(set(recommended) & set(excluded)):
        for rec_id, exc_id in itertools.product(
            sorted(recommended[target]), sorted(excluded[target])
        ):
            found = "" if rec_id == exc_id else verdict(rec_id, exc_id)
            if found:
                (shadowed if found == "shadowed" else overlapping)[rec_id, exc_id].append(target)
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


def _always(rule: RuleSpec, constants: dict[str, Any]) -> bool:
    """The rule holds for every assessment (it joins no fact, and one case tests only constants)."""
    alternatives = cases(rule.condition, constants) or []
    return not rule.condition.joins and any(not case.tests for case in alternatives)


def _names(ids: list[str]) -> str:
    shown = ", ".join(repr(i) for i in ids[:4])
    return shown + (f" and {len(ids) - 4} more" if len(ids) > 4 else "")


def unreachable_interventions(
    vocabulary: Vocabulary, catalogue: dict[str, Intervention], rules: dict[str, RuleSpec]
) -> list[Problem]:
    """Interventions that can never be in a plan: excluded for everyone, or neither recommended
    by any rule that can fire nor addressing any need area (so not even chosen for a need)."""
    problems = []
    constants = vocabulary.constant_fields
    recommended = _targets(rules, "recommend")
    for intervention in catalogue.values():
        can_fire = [
            r
            for r in recommended.get(intervention.id, ())
            if cases(rules[r].condition, constants) != []
        ]
        if not can_fire and not set(intervention.needs) & set(vocabulary.need_areas):
            problems.append(
                Problem(
                    intervention.file,
                    intervention.line,
                    f"{intervention.id!r} can only reach a plan if a sentence mandates it: no rule recommends it and it addresses no need area",
                    severity="warning",
                )
            )
    for rule in rules.values():
        if not _always(rule, constants):
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
