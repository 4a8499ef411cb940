"""GET /v1/reports/provision: the commissioning picture (design.md §6.4) from stored plans."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, Field

from api.auth import Reports
from api.deps import RulebookDep, StoreDep
from api.errors import ApiError, ErrorItem, responses
from api.json_body import StrictJsonRoute
from matcher.model.contract import IsoDate
from matcher.reports.provision import suppress, tally, to_csv, window
from matcher.reports.provision_cases import stored_people

router = APIRouter(
    tags=["reports"],
    dependencies=[Reports],
    responses=responses(401, 403, 422, 500, 503),
    route_class=StrictJsonRoute,
)

Count = int | Literal["<5"]


class ProvisionCell(BaseModel):
    """One need area in one region (``pdu`` absent) or in one of its PDUs."""

    region: str = Field(examples=["london"])
    pdu: str | None = Field(default=None, examples=["camden_and_islington"])
    need_area: str = Field(examples=["accommodation"])
    priority: Count = Field(description="people with it as a priority need")
    addressed: Count = Field(description="priority − unmet")
    unmet: Count = Field(description="people whose plan lists it in unmet_needs")
    gap: Count = Field(description="people whose plan has a provision gap for it")


class ProvisionRow(BaseModel):
    """One intervention's demand in one region (``pdu`` absent) or one of its PDUs."""

    intervention_id: str = Field(examples=["crs_accommodation"])
    region: str
    pdu: str | None = None
    demand_people: Count
    demand_hours_per_week: float | str = Field(
        description="the sum of the items' hours a week (hidden where fewer than 5 people)"
    )
    capacity: int | None = Field(default=None, description="places a year, where known")
    projected_wait_weeks: int | None = Field(
        default=None, description="ceil(52 × demand_people ÷ capacity)"
    )


class ProvisionReport(BaseModel):
    """Counts from 1 to 4 are shown as "<5"; units and formulas: docs/provision.md."""

    rules_versions: list[str]
    people: Count
    cells: list[ProvisionCell]
    interventions: list[ProvisionRow]


EXAMPLE = {
    "rules_versions": ["sha256:59d89e53…"],
    "people": 412,
    "cells": [
        {"region": "london", "need_area": "accommodation", "priority": 61, "addressed": 49,
         "unmet": 12, "gap": 9},
        {"region": "london", "pdu": "camden_and_islington", "need_area": "accommodation",
         "priority": 7, "addressed": "<5", "unmet": "<5", "gap": "<5"},
    ],
    "interventions": [
        {"intervention_id": "crs_accommodation", "region": "london", "demand_people": 49,
         "demand_hours_per_week": 49.0, "capacity": 120, "projected_wait_weeks": 22},
    ],
}  # fmt: skip

Day = Annotated[IsoDate | None, Query(description="YYYY-MM-DD")]


@router.get(
    "/v1/reports/provision",
    summary="Unmet priority needs, provision gaps and demand against capacity, by region and PDU",
    response_model=ProvisionReport,
    response_model_exclude_none=True,
    responses={
        200: {
            "content": {
                "application/json": {"example": EXAMPLE},
                "text/csv": {"schema": {"type": "string"}},
            }
        }
    },
)
def provision(
    store: StoreDep,
    rulebook: RulebookDep,
    since: Day = None,
    until: Day = None,
    region: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z0-9_]+$")] = None,
    replan: Annotated[
        bool, Query(description="re-plan the stored assessments under the live rules")
    ] = False,
    accept: Annotated[str | None, Header(max_length=500)] = None,
) -> ProvisionReport | Response:
    """The latest version of each person's newest plan created in the window (default: the
    last 12 months), or those assessments re-planned under the live rules (``?replan=true``).
    ``Accept: text/csv`` for the same as CSV."""
    if region is not None and region not in rulebook.vocabulary.regions:
        raise ApiError(
            422,
            f"unknown region {region!r}",
            [
                ErrorItem(
                    path="query.region", message=f"one of {sorted(rulebook.vocabulary.regions)}"
                )
            ],
        )
    today = date.today()
    if since and until and since > until:
        raise ApiError(
            422, "since is after until", [ErrorItem(path="query.since", message="after until")]
        )
    start, end = window(since, until, today)
    people = stored_people(store.latest_plans(start, end), rulebook, replan, today)
    region_of = {p.id: p.region for p in rulebook.vocabulary.pdus.values()}
    report = suppress(tally(people, rulebook.catalogue, region_of, region))
    if accept and "text/csv" in accept:
        return Response(to_csv(report), media_type="text/csv; charset=utf-8")
    return ProvisionReport.model_validate(report)
