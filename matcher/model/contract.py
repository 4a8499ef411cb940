"""The v1 contract (design.md §5, §6): the assessment a caller sends and the plan it gets back."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

_FROZEN = ConfigDict(frozen=True, extra="forbid")
_PERSON_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]*", re.ASCII)


def no_nul(value: str) -> str:
    """Text a database can keep: no NUL character (PostgreSQL refuses it in text and JSON).

    >>> no_nul("a" + chr(0) + "b")
    Traceback (most recent call last):
    ...
    ValueError: must not contain the NUL character
    """
    if "\x00" in value:
        raise ValueError("must not contain the NUL character")
    return value


def plain_id(value: str) -> str:
    """A person's id as other systems give it (a CRN, a NOMIS or case number): letters, digits
    and ``_ . - :``, so it can name the person in a URL and shows as it is.

    >>> plain_id("X123456")
    'X123456'
    >>> plain_id("A/1")
    Traceback (most recent call last):
    ...
    ValueError: may hold only letters, digits and _ . - : (starting with a letter or digit)
    """
    if not _PERSON_ID.fullmatch(value):
        raise ValueError(
            "may hold only letters, digits and _ . - : (starting with a letter or digit)"
        )
    return value


Stored = AfterValidator(no_nul)


Percent = Annotated[float, Field(ge=0, le=100)]


Code = Annotated[str, Field(min_length=1, max_length=64), Stored]
MAX_LIST = 64  # a bound on request size, not policy
Text = Annotated[str, Field(min_length=1, max_length=500), Stored]
ClockTime = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class Curfew(BaseModel):
    """Hours the person must be at home: no item may need attendance between ``from`` and ``to``."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    start: ClockTime = Field(alias="from")
    end: ClockTime = Field(alias="to")


class Sentence(BaseModel):
    model_config = _FROZEN

    type: Code
    start_date: date
    end_date: date
    requirements: list[Code] = Field(default_factory=list, max_length=20)
    rar_days: Annotated[int, Field(ge=0, le=365)] | None = None
    mandated: list[Code] = Field(default_factory=list, max_length=20)
    curfew: Curfew | None = None
    unpaid_work_hours: Annotated[int, Field(ge=0, le=300)] | None = None

    @model_validator(mode="after")
    def _ends_after_start(self) -> Sentence:
        if self.end_date <= self.start_date:
            raise ValueError("end_date must be after start_date")
        return self


class Risk(BaseModel):
    model_config = _FROZEN

    ogrs: Percent | None = None
    rosh: Code | None = None
    mappa_level: Annotated[int, Field(ge=0, le=3)] | None = None
    flags: list[Code] = Field(default_factory=list, max_length=20)
    ovp: Percent | None = None
    rsr: Percent | None = None
    osp_dc: Code | None = None
    osp_iic: Code | None = None
    sara_partner: Code | None = None
    sara_other: Code | None = None


class Need(BaseModel):
    model_config = _FROZEN

    area: Code
    severity: Annotated[int, Field(ge=0, le=2)]
    linked_to_offending: bool = False
    linked_to_harm: bool = False  # OASys: linked to risk of serious harm


class Custody(BaseModel):
    """The person is in prison; the sentence describes what follows release, from release_date."""

    model_config = _FROZEN

    release_date: date
    establishment: Annotated[str, Field(min_length=1, max_length=120), Stored] | None = None


class HistoryEntry(BaseModel):
    """Work already done or tried."""

    model_config = _FROZEN

    intervention_id: Code
    status: Literal["completed", "started", "not_completed", "declined"]
    end_date: date | None = None
    reason: Text | None = None
    reason_code: Code | None = None  # vocabulary progress_reasons, e.g. breach, relapse


class Goal(BaseModel):
    """The person's own goal, in their words."""

    model_config = _FROZEN

    text: Text
    need_area: Code | None = None


class Assessment(BaseModel):
    """One person's assessment: the body of ``POST /v1/plans``."""

    model_config = _FROZEN

    person_id: Annotated[str, Field(min_length=1, max_length=64), AfterValidator(plain_id)]
    age: Annotated[int, Field(ge=10, le=120)]
    gender: Code
    region: Code | None = None
    sentence: Sentence
    risk: Risk = Field(default_factory=Risk)
    # how many need areas there are is the vocabulary's to say (unknown or repeated areas are
    # refused); this bound only keeps a request small
    needs: list[Need] = Field(default_factory=list, max_length=MAX_LIST)
    strengths: list[Code] = Field(default_factory=list, max_length=30)
    responsivity: list[Code] = Field(default_factory=list, max_length=30)
    oasys_items: dict[
        Annotated[str, Field(max_length=64), Stored], Annotated[int, Field(ge=0, le=2)]
    ] = Field(default_factory=dict, max_length=40)
    ldc_score: Annotated[int, Field(ge=0, le=100)] | None = None
    pdu: Code | None = None
    accommodation_status: Code | None = None
    custody: Custody | None = None
    history: list[HistoryEntry] = Field(default_factory=list, max_length=MAX_LIST)
    goals: list[Goal] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _one_entry_per_need_area(self) -> Assessment:
        areas = [need.area for need in self.needs]
        if len(areas) != len(set(areas)):
            raise ValueError("each need area may appear only once in needs")
        return self


