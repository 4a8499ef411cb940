"""conditions.py: the policy condition language → IR → durable_rules JSON."""

from __future__ import annotations

from typing import Any

import pytest

from matcher.durable.patterns import fact_pattern, to_durable
from matcher.model.conditions import AllOf, AnyOf, Condition, FieldInfo, Join, negate
from matcher.model.conditions import Test as T
from matcher.rulebook.language import ConditionParser

FIELDS = {
    f.name: f
    for f in (
        FieldInfo("age", "number"),
        FieldInfo("ogrs", "number"),
        FieldInfo("ovp", "number"),
        FieldInfo("rsr", "number"),
        FieldInfo("ogrs_band", "code", ("low", "medium", "high", "very_high", "unknown")),
        FieldInfo("gender", "code", ("male", "female")),
        FieldInfo("substance_misuse_active", "flag"),
        FieldInfo("responsivity_learning_disability", "flag"),
    )
}
NEED_FIELDS = {
    "area": FieldInfo("area", "code", ("drugs", "alcohol", "accommodation")),
    "severity": FieldInfo("severity", "number"),
    "linked_to_offending": FieldInfo("linked_to_offending", "bool"),
}
DERIVED_FIELDS = {"name": FieldInfo("name", "any"), "value": FieldInfo("value", "any")}
CODES = {
    "responsivity": ("learning_disability", "low_literacy"),
    "strengths": ("employed",),
    "flags": ("domestic_abuse", "sexual_offence"),
    "requirements": ("rar",),
    "need_areas": ("drugs", "alcohol", "accommodation"),
}


def parse(when: Any) -> tuple[Condition, list[str]]:
    parser = ConditionParser(FIELDS, NEED_FIELDS, DERIVED_FIELDS, CODES)
    condition = parser.parse(when)
    return condition, parser.problems


def person(when: Any) -> Any:
    condition, problems = parse(when)
    assert problems == []
    assert condition.joins == ()
    return condition.person


# --- parser → IR -------------------------------------------------------------------------------


@pytest.mark.parametrize("when", [None, {}, "always"])
def test_an_empty_condition_always_holds(when: Any) -> None:
    assert parse(when) == (Condition(None, ()), [])


def test_a_condition_that_is_not_a_mapping_is_a_problem() -> None:
    _, problems = parse(["ogrs_band", "high"])
    assert problems == ["'when' must be a mapping of conditions (or 'always')"]


def test_a_scalar_is_equality_and_a_list_is_one_of() -> None:
    assert person({"gender": "female"}) == T("gender", "eq", "female")
    assert person({"ogrs_band": ["high", "very_high"]}) == AnyOf(
        (T("ogrs_band", "eq", "high"), T("ogrs_band", "eq", "very_high"))
    )


def test_comparisons_and_several_keys_are_all_of() -> None:
    assert person({"age": {"lt": 25}, "ogrs": {"gte": 50, "lt": 75}}) == AllOf(
        (T("age", "lt", 25), AllOf((T("ogrs", "gte", 50), T("ogrs", "lt", 75))))
    )


def test_in_and_not_in_become_equalities() -> None:
    assert person({"gender": {"in": ["male"]}}) == AnyOf((T("gender", "eq", "male"),))
    assert person({"ogrs_band": {"not_in": ["low", "unknown"]}}) == AllOf(
        (T("ogrs_band", "ne", "low"), T("ogrs_band", "ne", "unknown"))
    )


def test_set_codes_become_presence_tests() -> None:
    assert person({"responsivity": "learning_disability"}) == AllOf(
        (T("responsivity_learning_disability", "ex"),)
    )
    assert person({"flag": ["domestic_abuse", "sexual_offence"]}) == AllOf(
        (T("flag_domestic_abuse", "ex"), T("flag_sexual_offence", "ex"))
    )
    assert person({"priority_need": "drugs"}) == AllOf((T("priority_need_drugs", "ex"),))


