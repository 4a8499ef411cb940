"""One error envelope for every failure, and the one place where errors become HTTP responses."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from matcher.model.errors import (
    AssessmentError,
    EngineBusyError,
    IdempotencyKeyReusedError,
    MatcherError,
    NotFoundError,
    Problem,
    RulebookError,
    StoreUnavailableError,
    VersionConflictError,
)

logger = logging.getLogger("matcher.api")

RETRY_AFTER_SECONDS = "1"
STORE_RETRY_AFTER_SECONDS = "5"
_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "version_conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}


EXCERPT = 40  # the most characters of a caller's value an error quotes (paths and messages)
MESSAGE = 300  # the longest message of a field error (pydantic's never quote the value)


def _absent(value: object) -> bool:
    return value is None


def excerpt(text: str, most: int = EXCERPT) -> str:
    """At most ``most`` characters of what a caller sent, for an error to quote.

    >>> excerpt("x" * 200_000)[-2:], len(excerpt("x" * 200_000))
    ('x…', 41)
    """
    return text if len(text) <= most else text[:most] + "…"


class ErrorItem(BaseModel):
    """One thing wrong: where (a JSON path, a query parameter, or a file and line) and what."""

    path: str = Field(examples=["needs[0].area"])
    message: str = Field(examples=["unknown need area 'finanse'; did you mean 'finance'?"])
    file: str | None = Field(default=None, exclude_if=_absent)
    line: int | None = Field(default=None, exclude_if=_absent)
    severity: str | None = Field(default=None, exclude_if=_absent)
    suggestion: str | None = Field(default=None, exclude_if=_absent)


class ErrorEnvelope(BaseModel):
    """The body of every error response."""

    status: int = Field(examples=[422])
    code: str = Field(examples=["validation_error"])
    message: str = Field(examples=["the assessment has 1 problem"])
    errors: list[ErrorItem] = Field(default_factory=list)
    correlation_id: str | None = Field(
        default=None, exclude_if=_absent, examples=["5f0c6c1e9d2b4a57a1c0d3e2f4b6a8c9"]
    )


class ApiError(Exception):
    """An error the API raises on purpose; rendered as the envelope."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: Sequence[ErrorItem] = (),
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.errors = status, message, list(errors)
        self.code = code or _CODES.get(status, "error")
        self.headers = dict(headers or {})


def envelope(
    status: int,
    message: str,
    errors: Iterable[ErrorItem] = (),
    code: str | None = None,
    correlation_id: str | None = None,
) -> ErrorEnvelope:
    return ErrorEnvelope(
        status=status,
        code=code or _CODES.get(status, "error"),
        message=message,
        errors=list(errors),
        correlation_id=correlation_id,
    )


