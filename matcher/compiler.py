"""RuleSpecs → durable_rules JSON definitions (plain dicts), one ruleset per stage.

Also checks the limits durable_rules enforces badly or not at all (durable_rules.md), so that a
policy officer hears about them from ``matcher check`` with a file and line, not from a hung engine.
"""

from __future__ import annotations

import copy
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from matcher.conditions import Condition, Test, fact_pattern
from matcher.errors import Problem
from matcher.facts import DERIVED, NEED, PERSON
from matcher.rules import RuleSpec

CATCH_ALL = "zz_catch_all"
CATCH_ALL_RULE: dict[str, Any] = {
    "pri": 1000,
    "all": [{"m": {"$ex": {"t": 1}}}],
}  # every fact has t
MAX_RULES_PER_RULESET = 4096  # error 106
MAX_RULES_SHARING_CONDITION = 256  # error 108
MAX_TESTS_PER_NODE = 512  # beyond this create_ruleset spins forever
MAX_FACT_FIELDS = 240  # engine limit ~253 top-level fields, minus room for t, id, sid


@dataclass(frozen=True)
class CompiledStage:
    stage: int
    definition: dict[str, dict[str, Any]]  # rule id → {"all": [...]} (no "run": the engine adds it)


def condition_patterns(condition: Condition) -> list[dict[str, Any]]:
    """The ``all`` list of one rule: the person fact first, then each joined fact."""
    patterns = [{"p": fact_pattern(PERSON, condition.person)}]
    for index, join in enumerate(condition.joins):
        alias = ("n" if join.fact_type == NEED else "d") + str(index)
        patterns.append(
            {alias: fact_pattern(NEED if join.fact_type == NEED else DERIVED, join.expr)}
        )
    return patterns


def compile_stages(rules: list[RuleSpec]) -> list[CompiledStage]:
    """One durable_rules definition per stage, rules in id order, plus the catch-all rule.

    The catch-all matches every fact, so a batch never holds a fact that matches no rule (a batch
    with such a fact skips its actions and makes the next delete_state segfault).
    """
    by_stage: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
    for rule in sorted(rules, key=lambda r: r.id):
        by_stage[rule.stage][rule.id] = {"all": condition_patterns(rule.condition)}
    stages = []
    for stage in sorted(by_stage):
        definition = by_stage[stage]
        definition[CATCH_ALL] = copy.deepcopy(CATCH_ALL_RULE)
        stages.append(CompiledStage(stage, definition))
    return stages


def chained_names(rules: list[RuleSpec]) -> dict[int, set[str] | None]:
    """Per stage, the derived names some rule joins on (None: a join on any derived fact).

    Only these need asserting as facts; every other derived value is read from the rules that
    fired, which saves the engine an assertion and an action per derivation.
    """
    joined: dict[int, set[str] | None] = defaultdict(set)
    for rule in rules:
        for join in rule.condition.joins:
            if join.fact_type != DERIVED:
                continue
            names = [t.value for t in _tests(join.expr) if t.field == "name" and t.op == "eq"]
            current = joined[rule.stage]
            if not names or current is None:
                joined[rule.stage] = None
            else:
                current.update(str(n) for n in names)
    return dict(joined)


def stages_joining_needs(rules: list[RuleSpec]) -> set[int]:
    """The stages with a rule that joins a need fact; need facts are asserted only there."""
    return {r.stage for r in rules if any(j.fact_type == NEED for j in r.condition.joins)}


def _tests(expr: Any) -> list[Test]:
    found: list[Test] = []
    if isinstance(expr, Test):
        found.append(expr)
    elif expr is not None:
        for part in expr.parts:
            found += _tests(part)
    return found


def check_limits(rules: list[RuleSpec], person_field_count: int) -> list[Problem]:
    """Every durable_rules limit, reported by name before the engine sees the rules."""
    problems: list[Problem] = []
    by_stage: dict[int, list[RuleSpec]] = defaultdict(list)
    for rule in rules:
        by_stage[rule.stage].append(rule)
    for stage, members in sorted(by_stage.items()):
        first = min(members, key=lambda r: (r.file, r.line))
        if len(members) + 1 > MAX_RULES_PER_RULESET:
            problems.append(
                Problem(
                    first.file,
                    first.line,
                    f"stage {stage} has {len(members)} rules; durable_rules allows at most {MAX_RULES_PER_RULESET - 1} per ruleset (error 106): move rules to another stage",
                )
            )
        shared = Counter(
            json.dumps(condition_patterns(r.condition), sort_keys=True) for r in members
        )
        for pattern, count in shared.items():
            if count > MAX_RULES_SHARING_CONDITION:
                rule = next(
                    r
                    for r in members
                    if json.dumps(condition_patterns(r.condition), sort_keys=True) == pattern
                )
                problems.append(
                    Problem(
                        rule.file,
                        rule.line,
                        f"{count} rules in stage {stage} share the condition of {rule.id!r}; durable_rules allows at most {MAX_RULES_SHARING_CONDITION} (error 108): merge them",
                    )
                )
        problems += _node_limits(stage, members)
    if person_field_count > MAX_FACT_FIELDS:
        problems.append(
            Problem(
                "rules/vocabulary.yaml",
                1,
                f"the person fact would have {person_field_count} fields; durable_rules allows about 253 (error 302): shorten the vocabulary",
            )
        )
    return problems


def _node_limits(stage: int, members: list[RuleSpec]) -> list[Problem]:
    """durable_rules hangs compiling more than 512 distinct tests under one node. Every test on one
    fact type can end up under that type's node, so we count per fact type: a safe bound."""
    tests: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    crossed: dict[str, RuleSpec] = {}
    for rule in members:
        for fact_type, fact_tests in rule.condition.tests_by_fact():
            for test in fact_tests:
                tests[fact_type].add((test.field, test.op, json.dumps(test.value)))
                if len(tests[fact_type]) > MAX_TESTS_PER_NODE:  # point at the rule that crossed it
                    crossed.setdefault(fact_type, rule)
    problems = []
    for fact_type, rule in crossed.items():
        per_field = Counter(field for field, _, _ in tests[fact_type])
        field_name, count = per_field.most_common(1)[0]
        problems.append(
            Problem(
                rule.file,
                rule.line,
                f"stage {stage} has {len(tests[fact_type])} different tests on the {fact_type} fact (field {field_name!r} {count} different ways); above {MAX_TESTS_PER_NODE} durable_rules hangs while compiling: split the rules across stages or use bands",
            )
        )
    return problems


def describe(test: Test) -> str:
    return f"{test.field} {test.op} {test.value!r}"
