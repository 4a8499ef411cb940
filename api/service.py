"""What the routes do, kept out of them: matcher calls and the mapping to the API's models."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from pydantic import ValidationError

from api import examples
from api.errors import (
    ApiError,
    ErrorItem,
    assessment_error,
    envelope,
    field_errors,
    log_internal,
    problem_items,
)
from api.schemas import (
    BatchFailed,
    BatchPlanned,
    BatchResponse,
    GraphEdge,
    GraphNode,
    GraphResponse,
    InterventionList,
    MatchResponse,
    PolicyEdge,
    ProblemOut,
    RulesInfo,
    Selected,
    ValidateResponse,
)
from api.stored_examples import stored_examples
from matcher.model.catalogue import Intervention
from matcher.model.contract import Assessment, Plan, Proposal
from matcher.model.errors import (
    AssessmentError,
    EngineBusyError,
    MatcherError,
    Problem,
    StoreError,
)
from matcher.model.vocabulary import suggest
from matcher.planning.planner import plan
from matcher.planning.proposals import propose
from matcher.reports.explain import explain as make_explanation
from matcher.rulebook.book import Rulebook
from matcher.rulebook.guard import excerpt
from matcher.rulebook.sandbox import Report, check_texts, merged

logger = logging.getLogger("matcher.api")


def make_plan(
    assessment: Assessment, rulebook: Rulebook, today: date | None, explain: bool
) -> Plan:
    """The plan for one assessment (stored plans are re-planned in ``api.replanning``)."""
    return plan(assessment, rulebook, today=today, explain=explain)


def make_proposal(assessment: Assessment, rulebook: Rulebook, today: date | None) -> Proposal:
    """The requirements to propose to the court, and the plan they would allow."""
    return propose(assessment, rulebook, today)


def explain(
    assessment: Assessment, rulebook: Rulebook, intervention: str | None, today: date | None
) -> dict[str, Any]:
    """Every rule that fired, and why ``intervention`` was or was not chosen (404 if unknown)."""
    try:
        return make_explanation(assessment, rulebook, intervention_id=intervention, today=today)
    except KeyError as error:
        raise ApiError(404, str(error.args[0])) from error


def match(
    assessment: Assessment, rulebook: Rulebook, today: date | None, explain: bool
) -> MatchResponse:
    """Eligibility and selection without sequencing."""
    found = plan(assessment, rulebook, today=today, explain=explain, sequence_plan=False)
    selected = [Selected.model_validate(item, from_attributes=True) for item in found.items]
    return MatchResponse(
        **found.model_dump(include={"person_id", "rules_version", "priority_needs", "trace"}),
        selected=selected,
        excluded=found.excluded,
        unmet_needs=found.unmet_needs,
        warnings=found.warnings,
        programme_pathway=found.programme_pathway,
    )


Keep = Callable[[int, Assessment, Callable[[], Plan]], Plan]  # position, assessment, make → kept


def plan_batch(
    items: Sequence[Any],
    rulebook: Rulebook,
    max_batch: int,
    today: date | None,
    explain: bool,
    keep: Keep | None = None,
) -> BatchResponse:
    """Plan each item on its own: a bad one gives an error entry, never a failed batch."""
    if len(items) > max_batch:
        item = ErrorItem(
            path="assessments",
            message=f"at most {max_batch} assessments per batch, got {len(items)}",
        )
        raise ApiError(422, item.message, [item])
    results = [_plan_entry(i, item, rulebook, today, explain, keep) for i, item in enumerate(items)]
    failed = sum(1 for r in results if isinstance(r, BatchFailed))
    return BatchResponse(results=results, planned=len(results) - failed, failed=failed)


def _plan_entry(
    index: int,
    item: Any,
    rulebook: Rulebook,
    today: date | None,
    explain: bool,
    keep: Keep | None,
) -> BatchPlanned | BatchFailed:
    """One assessment's plan (stored by ``keep`` if given), or its error entry; the database
    being down fails the whole batch (503), so a retry with the same Idempotency-Key finishes it."""
    try:
        assessment = Assessment.model_validate(item)

        def make() -> Plan:
            return plan(assessment, rulebook, today=today, explain=explain)

        return BatchPlanned(index=index, plan=keep(index, assessment, make) if keep else make())
    except ValidationError as error:
        errors = field_errors({**e, "loc": ("body", *e["loc"])} for e in error.errors())
        env = envelope(422, f"assessment {index} has {len(errors)} problem(s); see errors", errors)
    except AssessmentError as error:
        env = assessment_error(error)
    except EngineBusyError:
        env = envelope(
            503, "every evaluation slot is busy; retry this assessment", code="engine_busy"
        )
    except StoreError:
        raise
    except MatcherError as error:
        cid = uuid.uuid4().hex
        log_internal(error, cid, "POST", f"/v1/plans/batch item {index}")
        env = envelope(500, f"internal error; quote correlation id {cid}", correlation_id=cid)
    return BatchFailed(index=index, status=env.status, error=env)


def interventions(rulebook: Rulebook, **filters: str | None) -> InterventionList:
    """The catalogue, filtered; every filter value is checked against the vocabulary."""
    vocabulary = rulebook.vocabulary
    allowed = {
        "need_area": ("need area", vocabulary.need_areas),
        "region": ("region", tuple(vocabulary.regions)),
        "kind": ("kind", vocabulary.lists.get("kinds", ())),
        "gender": ("gender", tuple(vocabulary.codes("genders"))),
    }
    bad = [
        _unknown(f"query.{name}", allowed[name][0], value, allowed[name][1])
        for name, value in filters.items()
        if value is not None and value not in allowed[name][1]
    ]
    if bad:
        raise ApiError(422, "; ".join(e.message for e in bad), bad)
    chosen = [i for i in rulebook.catalogue.values() if _fits(i, **filters)]
    return InterventionList(rules_version=rulebook.version, count=len(chosen), interventions=chosen)


def _fits(
    item: Intervention,
    need_area: str | None,
    region: str | None,
    kind: str | None,
    gender: str | None,
) -> bool:
    return (
        (need_area is None or need_area in item.needs)
        and (region is None or item.serves(region, on=date.today()))  # provided there now
        and (kind is None or item.kind == kind)
        and (gender is None or item.eligibility.gender is None or gender in item.eligibility.gender)
    )


def intervention(rulebook: Rulebook, intervention_id: str) -> Intervention:
    found = rulebook.catalogue.get(intervention_id)
    if found is None:
        item = _unknown("path.intervention_id", "intervention", intervention_id, rulebook.catalogue)
        raise ApiError(404, item.message, [item])
    return found


def _unknown(path: str, what: str, value: str, known: Any) -> ErrorItem:
    hint = suggest(value, known)
    return ErrorItem(
        path=path,
        message=f"unknown {what} {value!r}" + (f"; did you mean {hint!r}?" if hint else ""),
        suggestion=hint or None,
    )


def _problem(p: Problem) -> ProblemOut:
    return ProblemOut(
        file=p.file, line=p.line, severity=p.severity, message=p.message, suggestion=p.suggestion
    )


def rules_info(rulebook: Rulebook) -> RulesInfo:
    return RulesInfo(
        **rulebook.summary(),
        vocabulary=rulebook.vocabulary.as_json(),
        warnings=[_problem(p) for p in rulebook.checked.problems],
    )


def validate(rulebook: Rulebook, files: dict[str, str | None]) -> ValidateResponse:
    """Check the live files with ``files`` laid over them, in this process: for trusted files
    (the OpenAPI examples). A request's files are checked by api.validation in a worker."""
    check_names(files)
    return validated(rulebook, files, check_texts(merged(rulebook.files, files), files))


