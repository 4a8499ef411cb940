"""Rules on one person field compiled per value (``durable.cells``) fire exactly the rules that
fire when each is compiled on its own, in the real engine, whatever the rules and the value."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.durable.cells import CELL_PREFIX
from matcher.durable.engine import Engine
from matcher.durable.patterns import compile_stages, condition_patterns
from matcher.model.conditions import AllOf, AnyOf, Condition, Expr, negate
from matcher.model.conditions import Test as FieldTest
from matcher.model.engine import CompiledStage
from matcher.model.rules import Outcome, RuleSpec

CODES = ["a", "b", "c", "d"]
NUMBERS = [0, 5, 10, 17.5, 18, 25]


def _expr(values: list[Any], ops: list[str], field: str = "f") -> st.SearchStrategy[Expr]:
    """Conditions on one field: its tests joined by all, any and not, as a rule file writes."""
    leaf = st.builds(FieldTest, st.just(field), st.sampled_from(ops), st.sampled_from(values))
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3).map(lambda p: AllOf(tuple(p))),
            st.lists(inner, min_size=1, max_size=3).map(lambda p: AnyOf(tuple(p))),
            inner.map(negate),
        ),
        max_leaves=5,
    )


def _rules(exprs: list[Expr]) -> list[RuleSpec]:
    exclude = (Outcome("exclude", ("x",)),)
    return [
        RuleSpec(f"r{n}", "", "", 1, "t.yaml", n, Condition(e, ()), exclude)
        for n, e in enumerate(exprs)
    ]


def _fired(stages: list[CompiledStage], value: Any) -> list[str]:
    engine = Engine(stages, {}, "sha256:cells")
    try:
        fact: dict[str, Any] = {"t": "person", "id": "p"}
        if value is not None:
            fact["f"] = value
        # a rule fires once per `any` branch that holds; findings count each rule once
        return sorted({f.rule_id for f in engine.evaluate(1, [fact])})
    finally:
        engine.close()


def _fired_fact(stages: list[CompiledStage], fact: dict[str, Any]) -> list[str]:
    engine = Engine(stages, {}, "sha256:cells")
    try:
        return sorted({f.rule_id for f in engine.evaluate(1, [fact])})
    finally:
        engine.close()


def _one_by_one(rules: list[RuleSpec]) -> list[CompiledStage]:
    definition = {r.id: {"all": condition_patterns(r.condition)} for r in rules}
    return [CompiledStage(1, definition)]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(_expr(CODES, ["eq", "ne"]), min_size=2, max_size=6),
    st.sampled_from([*CODES, "zz", None]),
)
def test_code_cells_fire_what_the_rules_fire(exprs: list[Expr], value: Any) -> None:
    rules = _rules(exprs)
    assert _fired(compile_stages(rules), value) == _fired(_one_by_one(rules), value)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(_expr(NUMBERS, ["eq", "ne", "lt", "lte", "gt", "gte"]), min_size=2, max_size=6),
    st.one_of(st.sampled_from([*NUMBERS, -3, 2, 7.5, 17.9, 30, None]), st.integers(-5, 40)),
)
def test_number_cells_fire_what_the_rules_fire(exprs: list[Expr], value: Any) -> None:
    rules = _rules(exprs)
    assert _fired(compile_stages(rules), value) == _fired(_one_by_one(rules), value)


def test_regions_fire_once_for_every_intervention_not_served() -> None:
    served = {"x1": ["north", "south"], "x2": ["north"], "x3": ["east"], "x4": ["north", "east"]}
    rules = [
        RuleSpec(
            f"catalogue.{i}.region",
            "",
            "",
            1,
            "t.yaml",
            1,
            Condition(negate(AnyOf(tuple(FieldTest("region", "eq", r) for r in regions))), ()),
            (Outcome("exclude", (i,)),),
        )
        for i, regions in served.items()
    ]
    (stage,) = compile_stages(rules)
    assert all(name.startswith(CELL_PREFIX) for name in stage.definition)
    engine = Engine([stage], {}, "sha256:cells")
    try:
        fired = engine.evaluate(1, [{"t": "person", "id": "p", "region": "north"}])
        other = engine.evaluate(1, [{"t": "person", "id": "p", "region": "wales"}])
    finally:
        engine.close()
    assert [f.rule_id for f in fired] == ["catalogue.x3.region"]
    assert len({id(f.facts) for f in other}) == 1  # one firing for all four
    assert sorted(f.rule_id for f in other) == [f"catalogue.x{n}.region" for n in range(1, 5)]


PRESENT = ["f1", "f2", "f3", "f4", "f5", "f6", "f7"]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(PRESENT),
            st.lists(st.sampled_from(["ex", "nex"]), min_size=1, max_size=2),
            st.booleans(),
        ),
        min_size=2,
        max_size=8,
    ),
    st.sets(st.sampled_from(PRESENT)),
)
def test_presence_cells_fire_what_the_rules_fire(
    specs: list[tuple[str, list[str], bool]], there: set[str]
) -> None:
    """Rules each testing whether one field is there, compiled together in chunks of fields."""
    exprs: list[Expr] = []
    for field, ops, any_of in specs:
        tests = tuple(FieldTest(field, op) for op in ops)
        exprs.append(tests[0] if len(tests) == 1 else (AnyOf(tests) if any_of else AllOf(tests)))
    rules = _rules(exprs)
    fact: dict[str, Any] = {"t": "person", "id": "p", **{f: True for f in there}}
    assert _fired_fact(compile_stages(rules), fact) == _fired_fact(_one_by_one(rules), fact)


CODE_FIELDS = ["g1", "g2", "g3"]


@st.composite
def _code_rule(draw: st.DrawFn) -> Expr:
    return draw(_expr(CODES, ["eq", "ne"], draw(st.sampled_from(CODE_FIELDS))))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(_code_rule(), min_size=2, max_size=8),
    st.fixed_dictionaries({f: st.sampled_from([*CODES, "zz", None]) for f in CODE_FIELDS}),
)
def test_code_fields_compiled_together_fire_what_the_rules_fire(
    exprs: list[Expr], values: dict[str, Any]
) -> None:
    """Rules on several code fields, compiled a few fields at a time; a field may be missing."""
    rules = _rules(exprs)
    fact: dict[str, Any] = {"t": "person", "id": "p"}
    fact.update({f: v for f, v in values.items() if v is not None})
    assert _fired_fact(compile_stages(rules), fact) == _fired_fact(_one_by_one(rules), fact)
