"""Health, readiness and reload."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.auth import Policy
from api.deps import LiveDep, ReloaderDep
from api.errors import ApiError, responses
from api.json_body import StrictJsonRoute
from api.schemas import Health, ReloadResponse

router = APIRouter(tags=["operations"], route_class=StrictJsonRoute)


@router.get("/healthz", summary="The process is alive")
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", summary="The rulebook is loaded", responses=responses(503))
async def readyz(request: Request) -> Health:
    live = getattr(request.app.state, "live", None)
    if live is None:
        raise ApiError(
            503, "the rulebook is not loaded yet", code="not_ready", headers={"Retry-After": "1"}
        )
    return Health(status="ready", rules_version=live.current.version, reloads=live.reloads)


@router.post(
    "/v1/admin/reload",
    summary="Reload rules and catalogue from their folders; a broken change keeps the old version",
    dependencies=[Policy],
    responses=responses(401, 403, 413, 415, 422, 500, 503),
)
def reload(live: LiveDep, reloader: ReloaderDep) -> ReloadResponse:
    return reloader.reload(live)
