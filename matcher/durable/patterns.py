"""RuleSpecs → durable_rules JSON definitions (plain dicts), one ruleset per stage."""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from typing import Any

from matcher.model.conditions import AllOf, Condition, Expr, Test
from matcher.model.engine import DERIVED, HISTORY, NEED, PERSON, CompiledStage
from matcher.model.rules import RuleSpec

CATCH_ALL = "zz_catch_all"


CATCH_ALL_RULE: dict[str, Any] = {
    "pri": 1000,
    "all": [{"m": {"$ex": {"t": 1}}}],
}  # every fact has t


def condition_patterns(condition: Condition) -> list[dict[str, Any]]:
    """The ``all`` list of one rule: the person fact first, then each joined fact."""
    patterns = [{"p": fact_pattern(PERSON, condition.person)}]
    for index, join in enumerate(condition.joins):
        fact_type = join.fact_type if join.fact_type in (NEED, HISTORY) else DERIVED
        patterns.append({f"{fact_type[0]}{index}": fact_pattern(fact_type, join.expr)})
    return patterns


def compile_stages(rules: list[RuleSpec]) -> list[CompiledStage]:
    """One durable_rules definition per stage: one engine rule per distinct condition, plus the
    catch-all rule.

    Rules with the same condition (every men-only programme's "not a man", say) share one engine
    rule, which fires once and stands for all of them (``CompiledStage.members``): each firing
    costs durable_rules a JSON round trip, and more than 256 rules with one condition do not load
    (error 108). An engine rule is named after its first rule id. The catch-all matches every
    fact, so a batch never holds a fact that matches no rule (a batch with such a fact skips its
    actions and makes the next delete_state segfault).
    """
    grouped: dict[int, dict[str, tuple[list[dict[str, Any]], list[str]]]] = defaultdict(dict)
    for rule in sorted(rules, key=lambda r: r.id):
        patterns = condition_patterns(rule.condition)
        key = json.dumps(patterns, sort_keys=True)
        grouped[rule.stage].setdefault(key, (patterns, []))[1].append(rule.id)
    stages = []
    for stage in sorted(grouped):
        definition: dict[str, dict[str, Any]] = {}
        members: dict[str, tuple[str, ...]] = {}
        for patterns, ids in grouped[stage].values():
            definition[ids[0]] = {"all": patterns}
            if len(ids) > 1:
                members[ids[0]] = tuple(ids)
        definition = dict(sorted(definition.items()))
        definition[CATCH_ALL] = copy.deepcopy(CATCH_ALL_RULE)
        stages.append(CompiledStage(stage, definition, members))
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


def stages_joining(rules: list[RuleSpec], fact_type: str) -> set[int]:
    """The stages with a rule that joins a fact of ``fact_type``: such facts are asserted only
    there (a fact no rule joins would only cost the engine an assertion)."""
    return {r.stage for r in rules if any(j.fact_type == fact_type for j in r.condition.joins)}


def _tests(expr: Any) -> list[Test]:
    found: list[Test] = []
    if isinstance(expr, Test):
        found.append(expr)
    elif expr is not None:
        for part in expr.parts:
            found += _tests(part)
    return found


_DURABLE_OP = {
    "ne": "$neq",
    "lt": "$lt",
    "lte": "$lte",
    "gt": "$gt",
    "gte": "$gte",
    "ex": "$ex",
    "nex": "$nex",
}


def to_durable(expr: Expr) -> dict[str, Any]:
    """One expression in durable_rules JSON. One-of lists become ``$or`` (there is no ``$in``).

    >>> from matcher.model.conditions import AnyOf
    >>> to_durable(AnyOf((Test("band", "eq", "high"), Test("ovp", "gte", 60))))
    {'$or': [{'band': 'high'}, {'$gte': {'ovp': 60}}]}
    """
    if isinstance(expr, Test):
        if expr.op == "eq":
            return {expr.field: expr.value}
        value = 1 if expr.op in ("ex", "nex") else expr.value
        return {_DURABLE_OP[expr.op]: {expr.field: value}}
    parts = [to_durable(p) for p in expr.parts]
    if len(parts) == 1:
        return parts[0]
    return {"$and" if isinstance(expr, AllOf) else "$or": parts}


def fact_pattern(fact_type: str, expr: Expr | None, extra: tuple[Test, ...] = ()) -> dict[str, Any]:
    """The durable_rules pattern for one fact: its type tag, then its tests."""
    parts: list[Expr] = [Test("t", "eq", fact_type), *extra]
    if expr is not None and not (isinstance(expr, AllOf) and not expr.parts):
        parts.append(expr)
    return to_durable(AllOf(tuple(parts)))