def check_names(files: dict[str, str | None]) -> None:
    """Refuse (422) any name that is not a rule or catalogue file."""
    bad = [
        ErrorItem(
            path=f"files.{name}",
            message=f"{excerpt(name)} is not a rule or catalogue file: use a name like rules/rulesets/50_risk.yaml or catalogue/interventions/x.yaml",
        )
        for name in files
        if not _policy_file(name)
    ]
    if bad:
        raise ApiError(422, f"{len(bad)} file name(s) not accepted", bad)


def validated(rulebook: Rulebook, files: dict[str, str | None], report: Report) -> ValidateResponse:
    """The answer to a validation, from what the check found; 422 ``file_refused`` when a file
    sent could not be read at all (nested or aliased past the limits, NaN, not UTF-8)."""
    refused = [p for p in report.refused if p.file in files]
    if refused:
        raise ApiError(
            422,
            f"{len({p.file for p in refused})} file(s) refused before checking: {refused[0]}",
            problem_items(refused),
            code="file_refused",
        )
    problems = list(report.problems)
    if report.failure:
        problems = [_checker_failed(report.failure)]
    return ValidateResponse(
        valid=report.valid and not report.failure,
        version=report.version or rulebook.version,
        live_version=rulebook.version,
        changed=sorted(files),
        problems=[_problem(p) for p in problems],
    )


