"""Catalogue records: one intervention as catalogue/interventions/*.yaml describes it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

_STRICT = ConfigDict(frozen=True, extra="forbid")


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
    model_config = _STRICT

    min: int


class Eligibility(BaseModel):
    model_config = _STRICT

    gender: list[str] | None = None
    age: AgeRange | None = None
    ogrs_band: list[str] | None = None
    rosh: list[str] | None = None
    osp_band: list[str] | None = None
    sentence_type: list[str] | None = None
    weeks_left: WeeksLeft | None = None
    requires_flags: list[str] = Field(default_factory=list)
    requires_responsivity: list[str] = Field(default_factory=list)


class Exclusions(BaseModel):
    model_config = _STRICT

    flags: list[str] = Field(default_factory=list)
    responsivity: list[str] = Field(default_factory=list)


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
    regions: Literal["all"] | Annotated[list[str], Field(min_length=1)]
    wait_weeks: Annotated[int, Field(ge=0, le=104)]
    accessibility: Accessibility = Field(default_factory=Accessibility)
    prerequisites: list[str] = Field(default_factory=list)
    eligibility: Eligibility = Field(default_factory=Eligibility)
    exclusions: Exclusions = Field(default_factory=Exclusions)
    source: str
    file: str = ""  # where it was read from, for explanations and errors
    line: int = 0

    def serves(self, region: str) -> bool:
        return self.regions == "all" or region in self.regions

    def attribute(self, name: str) -> Any:
        """A selector attribute (see rules/README.md, "Choosing interventions")."""
        if name in ("ld_adapted", "women_only", "interpreter"):
            return getattr(self.accessibility, name)
        return getattr(self, name)
