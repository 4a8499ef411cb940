"""The cases of a rule's condition and what one case says of another, by set and interval arithmetic.

A condition is read as its alternatives (disjunctive normal form), each a conjunction of tests.
A list of values (``ogrs: [1, 2, 3]``, an any-of of equalities on one field) stays one test,
``in`` a set of values, instead of one alternative per value: two rules with 64-value lists are
compared by intersecting two sets, not by 64 × 64 pairs of alternatives. The answers are the ones
the alternatives one by one would give (tests/unit/test_cases.py compares the two).
"""

from __future__ import annotations

import functools
import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from matcher.model.conditions import AnyOf, Condition, Expr, Test

MAX_DISJUNCTS = 64  # beyond this a condition is not analysed (no warning rather than a wrong one)
_VALUE_OPS = frozenset({"ex", "eq", "in", "lt", "lte", "gt", "gte"})


@dataclass(frozen=True)
class Case:
    """One way a condition can hold: every person test, and every joined fact, at once. A test
    ``in`` stands for one case per value of its set (``Test(field, "in", frozenset(values))``)."""

    tests: tuple[Test, ...]
    joins: tuple[Any, ...]  # the Join records, compared whole


_Alternative = tuple[tuple[Test, ...], int]  # the tests, and how many alternatives they stand for


def _one_of(expr: AnyOf) -> Test | None:
    """An any-of of equalities on one field (a list of values) as one ``in`` test, else None."""
    parts = expr.parts
    if len(parts) < 2 or not all(isinstance(p, Test) and p.op == "eq" for p in parts):
        return None
    tests = [p for p in parts if isinstance(p, Test)]
    if len({t.field for t in tests}) != 1:
        return None
    return Test(tests[0].field, "in", frozenset(_key(t.value) for t in tests))


def _dnf(expr: Expr | None) -> list[_Alternative] | None:
    """The alternatives of ``expr``, each a conjunction of tests; None if there are too many
    (counted as if every value of a list were an alternative of its own)."""
    if expr is None:
        return [((), 1)]
    if isinstance(expr, Test):
        return [((expr,), 1)]
    if isinstance(expr, AnyOf):
        listed = _one_of(expr)
        if listed is not None:
            return [((listed,), len(expr.parts))] if len(expr.parts) <= MAX_DISJUNCTS else None
        found: list[_Alternative] = []
        for part in expr.parts:
            sub = _dnf(part)
            if sub is None or _weight(found) + _weight(sub) > MAX_DISJUNCTS:
                return None
            found += sub
        return found
    result: list[_Alternative] = [((), 1)]
    for part in expr.parts:
        sub = _dnf(part)
        if sub is None or _weight(result) * _weight(sub) > MAX_DISJUNCTS:
            return None
        result = [(a + b, m * n) for a, m in result for b, n in sub]
    return result


def _weight(alternatives: list[_Alternative]) -> int:
    return sum(n for _, n in alternatives)


def cases(condition: Condition, constants: dict[str, Any]) -> list[Case] | None:
    """The satisfiable cases of a rule's condition (empty: it can never hold; None: too complex).

    A test on a field whose value is the same for every assessment (``constants``, from the
    vocabulary) is settled here: it drops out if it holds and removes its case if not.
    """
    alternatives = _dnf(condition.person)
    if alternatives is None:
        return None
    found = []
    for tests, _ in alternatives:
        fixed = [t for t in tests if t.field in constants]
        if all(_implied(t, [Test(t.field, "eq", constants[t.field])]) for t in fixed):
            rest = tuple(t for t in tests if t.field not in constants)
            if _satisfiable(rest):
                found.append(Case(rest, condition.joins))
    return found


def _by_field(tests: Iterable[Test]) -> dict[str, list[Test]]:
    grouped: dict[str, list[Test]] = defaultdict(list)
    for test in tests:
        grouped[test.field].append(test)
    return grouped


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _key(value: Any) -> Any:
    return float(value) if _number(value) else value


_Interval = tuple[float, bool, float, bool]  # low, low inclusive, high, high inclusive


def _interval(tests: Iterable[Test]) -> _Interval:
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


