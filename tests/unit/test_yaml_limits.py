"""The policy-file reader refuses what would exhaust it: aliases that expand without limit, nesting
without limit, numbers a rule cannot compare with, text that is not UTF-8; each with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.hostile import alias_bomb, deep_brackets, million_tests, rule_comparing_with
from matcher.model.errors import Problem
from matcher.rulebook.guard import (
    MAX_ALIAS_VALUES,
    MAX_DEPTH,
    LimitError,
    excerpt,
    scan_limits,
)
from matcher.rulebook.sources import parse_yaml, read_sources, sources_from_texts

NAME = "rules/rulesets/90_hostile.yaml"


def only_problem(text: str) -> Problem:
    sources = sources_from_texts({NAME: text})
    assert NAME not in sources.files
    (problem,) = sources.problems
    assert problem.file == NAME
    return problem


def test_nested_aliases_a_billion_values_deep_are_refused_at_the_alias_that_passes_the_limit() -> (
    None
):
    problem = only_problem(alias_bomb())
    assert problem.line == 6  # a4 = 9**5 values: the first past 10,000
    assert f"stand for more than {MAX_ALIAS_VALUES:,} values" in problem.message
    assert "write the values out, or use fewer aliases" in problem.message


def test_a_million_tests_made_of_aliases_are_refused() -> None:
    problem = only_problem(million_tests())
    assert "aliases" in problem.message and problem.line > 1


def test_an_alias_of_a_long_text_counts_for_its_length() -> None:
    text = "a: &a " + "x" * 100_000 + "\n" + "".join(f"b{i}: *a\n" for i in range(10))
    assert "stand for more than" in only_problem(text).message


def test_a_few_ordinary_aliases_are_read() -> None:
    doc = parse_yaml("base: &base {kind: toolkit, weeks: 4}\nother: *base\n")
    assert doc["other"] == {"kind": "toolkit", "weeks": 4}


def test_an_alias_that_contains_itself_is_refused_as_a_loop() -> None:
    problem = only_problem("a: &a [1, *a]\n")
    assert "contains it, a loop" in problem.message


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5_000, 200_000])
def test_brackets_nested_beyond_the_limit_are_a_problem_with_a_hint_not_a_crash(
    depth: int,
) -> None:
    problem = only_problem(deep_brackets(depth))
    assert problem.line == 2
    assert f"nested more than {MAX_DEPTH} deep" in problem.message
    assert "brackets opened and not closed" in problem.message


def test_block_nesting_beyond_the_limit_is_refused_at_its_line() -> None:
    text = "a:\n" + "".join("  " * i + "- \n" for i in range(1, 60))
    problem = only_problem(text)
    assert problem.line == MAX_DEPTH + 1
    assert "nested more than" in problem.message


def test_nesting_within_the_limit_is_read() -> None:
    depth = MAX_DEPTH - 1
    assert parse_yaml("[" * depth + "]" * depth) is not None


@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.inf", "+.Inf", "1.0e+999"])
def test_nan_and_infinity_are_refused_with_the_line_they_are_on(value: str) -> None:
    problem = only_problem(rule_comparing_with(value))
    assert problem.line == 6
    assert problem.message.startswith(f"{value!r} is not a finite number")


def test_a_number_too_long_to_read_and_a_date_that_does_not_exist_are_problems() -> None:
    assert "cannot read the value" in only_problem("a: " + "9" * 5000 + "\n").message
    problem = only_problem("x: 1\nstart: 2026-02-30\n")
    assert problem.line == 2 and "cannot read the value '2026-02-30'" in problem.message


def test_a_file_that_is_not_utf8_is_named_with_its_first_bad_byte(tmp_path: Path) -> None:
    rules, catalogue = tmp_path / "rules", tmp_path / "catalogue"
    (rules / "rulesets").mkdir(parents=True)
    catalogue.mkdir()
    (rules / "rulesets" / "x.yaml").write_bytes(b"stage: 3\nrules: []  # caf\xe9\n")
    sources = read_sources(rules, catalogue)
    (problem,) = sources.problems
    assert problem == Problem(
        "rules/rulesets/x.yaml",
        2,
        "rules/rulesets/x.yaml is not UTF-8 text: byte 0xe9 at offset 25; save the file as UTF-8",
    )


def test_a_text_with_half_a_surrogate_pair_is_a_problem_not_a_crash() -> None:
    problem = only_problem("a: 1\nb: \ud800\n")
    assert problem.line == 2 and "is not UTF-8 text: character U+D800" in problem.message
    assert sources_from_texts({NAME: "a: 1\nb: \ud800\n"}).version.startswith("sha256:")


def test_an_excerpt_is_short_whatever_the_value() -> None:
    huge = [[["lol"] * 9] * 9] * 9
    shown = excerpt(huge)
    assert len(shown) <= 80 and shown.endswith("…")
    assert excerpt({"a": "x" * 10_000}).endswith("…")
    assert excerpt(3) == "3"


def test_the_scan_leaves_syntax_errors_to_the_parser() -> None:
    scan_limits("a: [1, 2\n")  # no LimitError: the parser reports it with its own words
    with pytest.raises(LimitError):
        scan_limits("[" * 2000)