def test_missing_is_any_absent_and_present_is_all_present() -> None:
    assert person({"missing": ["ovp", "rsr"]}) == AnyOf((T("ovp", "nex"), T("rsr", "nex")))
    assert person({"present": "ovp"}) == AllOf((T("ovp", "ex"),))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, "ex"),
        (False, "nex"),
        ({"eq": False}, "nex"),
        ({"ne": False}, "ex"),
        ({"ne": True}, "nex"),
    ],
)
def test_presence_fields_are_true_when_present(value: Any, expected: str) -> None:
    assert person({"substance_misuse_active": value}) == T("substance_misuse_active", expected)


@pytest.mark.parametrize("value", ["yes", 1, {"gt": True}, {"eq": True, "ne": False}])
def test_presence_fields_only_take_true_or_false(value: Any) -> None:
    _, problems = parse({"substance_misuse_active": value})
    assert problems == [
        "'substance_misuse_active' is true or false; write `substance_misuse_active: true` or "
        "`substance_misuse_active: false`"
    ]


def test_need_and_derived_conditions_are_joins() -> None:
    condition, problems = parse(
        {
            "ogrs_band": "high",
            "need": [{"area": "drugs", "severity": {"gte": 1}}, {"area": "alcohol"}],
            "derived": {"name": "substance_misuse_active"},
        }
    )
    assert problems == []
    assert condition.person == T("ogrs_band", "eq", "high")
    assert condition.joins == (
        Join("need", AllOf((T("area", "eq", "drugs"), T("severity", "gte", 1)))),
        Join("need", T("area", "eq", "alcohol")),
        Join("derived", T("name", "eq", "substance_misuse_active")),
    )
    assert [t.field for t in condition.tests()] == ["ogrs_band", "area", "severity", "area", "name"]


def test_need_conditions_only_at_the_top() -> None:
    _, problems = parse({"any": [{"need": {"area": "drugs"}}, {"age": 20}]})
    assert problems == ["'need' may only appear at the top of 'when', not inside person"]


# --- problems with suggestions -----------------------------------------------------------------


def test_an_unknown_field_is_named_with_a_suggestion() -> None:
    _, problems = parse({"ogrs_bnd": "high"})
    assert problems == ["unknown field 'ogrs_bnd' (did you mean 'ogrs_band'?)"]
    _, problems = parse({"zzz": 1})
    assert problems == ["unknown field 'zzz'"]


def test_an_unknown_need_field_is_checked_against_need_fields() -> None:
    _, problems = parse({"need": {"severty": 2}})
    assert problems == ["unknown field 'severty' (did you mean 'severity'?)"]


def test_an_unknown_comparison_is_named_with_a_suggestion() -> None:
    _, problems = parse({"age": {"lte": 3, "gtee": 5}})
    assert problems == ["unknown comparison 'gtee' on 'age' (did you mean 'gte'?)"]


def test_unknown_codes_are_named_with_a_suggestion() -> None:
    _, problems = parse(
        {"ogrs_band": ["hgh"], "responsivity": "learning_disabilty", "priority_need": "drugz"}
    )
    assert problems == [
        "unknown value of 'ogrs_band' 'hgh' (did you mean 'high'?)",
        "unknown responsivity code 'learning_disabilty' (did you mean 'learning_disability'?)",
        "unknown need area 'drugz' (did you mean 'drugs'?)",
    ]


def test_values_must_fit_the_field() -> None:
    _, problems = parse({"age": "old", "ogrs": True, "ogrs_band": {"gte": "medium"}})
    assert problems == [
        "'age' is a number; 'old' is not",
        "'ogrs' is a number; True is not",
        "'ogrs_band' holds codes; use eq/in, not 'gte'",
    ]


@pytest.mark.parametrize("when", [{"any": []}, {"all": "x"}])
def test_any_and_all_need_a_non_empty_list(when: Any) -> None:
    _, problems = parse(when)
    assert len(problems) == 1 and "needs a non-empty list" in problems[0]


def test_a_nested_condition_must_be_a_mapping() -> None:
    _, problems = parse({"not": "age"})
    assert problems == ["a person condition must be a mapping, not 'age'"]


# --- negation pushed down to the tests ---------------------------------------------------------


