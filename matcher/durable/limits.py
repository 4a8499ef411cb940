"""The limits durable_rules enforces badly or not at all (durable_rules.md), checked with file:line."""

from __future__ import annotations

import json
from collections import Counter, defaultdict

from matcher.durable.cells import leaves
from matcher.durable.patterns import cells_of, engine_rules_of
from matcher.model.errors import Problem
from matcher.model.rules import RuleSpec

MAX_RULES_PER_RULESET = 4096  # error 106


MAX_RULES_SHARING_CONDITION = 256  # error 108


MAX_TESTS_PER_NODE = 512  # beyond this create_ruleset spins forever


MAX_FACT_FIELDS = 240  # engine limit ~253 top-level fields, minus room for t, id, sid


def check_limits(rules: list[RuleSpec], person_field_count: int) -> list[Problem]:
    """Every durable_rules limit, reported by name before the engine sees the rules."""
    problems: list[Problem] = []
    by_stage: dict[int, list[RuleSpec]] = defaultdict(list)
    for rule in rules:
        by_stage[rule.stage].append(rule)
    for stage, members in sorted(by_stage.items()):
        first = min(members, key=lambda r: (r.file, r.line))
        # what the engine is given: rules with one condition share one engine rule, and rules
        # on one field compile per value (patterns.compile_stages), so neither the rules' count
        # nor error 108 (more than 256 rules with one condition) applies to them
        engine_rules = len(engine_rules_of(members))
        if engine_rules + 1 > MAX_RULES_PER_RULESET:  # the engine adds its session rule
            problems.append(
                Problem(
                    first.file,
                    first.line,
                    f"stage {stage} has {engine_rules} rules; durable_rules allows at most {MAX_RULES_PER_RULESET - 1} per ruleset (error 106): move rules to another stage",
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
    by_id = {rule.id: rule for rule in members}
    # the rules' own tests, and those of the cells they compile into (patterns.cells_of)
    found = [(r, r.condition.tests_by_fact()) for r in members]
    found += [(by_id[ids[0]], [("person", leaves(expr))]) for _, expr, ids in cells_of(members)[0]]
    for rule, by_fact in found:
        for fact_type, fact_tests in by_fact:
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
