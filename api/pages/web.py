"""What every page needs: the templates (GOV.UK Frontend's macros, from govuk-frontend-jinja),
rendering under the pages' content security policy with a fresh nonce, the CSRF token, who is
signed in and what they may not do, and the rulebook and store in use."""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, PackageLoader, PrefixLoader, select_autoescape
from starlette.datastructures import FormData

from api.auth import ANONYMOUS, ERASURE, PLANS, POLICY, REPORTS, Caller
from api.errors import ApiError
from api.pages.admission import form_request
from api.settings import Settings
from matcher.model.errors import (
    EngineBusyError,
    NotFoundError,
    StoreUnavailableError,
    VersionConflictError,
)
from matcher.rulebook.book import Rulebook
from matcher.rulebook.live import LiveRulebook
from matcher.store.plans import Store
from matcher.store.storage import Storage

templates = Environment(
    loader=ChoiceLoader(
        [
            PackageLoader("api.pages", "templates"),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    ),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _option(choice: tuple[str, str], current: Any) -> dict[str, Any]:
    return {"value": choice[0], "text": choice[1], "selected": choice[0] == (current or "")}


def _radio(choice: tuple[str, str], current: Any) -> dict[str, Any]:
    return {"value": choice[0], "text": choice[1], "checked": choice[0] == current}


def _check(choice: tuple[str, str], current: Any) -> dict[str, Any]:
    return {"value": choice[0], "text": choice[1], "checked": choice[0] in (current or [])}


def _extract(key: str, mapping: Any) -> Any:
    return mapping.get(key, key)


templates.filters.update(
    option_item=_option, radio_item=_radio, check_item=_check, extract=_extract
)
STATIC = "/static"
CSRF_FIELD = "csrf_token"
DRAWING = threading.Lock()  # matplotlib (the timeline and the charts) is not thread-safe
# what each role lets a person do on the pages, for "you cannot …" messages
ROLE_ACTIONS = {
    PLANS: "make plans or record decisions and progress",
    POLICY: "validate rule changes",
    REPORTS: "see the provision report",
    ERASURE: "erase a person's records",
}


class PageError(Exception):
    """An error shown as a GOV.UK error page (403 for a bad form token, 404, 503 …)."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


class SignInNeeded(Exception):
    """Nobody is signed in (auth on): the page sends them to /sign-in and back."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def policy(nonce: str) -> str:
    """The pages' CSP: everything from here; the one inline script only with the nonce."""
    return (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )


def csrf_token(request: Request) -> str:
    """The session's token for forms (made on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def page_form(request: Request) -> FormData:
    """A posted form, its CSRF token checked against the session's (403 page otherwise)."""
    form = await form_request(request).form()
    sent = form.get(CSRF_FIELD)
    kept = request.session.get("csrf")
    if not (isinstance(sent, str) and isinstance(kept, str) and hmac.compare_digest(sent, kept)):
        raise PageError(
            403,
            "Your form could not be sent",
            "The form had expired or did not come from this service. Go back, reload the page "
            "and try again.",
        )
    return form


def page_caller(request: Request) -> Caller:
    """Who is signed in: anonymous with every role when auth is off; otherwise the caller the
    sign-in put in the session, or a redirect to /sign-in and back."""
    settings: Settings = request.app.state.settings
    if settings.auth == "off":
        caller = ANONYMOUS
    else:
        found = request.session.get("caller")
        if not isinstance(found, dict) or not isinstance(found.get("name"), str):
            raise SignInNeeded(request.url.path)
        roles = found.get("roles") or []
        client = found.get("client_id")
        caller = Caller(
            found["name"],
            client if isinstance(client, str) else None,
            frozenset(r for r in roles if isinstance(r, str)),
        )
    request.state.caller, request.state.client_id = caller.name, caller.client_id
    if not caller.roles & set(ROLE_ACTIONS):  # as the API: even reference data needs a role
        raise PageError(
            403,
            "You do not have access",
            f"{caller.name} is signed in, but the account has none of matcher's roles "
            f"({', '.join(sorted(ROLE_ACTIONS))}). Ask for one to be added.",
        )
    return caller


def sign_in_url(path: str) -> str:
    return "/sign-in?next=" + quote(path, safe="/")


def cannot(caller: Caller, *roles: str) -> list[str]:
    """What the caller may not do on a page about ``roles``, in plain words."""
    return [
        f"You cannot {ROLE_ACTIONS[role]}: your account does not have {role}."
        for role in roles
        if role not in caller.roles
    ]


def require(caller: Caller, role: str) -> None:
    if role not in caller.roles:
        raise PageError(403, "You do not have access", cannot(caller, role)[0])


def page_rulebook(request: Request) -> Iterator[Rulebook]:
    """The live rulebook, kept for the whole request (as api.deps.use_rulebook; not imported
    from there, which would put the pages a level deeper than api.main may be)."""
    live: LiveRulebook | None = getattr(request.app.state, "live", None)
    if live is None:
        raise PageError(503, "Sorry, the service is starting", "Try again in a moment.")
    with live.use() as rulebook:
        yield rulebook


def page_store(request: Request) -> Store:
    storage: Storage = request.app.state.storage
    return storage.store()


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    status: int = 200,
    caller: Caller | None = None,
) -> HTMLResponse:
    """A page under the pages' CSP, with a fresh nonce for the one inline script."""
    nonce = secrets.token_urlsafe(16)
    page = templates.get_template(template).render(
        request=request,
        path=request.url.path,
        nonce=nonce,
        cspNonce=nonce,
        csrf_field=CSRF_FIELD,
        csrf=csrf_token(request),
        caller=caller,
        static=STATIC,
        **context,
    )
    return HTMLResponse(page, status, headers={"Content-Security-Policy": policy(nonce)})


def error_page(request: Request, error: PageError) -> HTMLResponse:
    context = {"title": error.title, "detail": error.detail, "status": error.status}
    return render(request, "error.html", context, error.status)


@contextmanager
def shown_as_page() -> Iterator[None]:
    """Errors of the service layer and the store, as GOV.UK error pages."""
    try:
        yield
    except NotFoundError as error:
        raise PageError(404, "Page not found", str(error)) from error
    except VersionConflictError as error:
        raise PageError(409, "The plan has changed", str(error)) from error
    except (StoreUnavailableError, EngineBusyError) as error:
        raise PageError(
            503, "Sorry, try again later", "The service is busy or its database is unavailable."
        ) from error
    except ApiError as error:
        raise PageError(
            error.status, _TITLES.get(error.status, "There is a problem"), error.message
        ) from error


_TITLES = {404: "Page not found", 409: "The plan has changed", 503: "Sorry, try again later"}
CallerDep = Annotated[Caller, Depends(page_caller)]
RulebookDep = Annotated[Rulebook, Depends(page_rulebook)]
StoreDep = Annotated[Store, Depends(page_store)]
FormDep = Annotated[FormData, Depends(page_form)]
