"""Catalogue records: one intervention as catalogue/interventions/*.yaml describes it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

_STRICT = ConfigDict(frozen=True, extra="forbid")

_DAY_ZERO = date(2000, 1, 1)


def day_number(day: date) -> int:
    """Days since 1 January 2000: how the rules compare dates (plan start, sentence end).

    >>> day_number(date(2000, 1, 31))
    30
    """
    return (day - _DAY_ZERO).days


class Accessibility(BaseModel):
    model_config = _STRICT

    ld_adapted: bool = False
    women_only: bool = False
    interpreter: bool = False


class AgeRange(BaseModel):
    model_config = _STRICT

    min: int | None = None
    max: int | None = None


class WeeksLeft(BaseModel):
    """Weeks needed on the sentence to finish: one minimum, and/or one per sentence type."""

    model_config = _STRICT

    min: Annotated[int, Field(ge=1, le=520)] | None = None
    by_sentence_type: dict[str, Annotated[int, Field(ge=1, le=520)]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _something(self) -> WeeksLeft:
        if self.min is None and not self.by_sentence_type:
            raise ValueError("give 'min', 'by_sentence_type' or both")
        return self

    def needed(self, sentence_type: str) -> int | None:
        return self.by_sentence_type.get(sentence_type, self.min)


class ScoreRange(BaseModel):
    """A range of a percent score (OGRS3, OVP, RSR), both ends included."""

    model_config = _STRICT

    min: Annotated[int, Field(ge=0, le=100)] | None = None
    max: Annotated[int, Field(ge=0, le=100)] | None = None


# One way to meet an intervention's risk criteria: each named score in its range, or `absent`
# (not given). The entry needs one of its alternatives to hold.
ScoreAlternative = dict[str, ScoreRange | Literal["absent"]]


class Eligibility(BaseModel):
    model_config = _STRICT

    gender: list[str] | None = None
    age: AgeRange | None = None
    ogrs_band: list[str] | None = None
    rosh: list[str] | None = None
    osp_band: list[str] | None = None
    sara: list[str] | None = None
    scores: Annotated[list[ScoreAlternative], Field(min_length=1)] | None = None
    sentence_type: list[str] | None = None
    weeks_left: WeeksLeft | None = None
    requires_flags: list[str] = Field(default_factory=list)
    requires_responsivity: list[str] = Field(default_factory=list)
    # "must not be suitable for, or able to access, an accredited programme"
    not_if_accredited_suitable: bool = False


class Exclusions(BaseModel):
    model_config = _STRICT

    flags: list[str] = Field(default_factory=list)
    responsivity: list[str] = Field(default_factory=list)
    requirements: list[str] = Field(default_factory=list)


class ContractArea(BaseModel):
    """Where a contract serves: one region, one police-force area, or a list of PDUs."""

    model_config = _STRICT

    region: str | None = None
    police_force_area: str | None = None
    pdus: list[str] | None = None

    @model_validator(mode="after")
    def _one(self) -> ContractArea:
        given = [k for k in ("region", "police_force_area", "pdus") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("give exactly one of region, police_force_area or pdus")
        return self


class Contract(BaseModel):
    """One commissioned contract for an intervention (catalogue/contracts.yaml)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    ref: Annotated[str, Field(min_length=1, max_length=80)]
    intervention: str
    area: ContractArea
    genders: list[str] | None = None
    age: AgeRange | None = None
    starts: date = Field(alias="from")
    ends: date | None = Field(default=None, alias="until")  # None: no recorded end, running
    # worked out by the loader from the area and catalogue/pdus.yaml
    regions: tuple[str, ...] = ()
    pdu_ids: tuple[str, ...] = ()
    file: str = ""
    line: int = 0

    def live_on(self, day: date) -> bool:
        return self.starts <= day and (self.ends is None or day <= self.ends)

    def covers(self, region: str, pdu: str | None) -> bool:
        """Serves someone living in ``region`` (and ``pdu`` if known)."""
        if self.area.region is not None or pdu is None:
            return region in self.regions
        return pdu in self.pdu_ids


