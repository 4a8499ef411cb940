"""The cases of a condition by set arithmetic say what the cases one value at a time say, and
two rules with 64-value lists are compared in a few milliseconds, not by 64 × 64 pairs."""

from __future__ import annotations

import time
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from matcher.model.conditions import AllOf, AnyOf, Condition, Expr
from matcher.model.conditions import Test as FieldTest
from matcher.model.rules import Outcome, RuleSpec
from matcher.rulebook import cases as sets
from matcher.rulebook.cases import MAX_DISJUNCTS, Case
from matcher.rulebook.checks import conflicting_rules

# --- the reference: every value of a list an alternative of its own (the check before) -------


def _alternatives(expr: Expr | None) -> list[tuple[FieldTest, ...]] | None:
    if expr is None:
        return [()]
    if isinstance(expr, FieldTest):
        return [(expr,)]
    if isinstance(expr, AnyOf):
        found: list[tuple[FieldTest, ...]] = []
        for part in expr.parts:
            sub = _alternatives(part)
            if sub is None or len(found) + len(sub) > MAX_DISJUNCTS:
                return None
            found += sub
        return found
    result: list[tuple[FieldTest, ...]] = [()]
    for part in expr.parts:
        sub = _alternatives(part)
        if sub is None or len(result) * len(sub) > MAX_DISJUNCTS:
            return None
        result = [a + b for a in result for b in sub]
    return result


def reference_cases(condition: Condition, constants: dict[str, Any]) -> list[Case] | None:
    alternatives = _alternatives(condition.person)
    if alternatives is None:
        return None
    found = []
    for tests in alternatives:
        fixed = [t for t in tests if t.field in constants]
        if all(sets._implied(t, [FieldTest(t.field, "eq", constants[t.field])]) for t in fixed):
            rest = tuple(t for t in tests if t.field not in constants)
            if sets._satisfiable(rest):
                found.append(Case(rest, condition.joins))
    return found


def reference_implies(first: list[Case], second: list[Case]) -> bool:
    return bool(first) and all(any(sets._case_implies(a, b) for b in second) for a in first)


def reference_overlap(first: list[Case], second: list[Case], shared: bool) -> bool:
    return any(
        sets._satisfiable(a.tests + b.tests)
        and (not shared or bool({t.field for t in a.tests} & {t.field for t in b.tests}))
        for a in first
        for b in second
    )


# --- conditions drawn over two number fields, one code field and one constant field ----------

NUMBERS = st.sampled_from([0, 1, 2, 3, 2.0, 5])
CODES = st.sampled_from(["a", "b", "c", True])
CONSTANTS = {"k": "a"}


def _test(field: str, values: st.SearchStrategy[Any], ops: list[str]) -> st.SearchStrategy[Expr]:
    single = st.builds(FieldTest, st.just(field), st.sampled_from(ops), values)
    listed = st.lists(values, min_size=2, max_size=6).map(
        lambda vs: AnyOf(tuple(FieldTest(field, "eq", v) for v in vs))
    )
    presence = st.builds(FieldTest, st.just(field), st.sampled_from(["ex", "nex"]))
    return st.one_of(single, listed, presence)


LEAVES = st.one_of(
    _test("x", NUMBERS, ["eq", "ne", "lt", "lte", "gt", "gte"]),
    _test("y", NUMBERS, ["eq", "ne", "lt", "gte"]),
    _test("c", CODES, ["eq", "ne"]),
    _test("k", CODES, ["eq", "ne"]),
)
EXPRS = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda ps: AllOf(tuple(ps))),
        st.lists(inner, min_size=1, max_size=3).map(lambda ps: AnyOf(tuple(ps))),
    ),
    max_leaves=8,
)


@given(EXPRS, EXPRS)
def test_cases_by_set_arithmetic_agree_with_cases_one_value_at_a_time(
    one: Expr, other: Expr
) -> None:
    first, second = Condition(one, ()), Condition(other, ())
    new = [sets.cases(c, CONSTANTS) for c in (first, second)]
    old = [reference_cases(c, CONSTANTS) for c in (first, second)]
    assert [n is None for n in new] == [o is None for o in old]
    if new[0] is None or new[1] is None or old[0] is None or old[1] is None:
        return
    assert [bool(n) for n in new] == [bool(o) for o in old]
    assert [any(not c.tests for c in n) for n in new] == [any(not c.tests for c in o) for o in old]
    assert sets.implies(new[0], new[1]) == reference_implies(old[0], old[1])
    for shared in (False, True):
        assert sets.overlap(new[0], new[1], shared) == reference_overlap(old[0], old[1], shared)


def test_a_list_of_values_is_one_case_counted_as_many() -> None:
    listed = AnyOf(tuple(FieldTest("ogrs", "eq", v) for v in range(MAX_DISJUNCTS)))
    found = sets.cases(Condition(listed, ()), {})
    assert found == [Case((FieldTest("ogrs", "in", frozenset(map(float, range(64)))),), ())]
    too_many = AllOf((listed, AnyOf((FieldTest("ovp", "eq", 1), FieldTest("ovp", "eq", 2)))))
    assert sets.cases(Condition(too_many, ()), {}) is None  # 128 alternatives: not analysed


def _rule(rule_id: str, kind: str, values: range) -> RuleSpec:
    condition = Condition(AnyOf(tuple(FieldTest("ogrs", "eq", v) for v in values)), ())
    outcome = Outcome(kind=kind, targets=("motivational_toolkit", "attitudes_one_to_one"))
    return RuleSpec(rule_id, "d", "s", 3, "rules/rulesets/90_x.yaml", 1, condition, (outcome,))


def test_ten_rules_recommending_and_ten_excluding_with_64_value_lists_are_checked_fast() -> None:
    rules = {
        r.id: r
        for i in range(10)
        for r in (
            _rule(f"rec{i}", "recommend", range(i, i + 64)),
            _rule(f"exc{i}", "exclude", range(i + 63, i + 127)),
        )
    }
    start = time.perf_counter()
    found = conflicting_rules(rules, {})
    took = time.perf_counter() - start
    assert len(found) == 55  # rec i and exc j share a value when j <= i; none is shadowed
    assert all("under overlapping conditions" in p.message for p in found)
    assert took < 1.0, f"{took:.2f} s for 100 pairs of 64-value lists"
