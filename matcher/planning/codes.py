"""Codes an assessment uses that the vocabulary does not know → AssessmentError naming each path."""

from __future__ import annotations

from typing import Any

from matcher.model.contract import Assessment
from matcher.model.errors import AssessmentError, FieldError
from matcher.model.vocabulary import suggest
from matcher.rulebook.book import Rulebook


def check_codes(assessment: Assessment, rulebook: Rulebook) -> None:
    """Raise AssessmentError naming the JSON path of every code the vocabulary does not know."""
    vocabulary, errors = rulebook.vocabulary, []

    def expect(path: str, value: str | None, allowed: Any, what: str) -> None:
        if value is not None and value not in allowed:
            hint = suggest(value, allowed)
            errors.append(
                FieldError(
                    path,
                    f"unknown {what} {value!r}" + (f"; did you mean {hint!r}?" if hint else ""),
                )
            )

    expect("gender", assessment.gender, vocabulary.codes("genders"), "gender")
    expect("region", assessment.region, vocabulary.regions, "region")
    expect(
        "sentence.type",
        assessment.sentence.type,
        vocabulary.codes("sentence_types"),
        "sentence type",
    )
    lists = {
        "sentence.requirements": (
            assessment.sentence.requirements,
            vocabulary.codes("requirements"),
            "requirement",
        ),
        "sentence.mandated": (assessment.sentence.mandated, rulebook.catalogue, "intervention"),
        "risk.flags": (assessment.risk.flags, vocabulary.codes("flags"), "risk flag"),
        "strengths": (assessment.strengths, vocabulary.codes("strengths"), "strength"),
        "responsivity": (
            assessment.responsivity,
            vocabulary.codes("responsivity"),
            "responsivity code",
        ),
    }
    for path, (values, allowed, what) in lists.items():
        for index, value in enumerate(values):
            expect(f"{path}[{index}]", value, allowed, what)
    for index, need in enumerate(assessment.needs):
        expect(f"needs[{index}].area", need.area, vocabulary.need_areas, "need area")
    for name, scale in vocabulary.risk_scales.items():
        value = getattr(assessment.risk, name)
        expect(f"risk.{name}", value, vocabulary.scales.get(scale, ()), name)
    for item in assessment.oasys_items:
        expect(f"oasys_items.{item}", item, vocabulary.lists["oasys_items"], "OASys item")
    if errors:
        raise AssessmentError(errors)