def test_not_of_a_comparison_flips_the_operator() -> None:
    assert person({"not": {"age": {"lt": 25}}}) == T("age", "gte", 25)
    assert person({"not": {"ogrs": {"lte": 49}}}) == T("ogrs", "gt", 49)
    assert person({"not": {"gender": "male"}}) == T("gender", "ne", "male")


def test_not_of_one_of_is_none_of() -> None:
    assert person({"not": {"ogrs_band": ["high", "very_high"]}}) == AllOf(
        (T("ogrs_band", "ne", "high"), T("ogrs_band", "ne", "very_high"))
    )


def test_not_follows_de_morgan_through_any_and_all() -> None:
    when = {
        "not": {"any": [{"age": {"gte": 25}}, {"all": [{"missing": "ovp"}, {"gender": "male"}]}]}
    }
    assert person(when) == AllOf(
        (
            T("age", "lt", 25),
            AnyOf((AllOf((T("ovp", "ex"),)), T("gender", "ne", "male"))),
        )
    )


def test_not_of_a_presence_test_is_absence() -> None:
    assert person({"not": {"responsivity": "learning_disability"}}) == AnyOf(
        (T("responsivity_learning_disability", "nex"),)
    )
    assert person({"not": {"substance_misuse_active": True}}) == T("substance_misuse_active", "nex")


@pytest.mark.parametrize(
    "expr",
    [
        T("age", "lt", 3),
        AnyOf((T("a", "eq", 1), AllOf((T("b", "gte", 2), T("c", "nex"))))),
        AllOf((T("x", "ex"), AnyOf((T("y", "ne", "z"), T("w", "lte", 0))))),
    ],
)
def test_negating_twice_gives_the_expression_back(expr: Any) -> None:
    assert negate(negate(expr)) == expr


# --- IR → durable_rules JSON -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("test", "expected"),
    [
        (T("a", "eq", "x"), {"a": "x"}),
        (T("a", "ne", "x"), {"$neq": {"a": "x"}}),
        (T("a", "lt", 1), {"$lt": {"a": 1}}),
        (T("a", "lte", 1), {"$lte": {"a": 1}}),
        (T("a", "gt", 1), {"$gt": {"a": 1}}),
        (T("a", "gte", 1.5), {"$gte": {"a": 1.5}}),
        (T("a", "ex"), {"$ex": {"a": 1}}),
        (T("a", "nex"), {"$nex": {"a": 1}}),
    ],
)
def test_each_test_has_its_durable_operator(test: T, expected: dict[str, Any]) -> None:
    assert to_durable(test) == expected


def test_one_of_becomes_or_never_in() -> None:
    condition, _ = parse({"ogrs_band": {"in": ["high", "very_high"]}})
    assert to_durable(condition.person) == {
        "$or": [{"ogrs_band": "high"}, {"ogrs_band": "very_high"}]
    }


def test_single_part_groups_collapse_and_nesting_is_kept() -> None:
    assert to_durable(AllOf((T("a", "eq", 1),))) == {"a": 1}
    assert to_durable(AnyOf((T("a", "eq", 1), AllOf((T("b", "ex"), T("c", "lt", 2)))))) == {
        "$or": [{"a": 1}, {"$and": [{"$ex": {"b": 1}}, {"$lt": {"c": 2}}]}]
    }


def test_a_fact_pattern_tests_the_fact_type_first() -> None:
    assert fact_pattern("person", None) == {"t": "person"}
    assert fact_pattern("person", AllOf(())) == {"t": "person"}
    assert fact_pattern("need", T("severity", "eq", 2)) == {
        "$and": [{"t": "need"}, {"severity": 2}]
    }


def test_the_whole_way_from_policy_text_to_durable_json() -> None:
    condition, problems = parse(
        {"not": {"ogrs_band": ["low", "unknown"]}, "missing": "ovp", "flag": "domestic_abuse"}
    )
    assert problems == []
    assert fact_pattern("person", condition.person) == {
        "$and": [
            {"t": "person"},
            {
                "$and": [
                    {"$and": [{"$neq": {"ogrs_band": "low"}}, {"$neq": {"ogrs_band": "unknown"}}]},
                    {"$nex": {"ovp": 1}},
                    {"$ex": {"flag_domestic_abuse": 1}},
                ]
            },
        ]
    }
