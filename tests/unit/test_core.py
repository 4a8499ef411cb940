"""Unit tests for the pure parts of the core: loading, bands, facts, codes, ranking."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from matcher.model.errors import AssessmentError
from matcher.model.vocabulary import Band, BandSpec
from matcher.planning.codes import check_codes
from matcher.planning.facts import person_fact
from matcher.planning.selection import rank_needs
from matcher.rulebook.book import Rulebook
from matcher.rulebook.sources import line_of, parse_yaml, sources_from_texts
from tests.conftest import TODAY

OGRS = BandSpec(
    "ogrs_band",
    "ogrs",
    (Band("low", 0), Band("medium", 50), Band("high", 75), Band("very_high", 90)),
)


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (0, "low"),
        (49.99, "low"),
        (50, "medium"),
        (74.99, "medium"),
        (75, "high"),
        (89.999, "high"),
        (90, "very_high"),
        (100, "very_high"),
    ],
)
def test_ogrs_bands_are_half_open_with_no_gap(value: float, band: str) -> None:
    assert OGRS.band_of(value) == band


def test_yaml_documents_remember_the_line_of_every_key_and_item() -> None:
    doc = parse_yaml("rules:\n  - id: a\n    when: {age: 3}\n  - id: b\n")
    assert line_of(doc, "rules") == 1
    assert line_of(doc, "rules", 1) == 4
    assert line_of(doc, "rules", 0, "when") == 3
    assert line_of(doc, "rules", 7, "when") == 1  # past the end: the deepest part that exists


def test_bad_yaml_is_a_problem_with_its_line_not_an_exception() -> None:
    sources = sources_from_texts(
        {"rules/rulesets/x.yaml": "rules:\n  - id: a\n    when: [unclosed\n"}
    )
    assert sources.problems and sources.problems[0].file == "rules/rulesets/x.yaml"
    assert sources.problems[0].line >= 3


def test_the_version_is_a_content_hash_that_changes_with_any_file() -> None:
    one = sources_from_texts({"rules/a.yaml": "x: 1\n", "catalogue/b.yaml": "y: 2\n"})
    same = sources_from_texts({"catalogue/b.yaml": "y: 2\n", "rules/a.yaml": "x: 1\n"})
    other = sources_from_texts({"rules/a.yaml": "x: 2\n", "catalogue/b.yaml": "y: 2\n"})
    assert one.version == same.version != other.version
    assert one.version.startswith("sha256:")


def test_missing_scores_are_unknown_never_guessed(rulebook: Rulebook, assess: Any) -> None:
    fact = person_fact(assess(risk={"ogrs": None, "rosh": None}), rulebook.vocabulary, TODAY)
    assert fact["ogrs_band"] == "unknown" and fact["rosh"] == "unknown"
    assert "ogrs" not in fact
    assert fact["osp_dc"] == "not_applicable"  # the PNI treats a missing OSP as not applicable


def test_weeks_left_count_from_today_once_the_sentence_has_started(
    rulebook: Rulebook, assess: Any
) -> None:
    assessment = assess()  # 2026-11-01 to 2027-11-01
    assert person_fact(assessment, rulebook.vocabulary, date(2026, 10, 1))["weeks_left"] == 52
    assert person_fact(assessment, rulebook.vocabulary, date(2027, 5, 1))["weeks_left"] == 26


def test_codes_become_presence_fields(rulebook: Rulebook, assess: Any) -> None:
    fact = person_fact(
        assess(responsivity=["rural"], strengths=["employed"]), rulebook.vocabulary, TODAY
    )
    assert fact["responsivity_rural"] is True and fact["strength_employed"] is True
    assert "responsivity_low_literacy" not in fact
    assert all(not isinstance(v, dict | list) for v in fact.values())  # flat: no nested values


def test_unknown_codes_are_errors_naming_path_and_code_with_a_suggestion(
    rulebook: Rulebook, assess: Any
) -> None:
    assessment = assess(
        responsivity=["rural", "learning_disabilty"],
        needs=[{"area": "finanse", "severity": 1}],
        region="north_eastt",
        risk={"flags": ["domestic_abuse", "arsen"]},
        sentence={"mandated": ["building_better_relationship"]},
    )
    with pytest.raises(AssessmentError) as caught:
        check_codes(assessment, rulebook)
    errors = {e.path: e.message for e in caught.value.errors}
    assert (
        "'learning_disabilty'" in errors["responsivity[1]"]
        and "learning_disability" in errors["responsivity[1]"]
    )
    assert "'finanse'" in errors["needs[0].area"] and "'finance'" in errors["needs[0].area"]
    assert "north_east" in errors["region"]
    assert "'arsen'" in errors["risk.flags[1]"]
    assert "building_better_relationships" in errors["sentence.mandated[0]"]


def test_needs_linked_to_offending_come_first_then_severity_then_policy_order(
    rulebook: Rulebook, assess: Any
) -> None:
    assessment = assess(
        needs=[
            {"area": "attitudes", "severity": 2},
            {"area": "finance", "severity": 1, "linked_to_offending": True},
            {"area": "ete", "severity": 2, "linked_to_offending": True},
            {"area": "accommodation", "severity": 2, "linked_to_offending": True},
        ]
    )
    ranked = rank_needs(
        assessment,
        {"attitudes", "finance", "ete", "accommodation"},
        rulebook.policy,
        rulebook.vocabulary,
    )
    assert ranked == ["accommodation", "ete", "finance", "attitudes"]
