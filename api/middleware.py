"""The guard around every request: correlation id, body size (413) and read time (408), JSON
only (415), security headers, one access-log line naming the caller and a keyed hash of the
person, and the last-resort 500 that logs a correlation id and no personal data."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import time
import uuid
from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ErrorEnvelope, ErrorItem, envelope, error_response, log_internal

access_log = logging.getLogger("matcher.access")

_CID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_WITH_BODY = {"POST", "PUT", "PATCH"}
DISCARD_BYTES = 64 * 2**20  # an oversized body is read this far, so every client sees the 413
# JSON carrying personal data: never cached, never sniffed, never framed, nothing loaded from it
SECURITY_HEADERS = [
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
DEFAULT_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def keyed_hash(key: bytes) -> Callable[[str], str]:
    """A person id → a keyed hash (HMAC-SHA256, 16 hex digits): the same person links across a
    log, and nobody without ``MATCHER_LOG_KEY`` can tell who.

    >>> keyed_hash(b"k")("X123456") == keyed_hash(b"k")("X123456") != keyed_hash(b"j")("X123456")
    True
    """

    def digest(person_id: str) -> str:
        return hmac.new(key, person_id.encode(), hashlib.sha256).hexdigest()[:16]

    return digest


def secured(headers: list[tuple[bytes, bytes]], cid: str) -> list[tuple[bytes, bytes]]:
    """The response's headers with the correlation id and the security headers it has not set.

    >>> names = [k for k, _ in secured([(b"content-security-policy", b"x")], "c")]
    >>> names.count(b"content-security-policy"), b"cache-control" in names
    (1, True)
    """
    given = {name.lower() for name, _ in headers}
    added = [(k, v) for k, v in SECURITY_HEADERS if k not in given]
    if b"content-security-policy" not in given:
        added.append((b"content-security-policy", DEFAULT_CSP))
    return [*headers, *added, (b"x-correlation-id", cid.encode())]


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

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        body_timeout: float = 30.0,
        person_hash: Callable[[str], str] = lambda _: "-",
    ) -> None:
        self.app, self.max_body_bytes, self.body_timeout = app, max_body_bytes, body_timeout
        self.person_hash = person_hash

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        given = headers.get("x-correlation-id", "")
        cid = given if _CID.match(given) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["correlation_id"] = cid
        started, status, began = False, 0, time.perf_counter()

        async def send_secured(message: Message) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started, status = True, message["status"]
                message["headers"] = secured(list(message.get("headers", [])), cid)
            await send(message)

        try:
            if scope["method"] in _WITH_BODY:
                rejected, receive = await self._admit(headers, receive)
                if rejected is not None:
                    env = rejected.model_copy(update={"correlation_id": cid})
                    close = {"Connection": "close"} if env.status in (408, 413) else None
                    await error_response(env, close)(scope, receive, send_secured)
                    return
            await self.app(scope, receive, send_secured)
        except Exception as error:  # the last resort: whatever escaped every handler
            log_internal(error, cid, scope["method"], scope["path"])
            if not started:
                env = envelope(
                    500, f"internal error; quote correlation id {cid}", correlation_id=cid
                )
                await error_response(env)(scope, receive, send_secured)
        finally:
            self._log(scope, status or 500, time.perf_counter() - began)

    def _log(self, scope: Scope, status: int, seconds: float) -> None:
        """One line a request: never the path with its ids, nor the person's id itself."""
        state, route = scope.get("state", {}), scope.get("route")
        person = state.get("person_id") or scope.get("path_params", {}).get("person_id")
        access_log.info(
            "%s %s %d %.1fms caller=%s client=%s cid=%s person=%s",
            scope["method"],
            getattr(route, "path", None) or "(no route)",
            status,
            seconds * 1000,
            state.get("caller", "-"),
            state.get("client_id") or "-",
            state.get("correlation_id", "-"),
            self.person_hash(person) if isinstance(person, str) else "-",
        )

    async def _admit(
        self, headers: Headers, receive: Receive
    ) -> tuple[ErrorEnvelope | None, Receive]:
        limit = self.max_body_bytes
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            await self._discard(receive, int(length))
            return _too_large(limit), _disconnected
        body = bytearray()
        while True:
            try:
                message = await asyncio.wait_for(receive(), self.body_timeout)
            except TimeoutError:
                return envelope(
                    408, f"the body did not arrive within {self.body_timeout:g} s"
                ), _disconnected
            if message["type"] != "http.request":
                return None, replayed(bytes(body), receive, disconnected=True)
            body += message.get("body", b"")
            if len(body) > limit:
                if message.get("more_body", False):
                    await self._discard(receive, DISCARD_BYTES)
                return _too_large(limit), _disconnected
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
        return None, replayed(bytes(body), receive)

    async def _discard(self, receive: Receive, announced: int) -> None:
        """Read and drop up to ``DISCARD_BYTES`` of a body that will not be used, so a client
        that sends it all before reading (urllib, requests) gets the 413 and not a reset; the
        connection is closed after the answer, so anything beyond is never read."""
        if announced > DISCARD_BYTES:
            return
        read = 0
        while read <= DISCARD_BYTES:
            try:
                message = await asyncio.wait_for(receive(), self.body_timeout)
            except TimeoutError:
                return
            if message["type"] != "http.request":
                return
            read += len(message.get("body", b""))
            if not message.get("more_body", False):
                return


async def _disconnected() -> Message:
    return {"type": "http.disconnect"}


def _too_large(limit: int) -> ErrorEnvelope:
    return envelope(413, f"the body is larger than the limit of {limit} bytes")


def replayed(body: bytes, receive: Receive, disconnected: bool = False) -> Receive:
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
