"""The condition IR: what a rule's ``when`` means once parsed (tests, all-of, any-of, joins)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_NEGATE = {
    "eq": "ne",
    "ne": "eq",
    "lt": "gte",
    "gte": "lt",
    "lte": "gt",
    "gt": "lte",
    "ex": "nex",
    "nex": "ex",
}


SET_KEYS = {
    "responsivity": "responsivity",
    "strength": "strengths",
    "flag": "flags",
    "requirement": "requirements",
    "goal": "need_areas",
    "curfew": "delivery_times",  # a delivery time the curfew blocks
}


@dataclass(frozen=True)
class FieldInfo:
    """A field of a fact: numbers, booleans, or codes from a closed list."""

    name: str
    kind: str  # "number" | "code" | "bool" | "flag" (present when true, absent otherwise) | "any"
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Test:
    field: str
    op: str  # eq ne lt lte gt gte ex nex
    value: Any = None


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Expr, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Expr, ...]


Expr = Test | AllOf | AnyOf


@dataclass(frozen=True)
class Join:
    """A condition on another fact of the session: a need or a derived fact."""

    fact_type: str  # "need" | "derived"
    expr: Expr


@dataclass(frozen=True)
class Condition:
    person: Expr | None
    joins: tuple[Join, ...]

    def tests_by_fact(self) -> list[tuple[str, list[Test]]]:
        """The tests on each fact the rule joins: ("person", [...]), ("need", [...]), ..."""
        parts: list[tuple[str, Expr | None]] = [("person", self.person)]
        parts += [(j.fact_type, j.expr) for j in self.joins]
        grouped = []
        for fact_type, expr in parts:
            found: list[Test] = []
            _collect(expr, found)
            grouped.append((fact_type, found))
        return grouped

    def tests(self) -> list[Test]:
        found: list[Test] = []
        for expr in [self.person, *(j.expr for j in self.joins)]:
            _collect(expr, found)
        return found


def _collect(expr: Expr | None, found: list[Test]) -> None:
    if isinstance(expr, Test):
        found.append(expr)
    elif expr is not None:
        for part in expr.parts:
            _collect(part, found)


def negate(expr: Expr) -> Expr:
    """Push a negation down to the tests (De Morgan), so durable_rules never needs a `not`."""
    if isinstance(expr, Test):
        return Test(expr.field, _NEGATE[expr.op], expr.value)
    parts = tuple(negate(p) for p in expr.parts)
    return AnyOf(parts) if isinstance(expr, AllOf) else AllOf(parts)
