"""GET /v1/rules, POST /v1/rules/validate and GET /v1/sequencing-graph."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, Request, Response

from api import service
from api.auth import AnyRole, Policy
from api.deps import PicturesDep, RulebookDep, SettingsDep
from api.errors import responses
from api.examples import VALIDATE_EXAMPLES
from api.json_body import StrictJsonRoute
from api.schemas import GraphResponse, RulesInfo, ValidateRequest, ValidateResponse
from api.validation import ValidatorDep, file_limits

router = APIRouter(
    tags=["rules"], responses=responses(401, 403, 500, 503), route_class=StrictJsonRoute
)
PICTURES = {"svg": "image/svg+xml", "png": "image/png"}


@router.get(
    "/v1/rules",
    dependencies=[AnyRole],
    summary="The loaded rules: version, files, rule counts, vocabulary",
)
def get_rules(rulebook: RulebookDep) -> RulesInfo:
    return service.rules_info(rulebook)


@router.post(
    "/v1/rules/validate",
    dependencies=[Policy],
    summary="Check changed rule or catalogue files without touching the live rules",
    responses=responses(413, 415, 422),
)
async def validate_rules(
    body: Annotated[ValidateRequest, Body(openapi_examples=VALIDATE_EXAMPLES)],
    request: Request,
    rulebook: RulebookDep,
    settings: SettingsDep,
    validator: ValidatorDep,
) -> ValidateResponse:
    """The files sent are laid over the live files; every problem comes back with file and line.
    The check runs in a worker process, within the limits in docs/api.md."""
    service.check_names(body.files)
    file_limits(body.files, settings)
    report = await validator.check(
        rulebook.version, rulebook.files, body.files, request.is_disconnected
    )
    return service.validated(rulebook, body.files, report)


@router.get(
    "/v1/sequencing-graph",
    dependencies=[AnyRole],
    summary="The sequencing policy graph, as JSON or a picture",
    response_model=GraphResponse,
    responses={
        **responses(422),
        200: {
            "content": {
                media: {"schema": {"type": "string", "format": "binary"}}
                for media in PICTURES.values()
            }
        },
    },
)
def sequencing_graph(
    rulebook: RulebookDep,
    pictures: PicturesDep,
    format: Annotated[
        Literal["json", "svg", "png"], Query(description="json, or a picture")
    ] = "json",
) -> GraphResponse | Response:
    if format == "json":
        return service.graph(rulebook)
    return Response(pictures.draw(rulebook, format), media_type=PICTURES[format])
