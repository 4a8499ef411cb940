"""Request and response models of the API that are not part of matcher's domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from api.errors import ErrorEnvelope
from matcher.model.catalogue import Intervention
from matcher.model.contract import (
    Assessment,
    Exclusion,
    IsoDate,
    Plan,
    ProgrammePathway,
    Reason,
    StatusChange,
    UnmetNeed,
    Warning,
    printable,
)
from matcher.model.strict import CodeId, Note

# a file name as GET /v1/rules lists it, e.g. rules/rulesets/50_risk.yaml: the pattern is
# published, and service.validate refuses every name outside the rulebook at once, by name
FileName = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(printable)]
FILE_NAME = r"^(rules|catalogue)(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)+\.yaml$"


def _file_names(schema: dict[str, Any]) -> None:
    schema.setdefault("propertyNames", {})["pattern"] = FILE_NAME


ASSESSMENT_REF: dict[str, Any] = {"$ref": "#/components/schemas/Assessment"}


class BatchRequest(BaseModel):
    """A caseload. Each item is an Assessment, validated on its own so one bad item fails alone."""

    model_config = ConfigDict(extra="forbid")

    assessments: list[Any] = Field(
        json_schema_extra={
            "items": ASSESSMENT_REF
        },  # documented as Assessments, checked one by one
        description="Assessments (see POST /v1/plans); at most MATCHER_MAX_BATCH (default 500).",
    )


class BatchPlanned(BaseModel):
    index: int
    status: Literal[200] = 200
    plan: Plan


class BatchFailed(BaseModel):
    index: int
    status: int
    error: ErrorEnvelope


class BatchResponse(BaseModel):
    """One entry per assessment, in the order sent."""

    results: list[BatchPlanned | BatchFailed]
    planned: int
    failed: int


class Selected(BaseModel):
    """An intervention chosen for a priority need, before sequencing."""

    intervention_id: str
    name: str
    addresses: list[str]
    mandatory: bool
    reasons: list[Reason]
    adaptations: list[Reason]
    kind: str
    provider: str


class MatchResponse(BaseModel):
    """What matches, what was ruled out and why, what is unmet; no order or weeks."""

    person_id: str
    rules_version: str
    priority_needs: list[str]
    selected: list[Selected]
    excluded: list[Exclusion]
    unmet_needs: list[UnmetNeed]
    warnings: list[Warning]
    programme_pathway: ProgrammePathway | None = None
    trace: list[dict[str, Any]] | None = None


class InterventionList(BaseModel):
    rules_version: str
    count: int
    interventions: list[Intervention]


class RulesInfo(BaseModel):
    """The loaded rulebook: version, files, rule counts, vocabulary."""

    model_config = ConfigDict(extra="allow")

    rules_version: str
    files: list[str]
    rule_count: int
    rules_by_file: dict[str, int]
    intervention_count: int
    vocabulary: dict[str, Any]
    warnings: list[ProblemOut] = Field(default_factory=list)


class ProblemOut(BaseModel):
    file: str
    line: int
    severity: str
    message: str
    suggestion: str = ""


class ValidateRequest(BaseModel):
    """Rule or catalogue files to check, overlaid on the live rulebook's files; ``null`` deletes."""

    model_config = ConfigDict(extra="forbid")

    files: dict[FileName, str | None] = Field(
        max_length=200,
        json_schema_extra=_file_names,
        description="file name (as in GET /v1/rules `files`, e.g. rules/rulesets/50_risk.yaml) → YAML text, or null to delete it",
    )


class ValidateResponse(BaseModel):
    valid: bool
    version: str = Field(description="the version the rulebook would have with this change")
    live_version: str
    changed: list[str]
    problems: list[ProblemOut]


class GraphNode(BaseModel):
    id: str
    name: str
    kind: str
    needs: list[str]


class GraphEdge(BaseModel):
    id: str = Field(description="the sequencing rule (or prerequisite) that makes this edge")
    source: str
    target: str
    type: str
    lag_weeks: int
    conditional: bool
    rationale: str