class Reason(BaseModel):
    model_config = _FROZEN

    rule_id: str
    text: str


class Exclusion(BaseModel):
    model_config = _FROZEN

    intervention_id: str
    rule_id: str
    reason: str


class ItemDecision(BaseModel):
    """A practitioner's decision on an item of a stored plan (design.md §6.2)."""

    model_config = _FROZEN

    decision: Literal["accepted", "rejected", "added"]
    reason: str | None = None
    by: str
    at: datetime


class StatusChange(BaseModel):
    """One piece of progress on an item of a stored plan (design.md §6.2)."""

    model_config = _FROZEN

    status: str
    date: date
    reason: str | None = None
    reason_code: str | None = None
    by: str
    at: datetime


class Decisions(BaseModel):
    """What practitioners decided and the field reported on a stored plan, as the planner takes
    it: the interventions rejected and added (id → the decision, with its reason and who made
    it), those reported unavailable (id → the reason given), weeks already spent waiting for a
    place (id → weeks), and the need areas work completed in the plan has met."""

    model_config = _FROZEN

    rejected: dict[str, ItemDecision] = Field(default_factory=dict)
    added: dict[str, ItemDecision] = Field(default_factory=dict)
    unavailable: dict[str, str] = Field(default_factory=dict)
    waited: dict[str, int] = Field(default_factory=dict)
    met: list[str] = Field(default_factory=list)  # need areas met by work completed in the plan


class PlanItem(BaseModel):
    model_config = _FROZEN

    intervention_id: str
    name: str
    addresses: list[str]
    phase: int = 0
    start_week: int = 0
    end_week: int = 0
    after: list[str] = Field(default_factory=list)
    mandatory: bool = False
    reasons: list[Reason]
    adaptations: list[Reason] = Field(default_factory=list)
    kind: str = ""
    provider: str = ""
    hours_per_week: float = 0
    wait_weeks: int = 0
    setting: str | None = None  # where it is delivered: custody or community
    role: Literal["intervention", "referral"] = "intervention"
    alongside: list[str] = Field(default_factory=list)  # ids of the items it runs alongside
    status: str | None = None  # the latest progress (design.md §6.2): "started" if under way
    # stored plans only (design.md §6.2): progress on the item, and the practitioner's decision
    status_history: list[StatusChange] | None = None
    decision: ItemDecision | None = None


class UnmetNeed(BaseModel):
    model_config = _FROZEN

    area: str
    reason: str
    excluded: list[Exclusion] = Field(default_factory=list)


class Warning(BaseModel):
    model_config = _FROZEN

    code: str
    message: str
    rule_id: str | None = None


class ProgrammePathway(BaseModel):
    model_config = _FROZEN

    pathway: str
    risk_level: str | None
    need_level: str | None
    reasons: list[Reason]


class ProvisionGap(BaseModel):
    """The work the rules prefer for a need is not provided for this person (design.md §6.1)."""

    model_config = _FROZEN

    need_area: str
    wanted: list[str]  # the intervention ids the rules prefer
    reason: str
    available_in: list[
        str
    ]  # region ids where it is provided (PDU ids where only in some), or ["all"]


class Plan(BaseModel):
    """The answer: v1 field names are fixed (design.md §5); fields may be added, never renamed."""

    model_config = _FROZEN

    person_id: str
    rules_version: str
    items: list[PlanItem]
    unmet_needs: list[UnmetNeed]
    warnings: list[Warning]
    programme_pathway: ProgrammePathway | None = None
    priority_needs: list[str] = Field(default_factory=list)
    excluded: list[Exclusion] = Field(default_factory=list)
    plan_start: date | None = None
    weeks_available: int | None = None  # weeks from plan_start to the sentence end
    release_week: int | None = None  # in custody: weeks from plan_start to the release date
    goals: list[Goal] = Field(default_factory=list)  # the person's own goals, as given
    provision_gaps: list[ProvisionGap] = Field(default_factory=list)
    trace: list[dict[str, Any]] | None = None
    # stored plans (design.md §6.2); null when planned with ?store=false
    plan_id: str | None = None
    version: int | None = None
    created_at: datetime | None = None
    requested_by: str | None = None


class ProposedRequirement(BaseModel):
    """A requirement to propose to the court, and why (design.md §6.1, proposals)."""

    model_config = _FROZEN

    code: str
    days: int | None = None
    hours: int | None = None
    intervention_id: str | None = None
    reasons: list[Reason]


class Proposal(BaseModel):
    """The answer of ``POST /v1/proposals``: the requirements to propose and the plan they allow."""

    model_config = _FROZEN

    person_id: str
    rules_version: str
    requirements: list[ProposedRequirement]
    plan: Plan
    warnings: list[Warning] = Field(default_factory=list)
