"""Loading a rulebook with a hostile file (the reload and start-up path): a problem naming the file
and line, never an exception of the reader or a rule that compiles and never fires."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.hostile import alias_bomb, rule_comparing_with
from matcher.model.errors import Problem, RulebookError
from matcher.rulebook import build as rulebook_module
from tests.conftest import CATALOGUE, RULES


def problems_loading(tmp_path: Path, name: str, content: bytes) -> list[Problem]:
    rules, catalogue = tmp_path / "rules", tmp_path / "catalogue"
    shutil.copytree(RULES, rules)
    shutil.copytree(CATALOGUE, catalogue)
    folder, _, relative = name.partition("/")
    (tmp_path / folder / relative).write_bytes(content)
    with pytest.raises(RulebookError) as refused:
        rulebook_module.load(rules, catalogue, probe=True)
    return [p for p in refused.value.problems if p.file == name]


@pytest.mark.parametrize("value", [".nan", "-.inf"])
def test_a_rule_comparing_with_nan_or_infinity_is_refused_before_it_compiles(
    tmp_path: Path, value: str
) -> None:
    name = "rules/rulesets/90_hostile.yaml"
    (problem,) = problems_loading(tmp_path, name, rule_comparing_with(value).encode())
    assert problem.line == 6 and problem.message.startswith(f"{value!r} is not a finite number")


def test_a_catalogue_number_that_is_nan_is_refused_at_its_line(tmp_path: Path) -> None:
    name = "catalogue/interventions/toolkits.yaml"
    text = (CATALOGUE / "interventions" / "toolkits.yaml").read_text()
    broken = text.replace("duration_weeks: 6", "duration_weeks: .nan", 1)
    (problem,) = problems_loading(tmp_path, name, broken.encode())
    assert problem.line == 20 and "'.nan' is not a finite number" in problem.message


def test_a_catalogue_file_that_is_not_utf8_is_named_not_raised(tmp_path: Path) -> None:
    name = "catalogue/interventions/toolkits.yaml"
    text = (CATALOGUE / "interventions" / "toolkits.yaml").read_text()
    (problem,) = problems_loading(tmp_path, name, text.encode("cp1252") + b"# \x93quoted\x94\n")
    assert problem.message.startswith(f"{name} is not UTF-8 text: byte 0x93 at offset ")


def test_an_alias_bomb_in_a_rule_file_is_refused_at_its_line(tmp_path: Path) -> None:
    name = "rules/rulesets/90_hostile.yaml"
    (problem,) = problems_loading(tmp_path, name, alias_bomb().encode())
    assert problem.line == 6 and "stand for more than 10,000 values" in problem.message
