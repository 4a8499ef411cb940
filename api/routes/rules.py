"""GET /v1/rules, POST /v1/rules/validate and GET /v1/sequencing-graph."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, Response

from api import service
from api.deps import PicturesDep, RulebookDep
from api.errors import responses
from api.examples import VALIDATE_EXAMPLES
from api.json_body import StrictJsonRoute
from api.schemas import GraphResponse, RulesInfo, ValidateRequest, ValidateResponse

router = APIRouter(tags=["rules"], responses=responses(500, 503), route_class=StrictJsonRoute)
PICTURES = {"svg": "image/svg+xml", "png": "image/png"}


@router.get("/v1/rules", summary="The loaded rules: version, files, rule counts, vocabulary")
def get_rules(rulebook: RulebookDep) -> RulesInfo:
    return service.rules_info(rulebook)


@router.post(
    "/v1/rules/validate",
    summary="Check changed rule or catalogue files without touching the live rules",
    responses=responses(413, 415, 422),
)
def validate_rules(
    body: Annotated[ValidateRequest, Body(openapi_examples=VALIDATE_EXAMPLES)],
    rulebook: RulebookDep,
) -> ValidateResponse:
    """The files sent are laid over the live files; every problem comes back with file and line."""
    return service.validate(rulebook, body.files)


@router.get(
    "/v1/sequencing-graph",
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
