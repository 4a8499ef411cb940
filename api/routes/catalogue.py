"""GET /v1/interventions and /v1/interventions/{intervention_id}."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api import service
from api.auth import AnyRole
from api.deps import RulebookDep
from api.errors import responses
from api.json_body import StrictJsonRoute
from api.schemas import InterventionList
from matcher.model.catalogue import Intervention
from matcher.model.contract import IDENTIFIER

router = APIRouter(
    tags=["catalogue"],
    dependencies=[AnyRole],
    responses=responses(401, 403, 500, 503),
    route_class=StrictJsonRoute,
)
Filter = Annotated[str | None, Query(max_length=64)]


@router.get(
    "/v1/interventions", summary="The intervention catalogue, filtered", responses=responses(422)
)
def list_interventions(
    rulebook: RulebookDep,
    need_area: Annotated[
        str | None, Query(max_length=64, pattern=IDENTIFIER, description="e.g. accommodation")
    ] = None,
    region: Annotated[
        str | None, Query(max_length=64, pattern=IDENTIFIER, description="e.g. north_east")
    ] = None,
    kind: Annotated[
        str | None,
        Query(max_length=64, pattern=IDENTIFIER, description="e.g. accredited_programme"),
    ] = None,
    gender: Annotated[
        str | None, Query(max_length=64, pattern=IDENTIFIER, description="male or female")
    ] = None,
) -> InterventionList:
    """Every filter value must be a vocabulary code; an unknown one is a 422 naming the parameter."""
    filters = {"need_area": need_area, "region": region, "kind": kind, "gender": gender}
    return service.interventions(rulebook, **filters)


@router.get(
    "/v1/interventions/{intervention_id}",
    summary="One intervention",
    responses=responses(404, 422),
)
def get_intervention(
    rulebook: RulebookDep,
    intervention_id: Annotated[
        str, Path(max_length=64, pattern=IDENTIFIER, examples=["crs_accommodation"])
    ],
) -> Intervention:
    """An unknown id is a 404 that suggests the closest known one."""
    return service.intervention(rulebook, intervention_id)
