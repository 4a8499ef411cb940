"""Form posts to the pages, past the API's JSON-only guard.

The guard (api/middleware.py) admits only JSON bodies (415 otherwise), as the API wants; a
browser's form posts ``application/x-www-form-urlencoded`` or ``multipart/form-data``. This
middleware sits outside the guard: for a form post to a page (never to ``/v1/``) it reads the
body itself, with the same size and time limits, keeps it in the request's scope, and hands the
guard an empty body, so everything else the guard does (correlation id, security headers, access
log, last-resort 500) still applies. ``form_request`` gives a page the body back to parse.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.middleware import replayed

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
KEPT = "matcher.form"  # scope key: (original headers, body)


def is_page_form(scope: Scope) -> bool:
    if scope["type"] != "http" or scope["method"] != "POST":
        return False
    if scope["path"].startswith("/v1/") or scope["path"] == "/v1":
        return False
    media = Headers(scope=scope).get("content-type", "").split(";")[0].strip().lower()
    return media in FORM_TYPES


class FormAdmission:
    """Reads a page's form body before the guard sees the request (see the module's docstring)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, body_timeout: float) -> None:
        self.app, self.limit, self.timeout = app, max_body_bytes, body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_page_form(scope):
            await self.app(scope, receive, send)
            return
        body = bytearray()
        while True:
            try:
                message = await asyncio.wait_for(receive(), self.timeout)
            except TimeoutError:
                await _refuse(408, "The form did not arrive in time.", scope, receive, send)
                return
            if message["type"] != "http.request":
                return  # the browser went away
            body += message.get("body", b"")
            if len(body) > self.limit:
                why = f"The form is larger than the limit of {self.limit} bytes."
                await _refuse(413, why, scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        inner: dict[str, Any] = dict(scope)
        inner[KEPT] = (list(scope["headers"]), bytes(body))
        inner["headers"] = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
        inner["headers"].append((b"content-length", b"0"))
        await self.app(inner, _empty(receive), send)


async def _refuse(status: int, text: str, scope: Scope, receive: Receive, send: Send) -> None:
    response = PlainTextResponse(text, status_code=status, headers={"Connection": "close"})
    await response(scope, receive, send)


def _empty(receive: Receive) -> Receive:
    sent = False

    async def empty() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return await receive()

    return empty


async def _gone() -> Message:
    return {"type": "http.disconnect"}


def form_request(request: Request) -> Request:
    """The request with its form body back (kept by ``FormAdmission``), for ``.form()``."""
    kept = request.scope.get(KEPT)
    if kept is None:
        return request
    headers, body = kept
    return Request({**request.scope, "headers": headers}, receive=replayed(body, _gone, True))
