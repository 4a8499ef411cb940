"""The shape of rule-file entries (pydantic): checked before anything reads them, so a wrongly
shaped value is a problem with its file and line, never a crash of the checker."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from matcher.model.policy import NEED_ORDER_CRITERIA, TIE_BREAK_CRITERIA

Scalar = str | int | float | bool


Selector = dict[str, Scalar | list[Scalar]]


_STRICT = ConfigDict(frozen=True, extra="forbid")


class TargetSpec(BaseModel):
    model_config = _STRICT

    interventions: list[str] = Field(default_factory=list)
    select: Selector | None = None
    weight: float = 1.0
    include: bool = False
    prepares: bool = False
    mandatory: bool = False  # recommend: the sentence requires it (a treatment requirement)
    alongside: bool = False  # recommend: a companion, never a need's main choice
    urgent: bool = False  # recommend: crisis work, started at once whatever the capacity limit
    comes_first: str | None = None  # recommend: a precedence level of rules/policy.yaml


class FlagSpec(BaseModel):
    model_config = _STRICT

    code: str | None = None


class DeriveSpec(BaseModel):
    model_config = _STRICT

    name: str
    value: Scalar = True
    per_need: bool = False
    precedence: int = 100


class ProposeSpec(BaseModel):
    """A requirement to propose to the court in a pre-sentence report."""

    model_config = _STRICT

    requirement: str
    intervention: str | None = None


class ThenSpec(BaseModel):
    model_config = _STRICT

    recommend: TargetSpec | None = None
    exclude: TargetSpec | None = None
    adapt: TargetSpec | None = None
    flag: FlagSpec | None = None
    derive: DeriveSpec | None = None
    propose: ProposeSpec | None = None


class ExampleSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")

    description: str = ""
    assessment: dict[str, Any] = Field(default_factory=dict)
    fires: bool


class EdgeSpec(BaseModel):
    model_config = _STRICT

    id: str
    before: Selector
    after: Selector
    type: Literal["finish_to_start", "start_to_start"] = "finish_to_start"
    lag_weeks: Annotated[int, Field(ge=0, le=104)] = 0
    when: Any = None
    firm: bool = False  # never set aside to let more pressing work finish in time
    rationale: str
    source: str


class PrecedenceSpec(BaseModel):
    model_config = _STRICT

    level: str
    text: str


class TieBreakSpec(BaseModel):
    model_config = _STRICT

    criterion: str
    text: str


class SelectionSpec(BaseModel):
    model_config = _STRICT

    priority_need: str
    multi_need_bonus: Annotated[float, Field(ge=0)]
    max_items: Annotated[int, Field(ge=1)]
    assessed_from_severity: Annotated[int, Field(ge=0)]
    need_order: list[str]
    accredited_kind: str = "accredited_programme"
    precedence: list[PrecedenceSpec] = Field(default_factory=list)
    tie_break: list[TieBreakSpec] = Field(default_factory=list)
    preference: list[str] = Field(default_factory=list)
    provision_gap_when: list[str] = Field(default_factory=list)

    @field_validator("tie_break")
    @classmethod
    def _ends_with_preference(cls, value: list[TieBreakSpec]) -> list[TieBreakSpec]:
        names = [t.criterion for t in value]
        unknown = [c for c in names if c not in TIE_BREAK_CRITERIA]
        if unknown:
            raise ValueError(
                f"unknown criterion {unknown[0]!r}; use {', '.join(TIE_BREAK_CRITERIA)}"
            )
        if not names or names[-1] != "preference":
            raise ValueError("the last tie-break must be 'preference', so no tie is left to the id")
        return value

    @field_validator("need_order")
    @classmethod
    def _known_criteria(cls, value: list[str]) -> list[str]:
        unknown = [c for c in value if c not in NEED_ORDER_CRITERIA]
        if unknown:
            raise ValueError(
                f"unknown criterion {unknown[0]!r}; use {', '.join(NEED_ORDER_CRITERIA)}"
            )
        return value


class CapacitySpec(BaseModel):
    model_config = _STRICT

    max_concurrent: Annotated[int, Field(ge=1)]
    max_hours_per_week: Annotated[float, Field(gt=0)]


class PathwaySpec(BaseModel):
    model_config = _STRICT

    pathway: str
    risk_level: str
    need_level: str
    shown_when_given: list[str]


class RarSpec(BaseModel):
    model_config = _STRICT

    providers: list[str]
    days_per_session: Annotated[float, Field(gt=0)]


class MandatedSpec(BaseModel):
    model_config = _STRICT

    cannot_be_delivered_when: list[str]
    is_its_own_requirement: list[str]


class UnpaidWorkSpec(BaseModel):
    model_config = _STRICT

    ete_share: Annotated[float, Field(ge=0, le=1)]
    ete_interventions: list[str]


class ProgrammeRequirementSpec(BaseModel):
    model_config = _STRICT

    requirement: str
    kinds: list[str]


class RarProposalSpec(BaseModel):
    model_config = _STRICT

    requirement: str
    round_up_to: Annotated[int, Field(ge=1, le=60)]


class ProposalsSpec(BaseModel):
    model_config = _STRICT

    sentence_types: list[str]
    assume: list[str]
    programme: ProgrammeRequirementSpec
    rar: RarProposalSpec


class PeopleSpec(BaseModel):
    model_config = _STRICT

    adults_from_age: Annotated[int, Field(ge=0, le=120)]
    not_planned_again: list[Literal["completed", "started", "not_completed", "declined"]]


class ThinProvisionSpec(BaseModel):
    model_config = _STRICT

    providers: list[str]
    tiers: list[str]