def error_response(env: ErrorEnvelope, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(env.model_dump(exclude_none=True), status_code=env.status, headers=headers)


def json_path(loc: Sequence[str | int]) -> str:
    """``("needs", 0, "area")`` → ``needs[0].area``; a key pydantic refused is named by itself,
    and each part quoted at most EXCERPT characters long.

    >>> json_path(["sentence", "requirements", 2])
    'sentence.requirements[2]'
    >>> json_path(["oasys_items", "6.1x", "[key]"])
    'oasys_items.6.1x'
    """
    text = ""
    for part in loc:
        if part == "[key]":
            continue
        text += f"[{part}]" if isinstance(part, int) else ("." if text else "") + excerpt(str(part))
    return text


def _header(name: str) -> str:
    """``if-match`` → ``If-Match``: a header as the documentation spells it."""
    return "-".join(word.capitalize() for word in name.split("-"))


def field_errors(errors: Iterable[Mapping[str, Any]]) -> list[ErrorItem]:
    """pydantic's errors → envelope items with JSON paths (``body`` is the whole body)."""
    items = []
    for error in errors:
        where, *rest = error["loc"] or ("body",)
        inner = json_path(rest)
        if where == "header":
            inner = _header(inner)
        path = inner or "body" if where == "body" else f"{where}.{inner}" if inner else str(where)
        if where not in ("body", "query", "path", "header"):
            path = json_path(error["loc"]) or "body"  # a model validated outside a request
        message = excerpt(str(error["msg"]).removeprefix("Value error, "), MESSAGE)
        if error["type"] == "missing" and path == "body":
            message = "a JSON body is required"
        items.append(ErrorItem(path=path, message=message))
    return items


def problem_items(problems: Iterable[Problem]) -> list[ErrorItem]:
    return [
        ErrorItem(
            path=f"{p.file}:{p.line}",
            message=p.message,
            file=p.file,
            line=p.line,
            severity=p.severity,
            suggestion=p.suggestion or None,
        )
        for p in problems
    ]


def assessment_error(error: AssessmentError) -> ErrorEnvelope:
    items = [ErrorItem(path=e.path, message=e.message) for e in error.errors]
    return envelope(422, _count("the assessment", items), items)


def malformed_json(reason: str, path: str = "body") -> ApiError:
    """A body that is not JSON as we take it (``api.json_body``): a 422 naming where."""
    message = f"the body is not valid JSON: {reason}"
    return ApiError(422, message, [ErrorItem(path=path, message=message)], "malformed_json")


def validation_error(
    errors: Sequence[Mapping[str, Any]], what: str = "the request"
) -> ErrorEnvelope:
    malformed = [e for e in errors if e["type"] == "json_invalid"]
    if malformed:
        where = malformed[0]["loc"][-1]
        detail = malformed[0].get("ctx", {}).get("error", "cannot be parsed")
        message = f"the body is not valid JSON: {detail} (at character {where})"
        return envelope(422, message, [ErrorItem(path="body", message=message)], "malformed_json")
    items = field_errors(errors)
    return envelope(422, _count(what, items), items)


def _count(what: str, items: Sequence[ErrorItem]) -> str:
    return f"{what} has {len(items)} problem{'s' if len(items) != 1 else ''}; see errors"


def correlation_id(request: Request) -> str | None:
    return getattr(request.state, "correlation_id", None)


def log_internal(error: BaseException, cid: str | None, method: str, path: str) -> None:
    """Log a fault without personal data: the type and the stack, never the message or the body."""
    stack = "".join(traceback.format_tb(error.__traceback__))
    logger.error(
        "internal error correlation_id=%s %s %s: %s\n%s",
        cid,
        method,
        path,
        type(error).__name__,
        stack,
    )


def install(app: FastAPI) -> None:
    """Map every error to the envelope, in one place."""

    def respond(
        request: Request, env: ErrorEnvelope, headers: Mapping[str, str] | None = None
    ) -> JSONResponse:
        return error_response(
            env.model_copy(update={"correlation_id": correlation_id(request)}), headers
        )

    async def api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return respond(
            request, envelope(exc.status, exc.message, exc.errors, exc.code), exc.headers
        )

    async def request_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return respond(request, validation_error(exc.errors()))

    async def bad_assessment(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AssessmentError)
        return respond(request, assessment_error(exc))

    async def bad_rulebook(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RulebookError)
        items = problem_items(exc.problems)
        return respond(request, envelope(422, str(exc), items, "rulebook_invalid"))

    async def busy(request: Request, exc: Exception) -> JSONResponse:
        env = envelope(503, "every evaluation slot is busy; retry shortly", code="engine_busy")
        return respond(request, env, {"Retry-After": RETRY_AFTER_SECONDS})

    async def matcher_fault(request: Request, exc: Exception) -> JSONResponse:
        cid = correlation_id(request)
        log_internal(exc, cid, request.method, request.url.path)
        return respond(request, envelope(500, f"internal error; quote correlation id {cid}"))

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return respond(request, envelope(exc.status_code, str(exc.detail)), exc.headers)

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, request_validation)
    app.add_exception_handler(AssessmentError, bad_assessment)
    app.add_exception_handler(RulebookError, bad_rulebook)
    app.add_exception_handler(EngineBusyError, busy)
    for error_type, render in _STORE_ERRORS.items():
        app.add_exception_handler(error_type, _handler(respond, render))
    app.add_exception_handler(MatcherError, matcher_fault)
    app.add_exception_handler(StarletteHTTPException, http_error)


Render = Callable[[Exception], tuple[ErrorEnvelope, dict[str, str]]]


def _store_down(exc: Exception) -> tuple[ErrorEnvelope, dict[str, str]]:
    message = f"{exc}; plans can still be made with ?store=false"
    env = envelope(503, message, code="database_unavailable")
    return env, {"Retry-After": STORE_RETRY_AFTER_SECONDS}


def _conflict(exc: Exception) -> tuple[ErrorEnvelope, dict[str, str]]:
    current = exc.current if isinstance(exc, VersionConflictError) else 0
    return envelope(409, str(exc)), {"ETag": f'"{current}"'}


def _key_reused(exc: Exception) -> tuple[ErrorEnvelope, dict[str, str]]:
    item = ErrorItem(path="header.Idempotency-Key", message=str(exc))
    return envelope(422, str(exc), [item], "idempotency_key_reused"), {}


_STORE_ERRORS: dict[type[Exception], Render] = {
    NotFoundError: lambda exc: (envelope(404, str(exc)), {}),
    VersionConflictError: _conflict,
    IdempotencyKeyReusedError: _key_reused,
    StoreUnavailableError: _store_down,
}


def _handler(
    respond: Callable[[Request, ErrorEnvelope, Mapping[str, str] | None], JSONResponse],
    render: Render,
) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        env, headers = render(exc)
        return respond(request, env, headers)

    return handle


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries documenting the envelope for the given statuses."""
    described = {
        401: "No bearer token, or one that is expired, from another issuer or not valid",
        403: "The token's roles do not allow this operation",
        408: "The body did not arrive in time",
        404: "Not found",
        409: "The plan has moved on since the version in If-Match",
        413: "Body over the configured limit",
        415: "Body is not JSON",
        422: "Invalid input: each error names its JSON path, query parameter, or file and line",
        500: "Internal fault, with a correlation id that is also in the log",
        503: "Not ready, every evaluation slot busy, or the database unavailable (Retry-After)",
    }
    return {s: {"model": ErrorEnvelope, "description": described[s]} for s in statuses}
