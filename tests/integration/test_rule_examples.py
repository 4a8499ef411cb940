"""Every rule file's `examples` run as tests: the rule fires, or does not, as the example says."""

from __future__ import annotations

from typing import Any

import pytest

from matcher.reports.scenarios import run_example
from matcher.rulebook import build as rulebook_module
from matcher.rulebook.book import Rulebook
from tests.conftest import CATALOGUE, RULES

_CHECKED = rulebook_module.check(RULES, CATALOGUE)
EXAMPLES = [
    pytest.param(rule.id, index, id=f"{rule.id}[{index}]")
    for rule in sorted(_CHECKED.rules.values(), key=lambda r: (r.file, r.line))
    for index in range(len(rule.examples))
]


def test_rule_files_carry_examples() -> None:
    assert len(EXAMPLES) >= 30
    files = {r.file for r in _CHECKED.rules.values() if r.examples}
    assert {f for f in files if f.startswith("rules/rulesets/")} >= {
        "rules/rulesets/10_needs.yaml",
        "rules/rulesets/20_pni_domains.yaml",
        "rules/rulesets/30_pathway.yaml",
        "rules/rulesets/40_eligibility.yaml",
        "rules/rulesets/45_provision.yaml",
        "rules/rulesets/50_risk.yaml",
        "rules/rulesets/60_responsivity.yaml",
    }


@pytest.mark.parametrize(("rule_id", "index"), EXAMPLES)
def test_rule_example(rule_id: str, index: int, rulebook: Rulebook, base: dict[str, Any]) -> None:
    example = rulebook.rules[rule_id].examples[index]
    result = run_example(rulebook, base, rule_id, index, example)
    assert result.passed, "\n".join(result.failures)
