"""The commissioning gap report from the catalogue: need areas with no, or only thin, provision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from matcher.model.catalogue import Intervention
from matcher.model.errors import Problem
from matcher.model.policy import ThinProvision as ThinPolicy
from matcher.model.vocabulary import Vocabulary

CATALOGUE_FILES = "catalogue/interventions/"


def _provided(intervention: Intervention, vocabulary: Vocabulary) -> bool:
    """Delivered in the community, where provision gaps are counted."""
    return vocabulary.assessment_setting in intervention.settings


def provision_gaps(
    vocabulary: Vocabulary, catalogue: dict[str, Intervention], on: date | None = None
) -> list[Problem]:
    """Need areas with no provision at all in a region ``on`` a day (contracts live then): the
    commissioning gap report (warnings)."""
    problems = []
    for region, area in gap_list(vocabulary, catalogue, on):
        problems.append(
            Problem(
                CATALOGUE_FILES,
                1,
                f"no intervention addresses {area!r} in region {region!r}",
                severity="warning",
            )
        )
    return problems


def gap_list(
    vocabulary: Vocabulary, catalogue: dict[str, Intervention], on: date | None = None
) -> list[tuple[str, str]]:
    """(region, need area) pairs with no community provision at all."""
    gaps = []
    by_area = _community_work(vocabulary, catalogue)
    for region in vocabulary.regions:
        for area in vocabulary.need_areas:
            if not any(i.serves(region, on) for i in by_area[area]):
                gaps.append((region, area))
    return gaps


def _community_work(
    vocabulary: Vocabulary, catalogue: dict[str, Intervention]
) -> dict[str, list[Intervention]]:
    """Per need area, the entries addressing it that are delivered in the community, in catalogue
    order (read once, not once per region)."""
    return {
        area: [i for i in catalogue.values() if area in i.needs and _provided(i, vocabulary)]
        for area in vocabulary.need_areas
    }


@dataclass(frozen=True)
class ThinProvision:
    """A need area whose provision in one region is thin: what is missing, and what there is."""

    region: str
    area: str
    problem: str  # "partner_or_universal_only" | "no_provision_for_<gender>"
    interventions: tuple[str, ...]

    def message(self, vocabulary: Vocabulary) -> str:
        where = f"{self.area!r} in region {self.region!r}"
        if self.problem == "partner_or_universal_only":
            return f"provision for {where} is only partner or universal services ({', '.join(self.interventions)}): no commissioned or internal targeted work"
        gender = self.problem.removeprefix("no_provision_for_")
        return f"no provision for {vocabulary.label('genders', gender)} for {where}; what there is ({', '.join(self.interventions)}) is for other genders only"


def thin_provision_list(
    vocabulary: Vocabulary,
    catalogue: dict[str, Intervention],
    thin: ThinPolicy,
    on: date | None = None,
) -> list[ThinProvision]:
    """Where provision exists but is thin: only partner/universal services, or none for a gender."""
    found = []
    genders = vocabulary.codes("genders")
    by_area = _community_work(vocabulary, catalogue)
    for region in vocabulary.regions:
        for area in vocabulary.need_areas:
            there = [i for i in by_area[area] if i.serves(region, on)]
            if not there:
                continue  # a full gap: provision_gaps reports it
            ids = tuple(i.id for i in there)
            if all(i.provider in thin.providers or i.tier in thin.tiers for i in there):
                found.append(ThinProvision(region, area, "partner_or_universal_only", ids))
            for gender in genders:
                if not any(
                    i.eligibility.gender is None or gender in i.eligibility.gender for i in there
                ):
                    found.append(ThinProvision(region, area, f"no_provision_for_{gender}", ids))
    return found


def thin_provision(
    vocabulary: Vocabulary,
    catalogue: dict[str, Intervention],
    thin: ThinPolicy,
    on: date | None = None,
) -> list[Problem]:
    return [
        Problem(CATALOGUE_FILES, 1, row.message(vocabulary), severity="warning")
        for row in thin_provision_list(vocabulary, catalogue, thin, on)
    ]
