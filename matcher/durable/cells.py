"""Rules that test one field of the person, compiled per value of that field rather than per rule.

Every catalogue entry's eligibility becomes its own exclusion rules ("not in the North East",
"SARA not medium or high", "over 65"), so a person used to fire one rule per intervention that
did not fit, and each firing costs durable_rules a JSON round trip. Rules that only exclude and
test one person field are instead compiled into *cells*: the field's values are split at every
value the rules test (each code they name, each number they compare with), and each cell becomes
one engine rule standing for every rule that holds there. A person's value lies in one cell, so
the field fires at most once, and reports every rule that holds, each under its own id and text.

Exact by construction: whether such a rule holds depends only on which cell the value lies in,
and a rule is listed in a cell when it holds at a value of that cell. This assumes a field holds
values of the kind its rules compare with: codes (strings) for codes, numbers for numbers, as
the rule language and the fact builder ensure (ordering comparisons are refused on code fields,
and number fields are written from validated numbers). durable_rules compares a string with a
number as text, which no cell reproduces, so a number field must never hold a string. A field the person lacks
fires nothing, as before: durable_rules' comparisons are false on a missing field, and negations
are pushed down to the tests (``conditions.negate``), so no rule of this shape holds there either.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from matcher.model.conditions import AllOf, AnyOf, Expr, Test

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda x, v: x == v,
    "ne": lambda x, v: x != v,
    "lt": lambda x, v: x < v,
    "lte": lambda x, v: x <= v,
    "gt": lambda x, v: x > v,
    "gte": lambda x, v: x >= v,
}

# The "none of these codes" cell tests each code; past this many, the field is left as rules.
MOST_CODES = 64

CELL_PREFIX = "~"  # engine rule names of cells; never a rule id (ids are words and dots)


class _Other:
    """A code none of the rules name."""

    def __eq__(self, other: object) -> bool:
        return other is self

    def __hash__(self) -> int:
        return 0


_OTHER = _Other()


# A rule as cells see it: its id, and its condition on the person fact.
Rule = tuple[str, Expr]


def single_field(expr: Expr) -> tuple[str, str] | None:
    """The one field a condition tests and how (``codes``, ``numbers`` or ``presence``), if it
    tests one field with comparisons only (codes compared for equality, or finite numbers) or
    only whether it is there (a flag, a code the person has); else None."""
    tests = leaves(expr)
    fields = {t.field for t in tests}
    if len(fields) == 1 and all(t.op in ("ex", "nex") for t in tests):
        return fields.pop(), "presence"
    if len(fields) != 1 or any(t.op not in _OPS for t in tests):
        return None
    if all(isinstance(t.value, str) and t.op in ("eq", "ne") for t in tests):
        return fields.pop(), "codes"
    numbers = all(
        isinstance(t.value, int | float)
        and not isinstance(t.value, bool)
        and math.isfinite(t.value)
        for t in tests
    )
    return (fields.pop(), "numbers") if numbers else None


def number_cells(field: str, rules: list[Rule]) -> list[tuple[Expr, tuple[str, ...]]]:
    """The cells of a number field in which some of ``rules`` hold: (condition, their ids)."""
    return _number_cells(field, sorted({t.value for _, e in rules for t in leaves(e)}), rules)


def leaves(expr: Expr) -> list[Test]:
    """Every test of a condition."""
    return [expr] if isinstance(expr, Test) else [t for p in expr.parts for t in leaves(p)]


def _holding(rules: list[Rule], x: Any) -> tuple[str, ...]:
    return tuple(rule_id for rule_id, expr in rules if _holds(expr, x))


def _holds(expr: Expr | None, x: Any) -> bool:
    if isinstance(expr, Test) and expr.op in ("ex", "nex"):  # x: whether the field is there
        return bool(x) is (expr.op == "ex")
    if isinstance(expr, Test):
        return _OPS[expr.op](x, expr.value)
    if isinstance(expr, AllOf):
        return all(_holds(p, x) for p in expr.parts)
    if isinstance(expr, AnyOf):
        return any(_holds(p, x) for p in expr.parts)
    return False


# Presence fields are compiled together, this many at a time: one engine rule per combination of
# them being there or not (2**5 = 32 at most), so the chunk fires once whatever holds.
PRESENCE_CHUNK = 5


def presence_cells(rules: list[tuple[str, Rule]]) -> list[tuple[Expr, tuple[str, ...]]]:
    """Cells for rules that each test whether one field is there (``(field, rule)`` pairs): the
    fields in chunks, one cell per combination of presence in a chunk where some rule holds."""
    fields = sorted({field for field, _ in rules})
    found: list[tuple[Expr, tuple[str, ...]]] = []
    for start in range(0, len(fields), PRESENCE_CHUNK):
        chunk = fields[start : start + PRESENCE_CHUNK]
        mine = [(field, rule) for field, rule in rules if field in chunk]
        # whether each rule holds with its field there and not (tried once per condition)
        tried: dict[Expr, tuple[bool, bool]] = {}
        for _, (_, expr) in mine:
            if expr not in tried:
                tried[expr] = _holds(expr, True), _holds(expr, False)
        for there in itertools.product((True, False), repeat=len(chunk)):
            value = dict(zip(chunk, there, strict=True))
            ids = tuple(i for field, (i, expr) in mine if tried[expr][not value[field]])
            if ids:
                tests = tuple(Test(f, "ex" if value[f] else "nex") for f in chunk)
                found.append((_all(tests), ids))
    return found


def code_atoms(field: str, rules: list[Rule]) -> list[tuple[Expr, tuple[str, ...]]] | None:
    """Every value of a code field, in pieces: the cells where rules hold, the codes where none
    does, and the field missing (those two with no rules). None: too many codes for cells."""
    codes = sorted({t.value for _, expr in rules for t in leaves(expr)})
    holding = _code_cells(field, codes, rules)
    if not holding or any(len(leaves(expr)) > MOST_CODES for expr, _ in holding):
        return None
    found = list(holding)
    named = {t.value for expr, _ in holding for t in leaves(expr) if t.op == "eq"}
    other_holds = any(t.op != "eq" for expr, _ in holding for t in leaves(expr))
    if other_holds:  # named codes where no rule holds, if any
        idle = [c for c in codes if c not in named]
        found += [(_any_of(tuple(Test(field, "eq", c) for c in idle)), ())] if idle else []
    else:  # any other value, named or not
        found.append((_all(tuple(Test(field, "ne", c) for c in sorted(named))), ()))
    found.append((Test(field, "nex"), ()))  # the field missing: no rule holds (module docstring)
    return found


def joint_cells(
    atoms: list[list[tuple[Expr, tuple[str, ...]]]],
) -> list[tuple[Expr, tuple[str, ...]]]:
    """Cells over several fields at once, from each field's atoms (which cover all its values):
    one per combination where some rule holds, standing for the rules of each part."""
    found: list[tuple[Expr, tuple[str, ...]]] = []
    for parts in itertools.product(*atoms):
        ids = tuple(sorted({i for _, part in parts for i in part}))
        if ids:
            found.append((AllOf(tuple(expr for expr, _ in parts)), ids))
    return found


def _any_of(tests: tuple[Test, ...]) -> Expr:
    return tests[0] if len(tests) == 1 else AnyOf(tests)


def _code_cells(
    field: str, codes: list[str], rules: list[Rule]
) -> list[tuple[Expr, tuple[str, ...]]]:
    """A cell per code some rule holds at, and one for a code no rule names (any but the codes
    where other rules hold) when rules hold there."""
    by_rules: dict[tuple[str, ...], list[Any]] = defaultdict(list)
    for code, ids in _holding_at_codes(rules, codes):
        by_rules[ids].append(code)
    found: list[tuple[Expr, tuple[str, ...]]] = []
    for ids, where in by_rules.items():
        if not ids:
            continue
        if _OTHER in where:
            others = [c for c in codes if c not in where]
            expr: Expr = (
                _all(tuple(Test(field, "ne", c) for c in others)) if others else Test(field, "ex")
            )
            found.append((expr, ids))
        else:  # one engine rule per code: each tests one value however many codes share rules
            found += [(Test(field, "eq", c), ids) for c in where]
    return found


def _holding_at_codes(rules: list[Rule], codes: list[str]) -> list[tuple[Any, tuple[str, ...]]]:
    """``(code, _holding(rules, code))`` for each code, then for a code no rule names (_OTHER),
    in time linear in the rules: a rule on codes holds at a code it does not name exactly where
    it holds at _OTHER, so each distinct condition is tried at _OTHER and at its own codes only."""
    tried: dict[Expr, tuple[bool, frozenset[str]]] = {}  # at _OTHER; the codes where that flips
    holding_at_other: set[int] = set()
    differs: dict[str, set[int]] = defaultdict(
        set
    )  # code → rules that hold there iff not at _OTHER
    for index, (_, expr) in enumerate(rules):
        if expr not in tried:
            other = _holds(expr, _OTHER)
            named = {t.value for t in leaves(expr)}
            tried[expr] = other, frozenset(c for c in named if _holds(expr, c) != other)
        other, flips = tried[expr]
        if other:
            holding_at_other.add(index)
        for code in flips:
            differs[code].add(index)
    other_ids = tuple(rules[index][0] for index in sorted(holding_at_other))
    found: list[tuple[Any, tuple[str, ...]]] = []
    for code in codes:
        flipped = differs.get(code)
        where = sorted(holding_at_other.symmetric_difference(flipped)) if flipped else None
        found.append((code, other_ids if where is None else tuple(rules[i][0] for i in where)))
    found.append((_OTHER, other_ids))
    return found


def _number_cells(
    field: str, points: list[float], rules: list[Rule]
) -> list[tuple[Expr, tuple[str, ...]]]:
    """The number line split at every number the rules compare with: below the first, each
    number, between two, above the last; neighbours where the same rules hold are one cell."""
    pieces: list[tuple[tuple[float, bool] | None, tuple[float, bool] | None, Any]] = []
    for index, point in enumerate(points):
        below = points[index - 1] if index else None
        low = None if below is None else (below, False)
        middle = point - 1 if below is None else (below + point) / 2
        pieces.append((low, (point, False), middle))
        pieces.append(((point, True), (point, True), point))
    pieces.append(((points[-1], False), None, points[-1] + 1))
    found: list[tuple[Expr, tuple[str, ...]]] = []
    start, ids = pieces[0][0], _holding(rules, pieces[0][2])
    for index, (_, high, _) in enumerate(pieces):
        following = _holding(rules, pieces[index + 1][2]) if index + 1 < len(pieces) else None
        if following != ids:
            if ids:
                found.append((_between(field, start, high), ids))
            if following is not None:
                start, ids = pieces[index + 1][0], following
    return found


def _between(field: str, low: tuple[float, bool] | None, high: tuple[float, bool] | None) -> Expr:
    """low < x < high, each end included when its flag says so (None: unbounded)."""
    tests = []
    if low is not None:
        tests.append(Test(field, "gte" if low[1] else "gt", low[0]))
    if high is not None:
        tests.append(Test(field, "lte" if high[1] else "lt", high[0]))
    return _all(tuple(tests)) if tests else Test(field, "ex")


def _all(tests: tuple[Test, ...]) -> Expr:
    return tests[0] if len(tests) == 1 else AllOf(tests)
