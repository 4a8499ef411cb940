"""The people of a commissioning report: a caseload's cases planned, or stored plans read (or
re-planned under the live rules), each reduced to what the report counts (``provision.Seen``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from matcher.model.contract import Assessment, Plan
from matcher.model.errors import MatcherError
from matcher.planning.planner import plan
from matcher.reports.provision import Seen, seen
from matcher.rulebook.book import Rulebook


def provision_case(
    line: int, assessment: Assessment, books: Sequence[Rulebook], today: date
) -> Seen | dict[str, Any]:
    """A job (``caseload.each_case``): one case planned and read for the report."""
    try:
        return seen(assessment, plan(assessment, books[0], today=today))
    except MatcherError as error:
        return {"line": line, "person_id": assessment.person_id, "error": str(error)}


def stored_people(
    pairs: Iterable[tuple[dict[str, Any], dict[str, Any]]],
    book: Rulebook,
    replan: bool,
    today: date,
) -> Iterator[Seen]:
    """Each stored (assessment, plan) read for the report, or re-planned under ``book``."""
    for assessment_json, plan_json in pairs:
        assessment = Assessment.model_validate(assessment_json)
        if replan:
            try:
                yield seen(assessment, plan(assessment, book, today=today))
            except MatcherError:
                continue  # an assessment the live rules cannot plan: not part of the picture
        else:
            yield seen(assessment, Plan.model_validate(plan_json))