def _interval_allows(interval: _Interval, unequal: set[Any]) -> bool:
    low, low_in, high, high_in = interval
    if low > high or (low == high and not (low_in and high_in)):
        return False
    return not (low == high and low_in and high_in and low in unequal)


def _field_satisfiable(tests: list[Test]) -> bool:
    """Some one value of the field passes every test (each ``in`` test: one of its values)."""
    ops = {t.op for t in tests}
    equal = {_key(t.value) for t in tests if t.op == "eq"}
    unequal = {_key(t.value) for t in tests if t.op == "ne"}
    if len(equal) > 1 or equal & unequal:
        return False
    if "nex" in ops and ops & _VALUE_OPS:
        return False
    interval = _interval(tests)
    sets = [t.value for t in tests if t.op == "in"]
    if not sets:
        return _interval_allows(interval, unequal)
    candidates = frozenset.intersection(*sets) - unequal
    if equal:
        candidates &= equal
    return any(_with_value(interval, unequal, c) for c in candidates)


def _with_value(interval: _Interval, unequal: set[Any], value: Any) -> bool:
    """The field's interval still allows a value once it is held to ``value`` (an ``in`` choice)."""
    if not _number(value):
        return _interval_allows(interval, unequal)
    low, low_in, high, high_in = interval
    if value > low:
        low, low_in = value, True
    if value < high:
        high, high_in = value, True
    return _interval_allows((low, low_in, high, high_in), unequal)


def _satisfiable(tests: tuple[Test, ...]) -> bool:
    return all(_field_satisfiable(group) for group in _by_field(tests).values())


def _implied(wanted: Test, known: list[Test]) -> bool:
    """Whether every value satisfying all of ``known`` (tests on one field, none ``in``)
    satisfies ``wanted``."""
    if wanted in known:
        return True
    equal = [t.value for t in known if t.op == "eq"]
    ops = {t.op for t in known}
    if wanted.op == "ex":
        return bool(ops & {"eq", "ex", "lt", "lte", "gt", "gte"})
    if wanted.op == "eq":
        return any(_key(v) == _key(wanted.value) for v in equal)
    if wanted.op == "in":
        return any(_key(v) in wanted.value for v in equal)
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


@functools.lru_cache(maxsize=4096)
def _one_by_one(found: tuple[Case, ...]) -> tuple[Case, ...]:
    """Each case with its ``in`` tests taken one value at a time (at most MAX_DISJUNCTS each);
    remembered, as one rule's cases are compared with many others'."""
    return tuple(_each_value(found))


def _each_value(found: tuple[Case, ...]) -> Iterator[Case]:
    for case in found:
        listed = [t for t in case.tests if t.op == "in"]
        if not listed:
            yield case
            continue
        rest = tuple(t for t in case.tests if t.op != "in")
        for values in itertools.product(*(sorted(t.value, key=repr) for t in listed)):
            tests = rest + tuple(
                Test(t.field, "eq", v) for t, v in zip(listed, values, strict=True)
            )
            if _satisfiable(tests):
                yield Case(tests, case.joins)


def _case_implies(first: Case, second: Case) -> bool:
    """Whenever ``first`` (no ``in`` tests) holds, ``second`` holds too."""
    if not set(second.joins) <= set(first.joins):
        return False
    known = _by_field(first.tests)
    return all(_implied(t, known.get(t.field, [])) for t in second.tests)


def implies(first: list[Case], second: list[Case]) -> bool:
    """Every case of ``first`` is covered by some case of ``second``: each value of a list in
    ``first`` on its own, each list in ``second`` by set membership."""
    return bool(first) and all(
        any(_case_implies(a, b) for b in second) for a in _one_by_one(tuple(first))
    )


def overlap(first: list[Case], second: list[Case], shared: bool = False) -> bool:
    """Some assessment could satisfy both conditions (as far as the tests on the person show);
    with ``shared``, only counting cases that test at least one field in common."""
    return any(
        _satisfiable(a.tests + b.tests)
        and (not shared or bool({t.field for t in a.tests} & {t.field for t in b.tests}))
        for a in first
        for b in second
    )
