"""`matcher test`: the shipped scenarios and rule examples pass; a wrong expectation fails readably."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from matcher.cli.main import main
from matcher.reports.scenarios import run_scenario, scenario_files
from matcher.rulebook.book import Rulebook
from tests.conftest import CATALOGUE, RULES

ROOT = RULES.parent
SCENARIOS = scenario_files(RULES)


def test_at_least_fifteen_scenarios_are_shipped() -> None:
    assert len(SCENARIOS) >= 15


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_shipped_scenario(path: Path, rulebook: Rulebook, base: dict[str, Any]) -> None:
    result = run_scenario(rulebook, base, path, ROOT)
    assert result.passed, "\n".join(result.failures)


def test_the_scenarios_cover_every_rule_file(rulebook: Rulebook, base: dict[str, Any]) -> None:
    from matcher.planning.planner import plan
    from matcher.reports.scenarios import _assessment, _today
    from matcher.rulebook.sources import parse_yaml

    fired: set[str] = set()
    for path in SCENARIOS:
        doc = parse_yaml(path.read_text(encoding="utf-8"))
        assessment = _assessment(doc, base, path)
        trace = plan(assessment, rulebook, _today(doc.get("today"), assessment), explain=True).trace
        fired |= {t["rule_id"] for t in trace or []}
    files = {r.file for r in rulebook.rules.values() if r.file.startswith("rules/")}
    covered = {rulebook.rules[r].file for r in fired}
    assert files - covered == set()


def test_matcher_test_passes_on_the_shipped_set(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test"]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out
    assert " 0 failed" in out
    assert "PASS  scenario homeless_on_release_drugs" in out
    assert "PASS  example  needs.priority.linked[0]" in out


WRONG = """\
description: A deliberately wrong expectation.
assessment:
  needs: [{area: accommodation, severity: 2}]
expect:
  selected: [cas3_temporary_accommodation]
  pathway: high_intensity
  unmet: [drugs]
  order: [[crs_accommodation, thinking_skills_one_to_one]]
  excluded: {crs_accommodation: eligibility.crs_needs_rar}
  slected: []
"""


def test_a_wrong_expectation_fails_with_a_readable_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "wrong.yaml"
    path.write_text(WRONG, encoding="utf-8")
    assert main(["test", str(path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  scenario wrong" in out
    assert (
        "line 5: expected cas3_temporary_accommodation in the plan, but it is not (the plan holds: "
        "housing_duty_to_refer, crs_accommodation)" in out
    )
    assert (
        "Why: Community Accommodation Service Tier 3 (CAS3) is eligible but another option" in out
    )
    assert (
        "line 6: expected pathway 'high_intensity', got 'alternative_pathway' (decided by: " in out
    )
    assert "line 7: expected unmet needs ['drugs'], got []" in out
    assert "thinking_skills_one_to_one not in the plan" in out
    assert (
        "expected crs_accommodation excluded by eligibility.crs_needs_rar, but it was excluded by: no rule"
        in out
    )
    assert "unknown expectation 'slected' (did you mean 'selected'?)" in out
    assert "0 passed, 1 failed" in out


def test_a_wrong_rule_example_fails_with_the_rule_and_facts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(RULES, tmp_path / "rules")
    shutil.copytree(CATALOGUE, tmp_path / "catalogue")
    risk = tmp_path / "rules" / "rulesets" / "50_risk.yaml"
    text = risk.read_text(encoding="utf-8")
    risk.write_text(
        text.replace(
            "{assessment: {risk: {ogrs: 49.99}}, fires: true}",
            "{assessment: {risk: {ogrs: 49.99}}, fires: false}",
        ),
        encoding="utf-8",
    )
    args = ["test", "--rules", str(tmp_path / "rules"), "--catalogue", str(tmp_path / "catalogue")]
    assert main([*args, "--failures-only"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  example  risk.low_likelihood.no_high_intensity[0]" in out
    assert (
        "expected risk.low_likelihood.no_high_intensity not to fire, but it fired on" in out
        and '"ogrs_band": "low"' in out
    )


def test_a_scenario_can_start_from_an_assessment_file(
    tmp_path: Path, rulebook: Rulebook, base: dict[str, Any]
) -> None:
    (tmp_path / "a.json").write_text(
        (ROOT / "examples" / "homeless_on_release_drugs.json").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    path = tmp_path / "from_file.yaml"
    path.write_text(
        "description: from a file\nassessment_file: a.json\nassessment: {region: london}\n"
        "expect: {selected: [cas3_temporary_accommodation]}\n",
        encoding="utf-8",
    )
    assert run_scenario(rulebook, base, path, tmp_path).passed
