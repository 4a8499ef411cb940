"""Codes an assessment uses that the vocabulary does not know → AssessmentError naming each path."""

from __future__ import annotations

from typing import Any

from matcher.model.contract import Assessment
from matcher.model.errors import AssessmentError, FieldError
from matcher.model.vocabulary import suggest
from matcher.rulebook.book import Rulebook

Expected = tuple[str, "str | None", Any, str]  # path, value, allowed codes, what it is


def check_codes(assessment: Assessment, rulebook: Rulebook) -> None:
    """Raise AssessmentError naming the JSON path of every code the vocabulary does not know, and
    of everything else the person and the sentence cannot be (``person_errors``)."""
    errors = []
    for path, value, allowed, what in _codes(assessment, rulebook):
        if value is not None and value not in allowed:
            hint = suggest(value, allowed)
            message = f"unknown {what} {value!r}" + (f"; did you mean {hint!r}?" if hint else "")
            errors.append(FieldError(path, message))
    errors += person_errors(assessment, rulebook)
    if errors:
        raise AssessmentError(errors)


def _codes(assessment: Assessment, rulebook: Rulebook) -> list[Expected]:
    """Every coded value of the assessment, with its path and the codes it may take."""
    vocabulary, sentence, risk = rulebook.vocabulary, assessment.sentence, assessment.risk
    found: list[Expected] = [
        ("gender", assessment.gender, vocabulary.codes("genders"), "gender"),
        ("region", assessment.region, vocabulary.regions, "region"),
        ("sentence.type", sentence.type, vocabulary.codes("sentence_types"), "sentence type"),
        ("pdu", assessment.pdu, vocabulary.pdus, "probation delivery unit"),
        (
            "accommodation_status",
            assessment.accommodation_status,
            vocabulary.accommodation_statuses,
            "accommodation status",
        ),
    ]
    lists: list[tuple[str, list[str], Any, str]] = [
        (
            "sentence.requirements",
            sentence.requirements,
            vocabulary.codes("requirements"),
            "requirement",
        ),
        ("sentence.mandated", sentence.mandated, rulebook.catalogue, "intervention"),
        ("risk.flags", risk.flags, vocabulary.codes("flags"), "risk flag"),
        ("strengths", assessment.strengths, vocabulary.codes("strengths"), "strength"),
        (
            "responsivity",
            assessment.responsivity,
            vocabulary.codes("responsivity"),
            "responsivity code",
        ),
    ]
    for path, values, allowed, what in lists:
        found += [(f"{path}[{i}]", value, allowed, what) for i, value in enumerate(values)]
    areas = vocabulary.need_areas
    found += [
        (f"needs[{i}].area", n.area, areas, "need area") for i, n in enumerate(assessment.needs)
    ]
    for name, scale in vocabulary.risk_scales.items():
        found.append((f"risk.{name}", getattr(risk, name), vocabulary.scales.get(scale, ()), name))
    items = vocabulary.lists["oasys_items"]
    found += [(f"oasys_items.{item}", item, items, "OASys item") for item in assessment.oasys_items]
    for i, entry in enumerate(assessment.history):
        path = f"history[{i}].intervention_id"
        found.append((path, entry.intervention_id, rulebook.catalogue, "intervention"))
        if entry.reason_code is not None:
            reasons = vocabulary.codes("progress_reasons")
            code = (f"history[{i}].reason_code", entry.reason_code, reasons, "reason code")
            found.append(code)
    found += [
        (f"goals[{i}].need_area", g.need_area, areas, "need area")
        for i, g in enumerate(assessment.goals)
    ]
    return found


def person_errors(assessment: Assessment, rulebook: Rulebook) -> list[FieldError]:
    """What the codes allow but the person and the sentence cannot be: a child, a PDU outside the
    region, a release that is not when the sentence starts."""
    policy, errors = rulebook.policy, []
    adult = policy.adults_from_age
    if assessment.age < adult:
        refused = policy.text("under_age").say(age=assessment.age, adult_age=adult)
        errors.append(FieldError("age", refused))
    pdu = rulebook.vocabulary.pdus.get(assessment.pdu or "")
    if pdu is not None and assessment.region is not None and pdu.region != assessment.region:
        text = policy.text("pdu_outside_region")
        errors.append(
            FieldError("pdu", text.say(pdu=pdu.id, pdu_region=pdu.region, region=assessment.region))
        )
    custody, sentence = assessment.custody, assessment.sentence
    if custody is not None:
        release = custody.release_date.isoformat()
        if custody.release_date >= sentence.end_date:
            text = policy.text("release_after_sentence_end")
            errors.append(
                FieldError(
                    "custody.release_date",
                    text.say(release_date=release, end_date=sentence.end_date.isoformat()),
                )
            )
        elif sentence.start_date != custody.release_date:
            text = policy.text("release_not_sentence_start")
            errors.append(FieldError("sentence.start_date", text.say(release_date=release)))
    return errors
