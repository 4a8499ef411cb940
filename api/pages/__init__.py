"""Pages for people (design.md §6.5), served by the same app: practitioners at ``/`` (make, read
and act on a plan), policy staff at ``/rules`` (rules, scenarios, validation, provision), in the
GOV.UK Design System's styles. ``install(app)`` is the one way in (api.main)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from api import decisions, records, service
from api.pages import make, plans, policy
from api.pages.admission import FormAdmission
from api.pages.services import Services
from api.pages.web import STATIC, PageError, SignInNeeded, error_page, sign_in_url
from api.schemas import DecisionRequest
from api.settings import Settings
from api.signin import add_session
from matcher.model.contract import Plan
from matcher.reports.scenarios import run_all
from matcher.rulebook.book import Rulebook
from matcher.store.plans import Store

HERE = Path(__file__).resolve().parent


def _decide(
    store: Store, rulebook: Rulebook, plan_id: str, body: DecisionRequest, seen: int | None, by: str
) -> Plan:
    return decisions.decide(store, rulebook, plan_id, body, seen, records.Request(by))


class _Scenarios:
    """`matcher test`'s results, run once per rules version (they take seconds)."""

    def __init__(self, settings: Settings) -> None:
        self._rules_dir = settings.rules_dir
        self._lock = threading.Lock()
        self._results: tuple[str, list[dict[str, Any]]] | None = None

    def __call__(self, rulebook: Rulebook) -> list[dict[str, Any]]:
        with self._lock:
            if self._results is None or self._results[0] != rulebook.version:
                found = run_all(rulebook, self._rules_dir)
                shown = [{**vars(r), "passed": r.passed} for r in found]
                self._results = (rulebook.version, shown)
            return self._results[1]


async def _page_error(request: Request, error: Exception) -> HTMLResponse:
    assert isinstance(error, PageError)
    return error_page(request, error)


async def _sign_in(request: Request, error: Exception) -> RedirectResponse:
    assert isinstance(error, SignInNeeded)
    return RedirectResponse(sign_in_url(error.path), status_code=303)


def install(app: FastAPI) -> None:
    """The pages, their static files, the session cookie, and form posts past the JSON guard
    (call after the guard is added, so these middlewares sit outside it)."""
    settings: Settings = app.state.settings
    app.state.pages = Services(
        decide=_decide, validate=service.validate, scenarios=_Scenarios(settings)
    )
    for module in (make, plans, policy):
        app.include_router(module.router)
    app.mount(STATIC, StaticFiles(directory=HERE / "static"), "static")
    app.add_exception_handler(PageError, _page_error)
    app.add_exception_handler(SignInNeeded, _sign_in)
    app.add_middleware(
        FormAdmission,
        max_body_bytes=settings.max_body_bytes,
        body_timeout=settings.body_timeout_seconds,
    )
    add_session(app, settings)  # the one session cookie, shared with sign-in (api/signin.py)