def _checker_failed(stack: str) -> Problem:
    cid = uuid.uuid4().hex
    logger.error("internal error correlation_id=%s POST /v1/rules/validate: %s", cid, stack)
    return Problem(
        "(checker)",
        1,
        f"the checker failed on these files ({stack.rsplit(chr(10), 1)[-1]}); this is a bug in matcher, not in your files alone: quote correlation id {cid}",
    )


def _policy_file(name: str) -> bool:
    parts = name.split("/")
    return (
        parts[0] in ("rules", "catalogue")
        and len(parts) > 1
        and name.endswith(".yaml")
        and all(p and p not in (".", "..") for p in parts)
        and parts[:2] != ["rules", "scenarios"]
    )


def graph(rulebook: Rulebook) -> GraphResponse:
    """The sequencing rules and every intervention-level edge they (or prerequisites) imply."""
    policy = rulebook.policy
    edges = [
        GraphEdge(
            id=e.id,
            source=u,
            target=v,
            type=e.type,
            lag_weeks=e.lag_weeks,
            conditional=e.conditional,
            rationale=e.rationale,
        )
        for e in policy.edges
        for u, v in e.pairs
    ]
    edges += [
        GraphEdge(
            id=f"prerequisite:{i.id}",
            source=p,
            target=i.id,
            type="finish_to_start",
            lag_weeks=0,
            conditional=False,
            rationale=f"{i.name} requires {rulebook.catalogue[p].name} first",
        )
        for i in rulebook.catalogue.values()
        for p in i.prerequisites
        if p in rulebook.catalogue
    ]
    return GraphResponse(
        rules_version=rulebook.version,
        policy=[
            PolicyEdge(
                **{k: getattr(e, k) for k in PolicyEdge.model_fields if k != "intervention_pairs"},
                intervention_pairs=len(e.pairs),
            )
            for e in policy.edges
        ],
        nodes=[
            GraphNode(id=i.id, name=i.name, kind=i.kind, needs=i.needs)
            for i in sorted(rulebook.catalogue.values(), key=lambda i: i.id)
        ],
        edges=edges,
    )


def response_examples(rulebook: Rulebook) -> dict[tuple[str, str], Any]:
    """(path, method) → a real response body, computed with the live rulebook at start-up."""
    assessment = examples.example_plan_assessment()
    found = plan(assessment, rulebook, today=examples.EXAMPLE_TODAY)
    drawn = graph(rulebook)
    listing = interventions(
        rulebook,
        need_area=assessment.needs[0].area if assessment.needs else None,
        region=assessment.region,
        kind=None,
        gender=None,
    )
    batch = plan_batch(
        [examples.ASSESSMENT, examples.BAD], rulebook, 10, examples.EXAMPLE_TODAY, False
    )
    validated = validate(rulebook, examples.BROKEN_RULE_FILES)
    return {
        ("/v1/plans", "post"): found.model_dump(mode="json"),
        ("/v1/matches", "post"): match(
            assessment, rulebook, examples.EXAMPLE_TODAY, False
        ).model_dump(mode="json"),
        ("/v1/plans/batch", "post"): batch.model_dump(mode="json", exclude_none=True),
        ("/v1/interventions", "get"): listing.model_dump(mode="json"),
        ("/v1/interventions/{intervention_id}", "get"): listing.interventions[0].model_dump(
            mode="json"
        )
        if listing.interventions
        else None,
        ("/v1/rules", "get"): rules_info(rulebook).model_dump(mode="json"),
        ("/v1/rules/validate", "post"): validated.model_dump(mode="json"),
        **stored_examples(found),
        ("/v1/sequencing-graph", "get"): {
            **drawn.model_dump(mode="json"),
            "edges": [e.model_dump() for e in drawn.edges[:3]],
        },
    }
