"""RuleSpecs → durable_rules JSON definitions (plain dicts), one ruleset per stage."""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict, defaultdict
from typing import Any

from matcher.durable.cells import (
    CELL_PREFIX,
    code_atoms,
    joint_cells,
    number_cells,
    presence_cells,
    single_field,
)
from matcher.model.conditions import AllOf, Condition, Expr, Test
from matcher.model.engine import DERIVED, HISTORY, KEPT, NEED, PERSON, CompiledStage
from matcher.model.rules import RuleSpec


def condition_patterns(condition: Condition) -> list[dict[str, Any]]:
    """The ``all`` list of one rule: the person fact first, then each joined fact."""
    patterns = [{"p": fact_pattern(PERSON, condition.person)}]
    for index, join in enumerate(condition.joins):
        fact_type = join.fact_type if join.fact_type in (NEED, HISTORY) else DERIVED
        patterns.append({f"{fact_type[0]}{index}": fact_pattern(fact_type, join.expr)})
    return patterns


def compile_stages(rules: list[RuleSpec]) -> list[CompiledStage]:
    """One durable_rules definition per stage, with as few engine rules as fire the same.

    Rules with the same condition (every men-only programme's "not a man", say) share one engine
    rule, which fires once and stands for all of them (``CompiledStage.members``); and rules that
    only exclude and test one person field are compiled per value of that field (``cells``), so
    the field fires at most once. Each firing costs durable_rules a JSON round trip, and more
    than 256 rules with one condition do not load (error 108). An engine rule is named after its
    first rule id, a cell after its field. There is no catch-all rule: the engine asserts facts
    one at a time (``durable.engine``), so a fact that matches no rule is harmless.
    """
    by_stage: dict[int, list[RuleSpec]] = defaultdict(list)
    for rule in sorted(rules, key=lambda r: r.id):
        by_stage[rule.stage].append(rule)
    stages = []
    for stage, members in sorted(by_stage.items()):
        engine_rules = engine_rules_of(members)
        definition = {name: {"all": patterns} for name, (patterns, _) in engine_rules.items()}
        grouped = {name: ids for name, (_, ids) in engine_rules.items() if ids != (name,)}
        stages.append(CompiledStage(stage, definition, grouped, tested_fields(members)))
    return stages


def engine_rules_of(
    rules: list[RuleSpec],
) -> dict[str, tuple[list[dict[str, Any]], tuple[str, ...]]]:
    """One stage's engine rules, by name: (their ``all`` patterns, the rule ids they stand for)."""
    split, rest = cells_of(rules)
    found: dict[str, tuple[list[dict[str, Any]], tuple[str, ...]]] = {
        name: ([{"p": fact_pattern(PERSON, expr)}], ids) for name, expr, ids in split
    }
    same: dict[str, tuple[list[dict[str, Any]], list[str]]] = {}
    for rule in sorted(rest, key=lambda r: r.id):
        patterns = condition_patterns(rule.condition)
        key = json.dumps(patterns, sort_keys=True)
        same.setdefault(key, (patterns, []))[1].append(rule.id)
    for patterns, members in same.values():
        found[members[0]] = (patterns, tuple(members))
    return dict(sorted(found.items()))


def _excluding_on_one_field(rule: RuleSpec) -> tuple[str, str] | None:
    """The person field (and its kind) of a rule that only excludes and tests one person field;
    such rules commute (findings sort exclusions by rule id), so they may fire as cells."""
    if rule.condition.joins or rule.condition.person is None:
        return None
    if not rule.outcomes or any(o.kind != "exclude" for o in rule.outcomes):
        return None
    return single_field(rule.condition.person)


Cells = tuple[list[tuple[str, Expr, tuple[str, ...]]], list[RuleSpec]]
# the last stages' cells, by the identity of their rules: the limits check and the compiler ask
# for the same stage's cells in turn (three times a load; ~2 s each with catalogue ×100)
_recent: OrderedDict[tuple[int, ...], tuple[tuple[RuleSpec, ...], Cells]] = OrderedDict()
_RECENT = 8
_recent_lock = threading.Lock()


