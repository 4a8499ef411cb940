"""The v1 contract (design.md §5, §6): the assessment a caller sends and the plan it gets back."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    model_validator,
)

_FROZEN = ConfigDict(frozen=True, extra="forbid")
IDENTIFIER = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"  # codes and ids: what a URL can carry as it is
_PERSON_ID = re.compile(IDENTIFIER, re.ASCII)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
# What free text may not hold, as each can hide or forge text where it is shown or logged: the
# Unicode control (NUL, CR, LF...), format (bidi, zero-width, tags), surrogate, line and paragraph
# separator characters (Cc, Cf, Cs, Zl, Zp; tests/unit checks the list against unicodedata).
_HIDDEN = (
    r"\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    r"\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
PRINTABLE = f"^[^{_HIDDEN}]*$"  # published in the OpenAPI document: text without them
# and lone surrogates, which no valid text holds (nor can a published pattern name them)
_HIDDEN_CHAR = re.compile(f"[{_HIDDEN}\\ud800-\\udfff]")


def plain_id(value: str) -> str:
    """A person's id as other systems give it (a CRN, a NOMIS or case number): letters, digits
    and ``_ . - :``, so it can name the person in a URL and shows as it is.

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


def iso_date(value: Any) -> Any:
    """A date as the contract writes it: a ``date`` or the text ``YYYY-MM-DD``; never a number
    (pydantic alone reads ``0`` as 1970-01-01) nor a date and time.

    >>> iso_date("2026-11-01"), iso_date(0)
    Traceback (most recent call last):
    ...
    ValueError: must be a date written YYYY-MM-DD
    """
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise ValueError("must be a date written YYYY-MM-DD")


def whole_number(value: Any) -> Any:
    """An integer as JSON writes it: ``34`` or ``34.0`` (JSON Schema's integer), not ``"34"``.

    >>> whole_number(34), whole_number(34.0)
    (34, 34)
    """
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError("must be an integer, written as a JSON number")


def printable(value: str) -> str:
    """Free text that shows as it is (``PRINTABLE``); spaces of any kind are fine.

    >>> printable("ok" + chr(0x202E) + "gnp.exe")
    Traceback (most recent call last):
    ...
    ValueError: must not contain control, format or line-separator characters (U+202E at 2)
    """
    found = _HIDDEN_CHAR.search(value)
    if found is not None:
        raise ValueError(
            "must not contain control, format or line-separator characters "
            f"(U+{ord(found.group()):04X} at {found.start()})"
        )
    return value


Whole = BeforeValidator(whole_number)  # last in Annotated, so the bounds stay in the schema
StrictBool = Annotated[bool, Strict()]
IsoDate = Annotated[date, BeforeValidator(iso_date)]
Shown = Annotated[str, Field(json_schema_extra={"pattern": PRINTABLE}), AfterValidator(printable)]
Text = Annotated[Shown, Field(min_length=1, max_length=500)]
Percent = Annotated[float, Strict(), Field(ge=0, le=100, allow_inf_nan=False)]
Score = Annotated[int, Field(ge=0, le=2), Whole]  # an OASys score: 0, 1 or 2


# a vocabulary code or an intervention id (the vocabulary says which exist)
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=IDENTIFIER)]
ItemCode = Annotated[str, Field(min_length=1, max_length=16, pattern=IDENTIFIER)]  # OASys item
MAX_LIST = 64  # a bound on request size, not policy
ClockTime = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class Curfew(BaseModel):
    """Hours the person must be at home: no item may need attendance between ``from`` and ``to``."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    start: ClockTime = Field(alias="from")
    end: ClockTime = Field(alias="to")


class Sentence(BaseModel):
    model_config = _FROZEN

    type: Code
    start_date: IsoDate
    end_date: IsoDate
    requirements: list[Code] = Field(default_factory=list, max_length=20)
    rar_days: Annotated[int, Field(ge=0, le=365), Whole] | None = None
    mandated: list[Code] = Field(default_factory=list, max_length=20)
    curfew: Curfew | None = None
    unpaid_work_hours: Annotated[int, Field(ge=0, le=300), Whole] | None = None

    @model_validator(mode="after")
    def _ends_after_start(self) -> Sentence:
        if self.end_date <= self.start_date:
            raise ValueError("end_date must be after start_date")
        return self


class Risk(BaseModel):
    model_config = _FROZEN

    ogrs: Percent | None = None
    rosh: Code | None = None
    mappa_level: Annotated[int, Field(ge=0, le=3), Whole] | None = None
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
    severity: Score
    linked_to_offending: StrictBool = False
    linked_to_harm: StrictBool = False  # OASys: linked to risk of serious harm


class Custody(BaseModel):
    """The person is in prison; the sentence describes what follows release, from release_date."""

    model_config = _FROZEN

    release_date: IsoDate
    establishment: Annotated[Shown, Field(min_length=1, max_length=120)] | None = None


class HistoryEntry(BaseModel):
    """Work already done or tried."""

    model_config = _FROZEN

    intervention_id: Code
    status: Literal["completed", "started", "not_completed", "declined"]
    end_date: IsoDate | None = None
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

    person_id: Annotated[
        str,
        Field(min_length=1, max_length=64, json_schema_extra={"pattern": IDENTIFIER}),
        AfterValidator(plain_id),
    ]
    age: Annotated[int, Field(ge=10, le=120), Whole]
    gender: Code
    region: Code | None = None
    sentence: Sentence
    risk: Risk = Field(default_factory=Risk)
    # how many need areas there are is the vocabulary's to say (unknown or repeated areas are
    # refused); this bound only keeps a request small
    needs: list[Need] = Field(default_factory=list, max_length=MAX_LIST)
    strengths: list[Code] = Field(default_factory=list, max_length=30)
    responsivity: list[Code] = Field(default_factory=list, max_length=30)
    oasys_items: dict[ItemCode, Score] = Field(default_factory=dict, max_length=40)
    ldc_score: Annotated[int, Field(ge=0, le=100), Whole] | None = None
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
