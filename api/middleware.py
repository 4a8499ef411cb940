"""The guard around every request: correlation id, body size (413), JSON only (415), and the
last-resort 500 that logs a correlation id and no personal data."""

from __future__ import annotations

import json
import re
import uuid

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ErrorEnvelope, ErrorItem, envelope, error_response, log_internal

_CID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_WITH_BODY = {"POST", "PUT", "PATCH"}


def is_json(content_type: str | None) -> bool:
    """``application/json`` or any ``application/*+json``, with or without parameters.

    >>> [is_json(t) for t in ("application/json; charset=utf-8", "text/plain", None)]
    [True, False, False]
    """
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class Guard:
    """Pure ASGI middleware; reads POST bodies up to the limit before the app sees them."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app, self.max_body_bytes = app, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        given = headers.get("x-correlation-id", "")
        cid = given if _CID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["correlation_id"] = cid
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-correlation-id", cid.encode()),
                ]
            await send(message)

        try:
            if scope["method"] in _WITH_BODY:
                rejected, receive = await self._admit(headers, receive)
                if rejected is not None:
                    env = rejected.model_copy(update={"correlation_id": cid})
                    await error_response(env)(scope, receive, send_with_id)
                    return
            await self.app(scope, receive, send_with_id)
        except Exception as error:  # the last resort: whatever escaped every handler
            log_internal(error, cid, scope["method"], scope["path"])
            if not started:
                env = envelope(
                    500, f"internal error; quote correlation id {cid}", correlation_id=cid
                )
                await error_response(env)(scope, receive, send_with_id)

    async def _admit(
        self, headers: Headers, receive: Receive
    ) -> tuple[ErrorEnvelope | None, Receive]:
        limit = self.max_body_bytes
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            return _too_large(limit), receive
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None, _replay(bytes(body), receive, disconnected=True)
            body += message.get("body", b"")
            if len(body) > limit:
                return _too_large(limit), receive
            if not message.get("more_body", False):
                break
        if body and not is_json(headers.get("content-type")):
            given = headers.get("content-type") or "none"
            return envelope(
                415, f"the body must be JSON (Content-Type: application/json), not {given!r}"
            ), receive
        if body and not _is_text(bytes(body)):
            why = "the body is not valid JSON: it is not UTF-8 (or UTF-16/32) text"
            return envelope(
                422, why, [ErrorItem(path="body", message=why)], "malformed_json"
            ), receive
        return None, _replay(bytes(body), receive)


def _too_large(limit: int) -> ErrorEnvelope:
    return envelope(413, f"the body is larger than the limit of {limit} bytes")


def _replay(body: bytes, receive: Receive, disconnected: bool = False) -> Receive:
    """A receive that hands the app the body already read, then defers to the real one."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if disconnected:
            return {"type": "http.disconnect"}
        return await receive()

    return replay


def _is_text(body: bytes) -> bool:
    """Whether ``json.loads`` could decode the bytes at all (it detects UTF-8, -16 and -32)."""
    try:
        body.decode(json.detect_encoding(body))
    except UnicodeDecodeError:
        return False
    return True