class Intervention(BaseModel):
    """One entry of the catalogue."""

    model_config = _STRICT

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    name: str
    description: str
    kind: str
    tier: str
    provider: str
    needs: Annotated[list[str], Field(min_length=1)]
    intensity: str
    formats: Annotated[list[str], Field(min_length=1)]
    duration_weeks: Annotated[int, Field(ge=1, le=260)]
    sessions: Annotated[int, Field(ge=1)]
    hours_per_week: Annotated[float, Field(gt=0, le=40)]
    delivery: Annotated[list[str], Field(min_length=1)]
    settings: Annotated[list[str], Field(min_length=1)]
    regions: Literal["all", "contracted"] | Annotated[list[str], Field(min_length=1)]
    # within its regions, a region that has PDUs listed here is served only in those PDUs
    pdus: list[str] = Field(default_factory=list)
    # places a year (people who can start it), by region or PDU id, where the catalogue knows them
    capacity: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    wait_weeks: Annotated[int, Field(ge=0, le=104)]
    accessibility: Accessibility = Field(default_factory=Accessibility)
    prerequisites: list[str] = Field(default_factory=list)
    # companions: when this is planned, these go alongside it (if open to the person)
    alongside: list[str] = Field(default_factory=list)
    # a referral is an act (the housing duty to refer): it takes no capacity and is never left
    # out for lack of time (design.md §6.1)
    role: Literal["intervention", "referral"] = "intervention"
    eligibility: Eligibility = Field(default_factory=Eligibility)
    exclusions: Exclusions = Field(default_factory=Exclusions)
    source: str
    # the HMPPS find-and-refer entry it follows (catalogue/reference/), or `none` for our own
    hmpps: Annotated[str, Field(pattern=r"^(none|[a-z0-9'-]+)$")]
    read_on: date  # when its facts were last read from the source
    status: Literal["active", "withdrawn"] = "active"
    withdrawn_on: date | None = None
    contracts: tuple[Contract, ...] = ()  # filled from catalogue/contracts.yaml
    pdu_regions: dict[str, str] = Field(default_factory=dict)  # each listed PDU's region (loader)
    file: str = ""  # where it was read from, for explanations and errors
    line: int = 0

    @model_validator(mode="after")
    def _withdrawn_dated(self) -> Intervention:
        if (self.status == "withdrawn") != (self.withdrawn_on is not None):
            raise ValueError("a withdrawn intervention needs withdrawn_on, and only it")
        return self

    def serves(self, region: str, on: date | None = None) -> bool:
        """Provided in ``region`` (by a contract live ``on`` that day, if contracted), in part
        of it where the entry lists some of its PDUs (rule ``catalogue.<id>.pdu`` says which)."""
        if self.status == "withdrawn":
            return False
        if self.regions == "contracted":
            return any(
                region in c.regions and (on is None or c.live_on(on)) for c in self.contracts
            )
        return self.regions == "all" or region in self.regions

    def places(self, on: date | None = None) -> list[str] | None:
        """Where it is provided: regions served whole, and the PDUs listed (None: everywhere)."""
        regions = self.provided_in(on)
        if not self.pdus or regions is None:  # the loader allows PDUs with a list of regions only
            return regions
        partly = set(self.pdu_regions.values())
        return [r for r in regions if r not in partly] + sorted(self.pdus)

    def provided_in(self, on: date | None = None) -> list[str] | None:
        """The regions it is provided in (None: everywhere)."""
        if self.regions == "all":
            return None
        if self.regions == "contracted":
            live = [c for c in self.contracts if on is None or c.live_on(on)]
            return sorted({r for c in live for r in c.regions})
        return list(self.regions)

    def attribute(self, name: str) -> Any:
        """A selector attribute (see rules/README.md, "Choosing interventions")."""
        if name in ("ld_adapted", "women_only", "interpreter"):
            return getattr(self.accessibility, name)
        return getattr(self, name)
