"""The ASGI app (``api.main:app``): rulebook loaded once in the lifespan, routes, one error map."""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.utils import get_openapi

from api import errors, pages, service, signin
from api.auth import Authenticator
from api.middleware import Guard, keyed_hash
from api.openapi_codes import publish_codes, without_null_parameters
from api.routes import catalogue, docs, floor, ops, plans, reports, rules, stored
from api.settings import Settings
from api.state import Pictures, Reloader
from matcher.model.errors import RulebookError
from matcher.rulebook import build as rulebook_module
from matcher.rulebook.book import Rulebook
from matcher.rulebook.live import LiveRulebook
from matcher.store.storage import Storage

logger = logging.getLogger("matcher.api")

DESCRIPTION = """Recommends a sequenced, explained plan of interventions for a person on probation
in England and Wales. Every error has one shape: `{status, code, message, errors: [{path,
message}], correlation_id}`; see docs/api.md."""
TAGS = [
    {"name": "plans", "description": "Plans and matches for one assessment or a caseload."},
    {
        "name": "stored plans",
        "description": "Plans kept with their versions, decisions, audit trail and events.",
    },
    {
        "name": "reports",
        "description": "The commissioning picture: unmet needs and demand against capacity.",
    },
    {"name": "catalogue", "description": "The interventions the rules choose from."},
    {
        "name": "rules",
        "description": "The loaded rules, validation of a change, the sequencing graph.",
    },
    {"name": "operations", "description": "Health, readiness and reload."},
    {"name": "benchmark", "description": "Only with MATCHER_BENCH_ENDPOINTS=1."},
]


def _load(settings: Settings) -> Rulebook:
    try:
        return rulebook_module.load(settings.rules_dir, settings.catalogue_dir, probe=True)
    except RulebookError as error:
        for problem in error.problems:
            logger.error("rulebook: %s", problem)
        raise


def _reload_on_hangup(app: FastAPI) -> None:
    """SIGHUP reloads the rules; the outcome is logged. Only possible in the main thread."""
    loop = asyncio.get_running_loop()

    def reload() -> None:
        try:
            result = app.state.reloader.reload(app.state.live)
            logger.info(
                "SIGHUP: rules %s live (was %s)", result.rules_version, result.previous_version
            )
        except errors.ApiError as error:
            logger.error("SIGHUP: %s", error.message)
        except Exception as error:  # the old rules stay live; say why the new ones did not load
            errors.log_internal(error, "sighup", "SIGNAL", "SIGHUP reload")

    with suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGHUP, lambda: loop.run_in_executor(None, reload))


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    book = await run_in_threadpool(_load, settings)
    app.state.reloader = Reloader(settings)
    app.state.pictures = Pictures()
    app.state.examples = await run_in_threadpool(service.response_examples, book)
    app.state.floor_plans = {}  # the benchmark floor's (MATCHER_BENCH_ENDPOINTS=1)
    storage = app.state.storage
    await run_in_threadpool(storage.prepare)
    live = app.state.live = LiveRulebook(book)
    logger.info("rules %s loaded: %d rules", book.version, len(book.rules))
    _reload_on_hangup(app)
    try:
        yield
    finally:
        with suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        if app.state.live is live:
            app.state.live = None
        live.current.engine.close()
        storage.close()
        validator = getattr(app.state, "validator", None)  # rule validation's worker processes
        if validator is not None:
            validator.close()


def _configure_logging() -> None:
    """Our log lines reach the server's output whoever runs us (uvicorn only sets up its own)."""
    for name in ("matcher.api", "matcher.access"):
        named = logging.getLogger(name)
        if not named.handlers:
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
            named.addHandler(handler)
            named.setLevel(logging.INFO)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    _configure_logging()
    app = FastAPI(
        title="matcher",
        version="1",
        summary="Sequenced, explained intervention plans for people on probation",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,  # served from the installed package with a CSP nonce (api/routes/docs.py)
        redoc_url=None,  # ReDoc only comes from a CDN
    )
    app.state.settings = settings
    app.state.live = None
    app.state.storage = Storage(settings.database_url)
    app.state.auth = Authenticator(settings)
    errors.install(app)
    for module in (plans, stored, reports, catalogue, rules, ops):
        app.include_router(module.router)
    if settings.bench_endpoints:
        app.include_router(floor.router)
    docs.install(app)
    signin.install(app)
    key = settings.log_key.get_secret_value().encode() if settings.log_key else None
    app.add_middleware(
        Guard,
        max_body_bytes=settings.max_body_bytes,
        body_timeout=settings.body_timeout_seconds,
        person_hash=keyed_hash(key or secrets.token_bytes(32)),
    )
    pages.install(app)  # after the guard: the pages' session and form posts sit outside it
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated document, with each 200 response's example taken from the live rulebook and
    its codes as enums; made again when a reload has changed the live rulebook."""
    live: LiveRulebook | None = getattr(app.state, "live", None)
    book = live.current if live is not None else None
    version = book.version if book is not None else None
    if app.openapi_schema is None or getattr(app.state, "openapi_of", None) != version:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        for (path, method), example in getattr(app.state, "examples", {}).items():
            content = (
                schema["paths"]
                .get(path, {})
                .get(method, {})
                .get("responses", {})
                .get("200", {})
                .get("content", {})
            )
            if example is not None and "application/json" in content:
                content["application/json"]["example"] = example
        without_null_parameters(schema)
        if book is not None:
            publish_codes(schema, book, app.state.settings.max_batch)
        app.state.openapi_of = version
        app.openapi_schema = schema
    return app.openapi_schema


app = create_app()