class PolicyEdge(BaseModel):
    id: str
    before: str
    after: str
    type: str
    lag_weeks: int
    conditional: bool
    rationale: str
    source: str
    file: str
    line: int
    intervention_pairs: int


class GraphResponse(BaseModel):
    """The sequencing policy: its rules, and the intervention-level graph they imply."""

    rules_version: str
    policy: list[PolicyEdge]
    nodes: list[GraphNode]
    edges: list[GraphEdge]


class Health(BaseModel):
    status: str
    rules_version: str | None = None
    reloads: int | None = None


class ReloadResponse(BaseModel):
    rules_version: str
    previous_version: str
    changed: bool
    reloads: int


RulesInfo.model_rebuild()


class DecisionRequest(BaseModel):
    """A practitioner's decision on one intervention of a stored plan (design.md §6.2)."""

    model_config = ConfigDict(extra="forbid")

    intervention_id: CodeId = Field(examples=["kaizen_ipv"])
    decision: Literal["accepted", "rejected", "added"]
    reason: Note | None = Field(
        default=None,
        validate_default=True,
        description="why: required to reject or add, optional to accept",
        examples=["prefers one-to-one work after a bad experience of groups"],
    )

    @field_validator("reason")
    @classmethod
    def _reason_unless_accepted(cls, reason: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("decision", "accepted") != "accepted" and not (reason or "").strip():
            raise PydanticCustomError(
                "reason_required", "a reason is required to reject or add an intervention"
            )
        return reason


class PersonPlans(BaseModel):
    """A person's stored plans, newest first, each at its latest version."""

    person_id: str
    plans: list[Plan]


class AuditEvent(BaseModel):
    kind: Literal["issued", "decision", "progress", "review"]
    at: datetime
    by: str
    rules_version: str | None
    detail: dict[str, Any]


class AuditTrail(BaseModel):
    """What happened to a plan, oldest first; append-only."""

    plan_id: str
    events: list[AuditEvent]


class Erased(BaseModel):
    erased: int = Field(description="plans removed")


class Identifier(BaseModel):
    type: Literal["CRN"] = "CRN"
    value: str


class PersonReference(BaseModel):
    identifiers: list[Identifier]


class DomainEvent(BaseModel):
    """An event in the HMPPS domain-event shape (its camelCase field names)."""

    eventType: str = Field(examples=["plan.issued"])
    version: int
    occurredAt: datetime
    detailUrl: str | None
    personReference: PersonReference
    additionalInformation: dict[str, Any]


class EventFeed(BaseModel):
    """Events after the cursor, oldest first; ask again with ``after=next`` for more."""

    events: list[DomainEvent]
    next: str


class ProgressRequest(BaseModel):
    """Progress on one intervention of a stored plan, from the field (design.md §6.2)."""

    model_config = ConfigDict(extra="forbid")

    intervention_id: CodeId = Field(examples=["crs_accommodation"])
    status: Literal[
        "referred", "waiting", "started", "completed", "not_completed", "declined", "unavailable"
    ]
    date: IsoDate = Field(description="when it happened: not after today, not before the plan")
    reason: Note | None = None
    reason_code: CodeId | None = Field(
        default=None, description="a vocabulary progress_reasons code, e.g. relapse"
    )


class ProgressResponse(BaseModel):
    plan_id: str
    intervention_id: str
    status: str
    status_history: list[StatusChange]


class PlanList(BaseModel):
    """Stored plans, each at its latest version."""

    plans: list[Plan]


class ReviewRequest(BaseModel):
    """A review: optionally a new assessment of the same person (else the stored one)."""

    model_config = ConfigDict(extra="forbid")

    assessment: Assessment | None = None


class Said(BaseModel):
    intervention_id: str
    reason: str


class Moved(BaseModel):
    intervention_id: str
    from_week: int  # weeks from the new plan_start
    to_week: int
    reason: str


class Changes(BaseModel):
    """What a review added, removed and moved, and why."""

    added: list[Said] = Field(default_factory=list)
    removed: list[Said] = Field(default_factory=list)
    moved: list[Moved] = Field(default_factory=list)


class Reviewed(Plan):
    """The plan's new version, and what the review changed."""

    changes: Changes
