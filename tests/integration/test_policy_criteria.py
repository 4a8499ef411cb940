"""Policy names catalogue criteria (provision_gap_when, cannot_be_delivered_when): a name no
catalogue rule carries would silently do nothing, so it is a problem with its line and a hint."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from matcher.model.errors import RulebookError
from matcher.rulebook import build
from tests.conftest import CATALOGUE, RULES


@pytest.mark.parametrize(
    ("old", "new", "said", "hint"),
    [
        (
            "provision_gap_when: [region, pdu,",
            "provision_gap_when: [regoin, pdu,",
            "unknown provision_gap_when 'regoin' in selection.provision_gap_when",
            "region",
        ),
        (
            "cannot_be_delivered_when: [gender,",
            "cannot_be_delivered_when: [requires_sexual_ofence,",
            "unknown cannot_be_delivered_when 'requires_sexual_ofence'",
            "requires_sexual_offence",
        ),
    ],
)
def test_an_unknown_criterion_is_a_problem_with_its_line(
    tmp_path: Path, old: str, new: str, said: str, hint: str
) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    policy = rules / "policy.yaml"
    text = policy.read_text(encoding="utf-8")
    assert old in text
    policy.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(RulebookError) as raised:
        build.load(rules, CATALOGUE, probe=False)
    (problem,) = [p for p in raised.value.problems if said in p.message]
    assert problem.file == "rules/policy.yaml"
    assert new.split(":")[0] in text.splitlines()[problem.line - 1]
    assert problem.suggestion == hint
