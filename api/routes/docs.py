"""Swagger UI at /docs, served from the installed ``swagger-ui-bundle`` package (no CDN), its one
inline script allowed by a per-response nonce in the content security policy."""

from __future__ import annotations

import html
import secrets
from pathlib import Path

import swagger_ui_bundle
from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

router = APIRouter(include_in_schema=False)
ASSETS = "/docs/assets"
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} – API</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script nonce="{nonce}">
window.ui = SwaggerUIBundle({{url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
  persistAuthorization: false, presets: [SwaggerUIBundle.presets.apis]}});
</script>
</body>
</html>
"""


def policy(nonce: str) -> str:
    """The page's CSP: scripts only from here or with the nonce; nothing framed, nothing sent away.

    Swagger UI sets style attributes, so styles allow 'unsafe-inline' (styles cannot run code).
    """
    return (
        "default-src 'none'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
        "font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    page = PAGE.format(title=html.escape("matcher"), assets=ASSETS, nonce=nonce)
    return HTMLResponse(page, headers={"Content-Security-Policy": policy(nonce)})


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount(ASSETS, StaticFiles(directory=Path(swagger_ui_bundle.swagger_ui_path)), "docs")