def cells_of(rules: list[RuleSpec]) -> Cells:
    """The cells of a stage's one-field exclusion rules (name, condition, rule ids), and the
    rules left to compile one engine rule per distinct condition (worked out once for the same
    rule objects; callers get their own lists)."""
    key = tuple(id(rule) for rule in rules)
    with _recent_lock:
        kept = _recent.get(key)
        if kept is not None and all(a is b for a, b in zip(kept[0], rules, strict=True)):
            _recent.move_to_end(key)
            return list(kept[1][0]), list(kept[1][1])
    found = _cells_of(rules)
    with _recent_lock:
        _recent[key] = (tuple(rules), found)
        while len(_recent) > _RECENT:
            _recent.popitem(last=False)
    return list(found[0]), list(found[1])


def _cells_of(rules: list[RuleSpec]) -> Cells:
    by_field: dict[tuple[str, str], list[RuleSpec]] = defaultdict(list)
    rest: list[RuleSpec] = []
    for rule in rules:
        field = _excluding_on_one_field(rule)
        if field is None:
            rest.append(rule)
        else:
            by_field[field].append(rule)
    found = []
    present = [(name, r) for (name, kind), g in by_field.items() if kind == "presence" for r in g]
    if len({name for name, _ in present}) > 1:  # one field alone is one condition already
        split = presence_cells(
            [(name, (r.id, r.condition.person)) for name, r in present if r.condition.person]
        )
        found += [(f"{CELL_PREFIX}presence.{n}", expr, ids) for n, (expr, ids) in enumerate(split)]
    else:
        rest += [r for _, r in present]
    found += _joint_code_cells(
        {name: g for (name, kind), g in by_field.items() if kind == "codes"}, rest
    )
    for (name, kind), group in sorted(by_field.items()):
        if kind != "numbers":
            continue
        person = [(r.id, r.condition.person) for r in group if r.condition.person is not None]
        split = number_cells(name, person) if _conditions(group) > 1 else []
        if not split:
            rest += group
        for number, (expr, ids) in enumerate(split):
            found.append((f"{CELL_PREFIX}{name}.{number}", expr, ids))
    return found, rest


# Code fields are compiled together while the combinations of their pieces stay this few.
MOST_JOINT = 64


def _joint_code_cells(
    by_field: dict[str, list[RuleSpec]], rest: list[RuleSpec]
) -> list[tuple[str, Expr, tuple[str, ...]]]:
    """Rules on code fields, compiled a few fields at a time: a person's values fall in one
    combination of the fields' pieces, so each chunk of fields fires once (``rest`` takes the
    rules of a field with too many codes)."""
    atoms: list[tuple[str, list[tuple[Expr, tuple[str, ...]]]]] = []
    for name, group in sorted(by_field.items()):
        found = code_atoms(name, [(r.id, r.condition.person) for r in group if r.condition.person])
        if found is None:
            rest += group
        else:
            atoms.append((name, found))
    chunks: list[list[list[tuple[Expr, tuple[str, ...]]]]] = []
    for _, pieces in atoms:
        if chunks and math.prod(len(p) for p in chunks[-1]) * len(pieces) <= MOST_JOINT:
            chunks[-1].append(pieces)
        else:
            chunks.append([pieces])
    cells_found = []
    for number, chunk in enumerate(chunks):
        joint = joint_cells(chunk) if len(chunk) > 1 else [p for p in chunk[0] if p[1]]
        cells_found += [
            (f"{CELL_PREFIX}codes.{number}.{n}", e, ids) for n, (e, ids) in enumerate(joint)
        ]
    return cells_found


def _conditions(rules: list[RuleSpec]) -> int:
    return len({json.dumps(condition_patterns(r.condition), sort_keys=True) for r in rules})


def tested_fields(rules: list[RuleSpec]) -> frozenset[str]:
    """Every field some rule tests, on any fact, and the fields each fact keeps (``KEPT``)."""
    return frozenset(KEPT).union(t.field for r in rules for t in r.condition.tests())


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
