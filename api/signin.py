"""Signing in to the pages (design.md §6.3, §6.5; ADR 0015): OpenID Connect, a session cookie.

``install(app)`` adds, outside the OpenAPI document (they are for browsers, not integrators):

- ``GET /sign-in?next=/path`` starts the authorization-code flow with PKCE (S256), ``state`` and
  ``nonce``, through Authlib's Starlette client, against ``MATCHER_OIDC_DISCOVERY_URL``;
- ``GET /sign-in/callback`` exchanges the code and validates the ID token (signature by the
  provider's JWKS, issuer from the discovery document, audience = ``MATCHER_OIDC_CLIENT_ID``,
  nonce, expiry), then puts the caller in the session — ``request.session["caller"] = {"name",
  "client_id", "roles"}`` — in a fresh session, and redirects to ``next`` when it is a local path;
- ``POST /sign-out`` empties the session; it must come from this service's own origin (the
  ``Origin`` header, else ``Referer``) or carry the session's CSRF token (``X-CSRF-Token`` header
  or ``csrf_token`` query parameter; see ``csrf_token``);
- ``GET /sign-in/me``: the signed-in caller as JSON, or 401.

The caller's name comes from ``user_name``, else ``preferred_username``, else ``sub``; roles from
the ID token's ``authorities`` or ``roles``, else from the access token verified as the API
verifies bearer tokens, else from the userinfo endpoint. Without the three ``MATCHER_OIDC_*``
settings the sign-in routes answer 503 and the JSON API works as before.

The session lives in Starlette's signed cookie ``matcher_session`` (HTTP-only, SameSite=Lax,
Secure when ``MATCHER_SESSION_HTTPS_ONLY``, by default when auth is jwt). It holds the caller, a
CSRF token and, during a sign-in, Authlib's state, nonce and PKCE verifier — never a token.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Any
from urllib.parse import urlsplit

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.starlette_client import OAuth, OAuthError
from authlib.integrations.starlette_client.apps import StarletteOAuth2App
from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from joserfc.errors import JoseError
from starlette.middleware.sessions import SessionMiddleware

try:  # Authlib's HTTP client: httpx2 when installed, else httpx (deprecated by Authlib 1.9)
    from httpx2 import HTTPError
except ImportError:
    from httpx import HTTPError

from api.auth import LEEWAY_SECONDS, Authenticator, _roles, _text_claim
from api.errors import ApiError
from api.settings import Settings

logger = logging.getLogger("matcher.api")

SESSION_COOKIE = "matcher_session"
SESSION_MAX_AGE_SECONDS = 8 * 3600  # a working day; renewed while the pages are in use
CALLER = "caller"  # session key: {"name": str, "client_id": str | None, "roles": [str]}
CSRF = "csrf"  # session key of the CSRF token (the pages' forms use the same one)
CSRF_FIELD = "csrf_token"  # the query parameter (a form's body is not read here)
CSRF_HEADER = "x-csrf-token"
_NEXT = "sign_in_next"  # session key: where to go after signing in
_SETTINGS = (
    ("MATCHER_OIDC_DISCOVERY_URL", "oidc_discovery_url"),
    ("MATCHER_OIDC_CLIENT_ID", "oidc_client_id"),
    ("MATCHER_OIDC_CLIENT_SECRET", "oidc_client_secret"),
)

router = APIRouter(include_in_schema=False)


def session_options(settings: Settings) -> dict[str, Any]:
    """The arguments of the one ``SessionMiddleware`` (whoever adds it: pages or sign-in)."""
    key = settings.session_key.get_secret_value() if settings.session_key else None
    https_only = settings.session_https_only
    return {
        "secret_key": key or secrets.token_urlsafe(32),
        "session_cookie": SESSION_COOKIE,
        "max_age": SESSION_MAX_AGE_SECONDS,
        "same_site": "lax",
        "https_only": settings.auth == "jwt" if https_only is None else https_only,
    }


def add_session(app: FastAPI, settings: Settings) -> None:
    """Add ``SessionMiddleware`` unless the app already has it (idempotent)."""
    if any(getattr(m, "cls", None) is SessionMiddleware for m in app.user_middleware):
        return
    app.add_middleware(SessionMiddleware, **session_options(settings))


def missing_settings(settings: Settings) -> list[str]:
    """The ``MATCHER_OIDC_*`` variables that are not set."""
    return [env for env, name in _SETTINGS if not getattr(settings, name)]


def install(app: FastAPI) -> None:
    """The session middleware, the OpenID Connect client (when configured) and the routes."""
    settings: Settings = app.state.settings
    missing = missing_settings(settings)
    if missing and settings.auth == "jwt":
        logger.warning(
            "sign-in to the pages is not configured (%s unset): /sign-in answers 503; "
            "the JSON API is not affected",
            ", ".join(missing),
        )
    if settings.auth == "jwt" and settings.session_key is None:
        logger.warning(
            "MATCHER_SESSION_KEY is unset: a random key per start, so sessions end on restart "
            "and do not cross workers"
        )
    app.state.signin = None if missing else _register(settings)
    add_session(app, settings)
    app.include_router(router)


def _register(settings: Settings) -> StarletteOAuth2App:
    assert settings.oidc_client_secret is not None  # missing_settings said all three are set
    oauth = OAuth()
    client: StarletteOAuth2App = oauth.register(
        name="matcher",
        server_metadata_url=settings.oidc_discovery_url,
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret.get_secret_value(),
        client_kwargs={"scope": "openid profile", "code_challenge_method": "S256", "timeout": 10},
    )
    return client


def caller(request: Request) -> dict[str, Any] | None:
    """The signed-in caller in the session, or None."""
    found = request.session.get(CALLER)
    return found if isinstance(found, dict) and isinstance(found.get("name"), str) else None


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use; a new one after each sign-in), for forms."""
    token = request.session.get(CSRF)
    if not isinstance(token, str) or not token:
        token = request.session[CSRF] = secrets.token_urlsafe(32)
    return token


def local_path(given: object) -> str:
    """``given`` if it is a path on this service, else ``/`` (no open redirect).

    >>> [local_path(p) for p in ("/plans?x=1", "//evil.example", "/\\\\evil", "https://e.x/", None)]
    ['/plans?x=1', '/', '/', '/', '/']
    """
    if not isinstance(given, str) or not given.startswith("/") or given.startswith("//"):
        return "/"
    if "\\" in given or any(ord(c) < 0x21 or ord(c) == 0x7F for c in given) or len(given) > 2000:
        return "/"
    return given


def _client(request: Request) -> StarletteOAuth2App:
    client: StarletteOAuth2App | None = request.app.state.signin
    if client is None:
        missing = missing_settings(request.app.state.settings)
        raise ApiError(
            503,
            f"sign-in is not configured: set {', '.join(missing)} (design.md §6.3)",
            code="sign_in_not_configured",
        )
    return client


@router.get("/sign-in")
async def sign_in(request: Request, next: str = "/") -> RedirectResponse:
    """Send the browser to the identity provider, remembering where to come back to."""
    client = _client(request)
    request.session[_NEXT] = local_path(next)
    try:
        response: RedirectResponse = await client.authorize_redirect(
            request, request.url_for("sign_in_callback")
        )
    except (HTTPError, AuthlibBaseError, ValueError, KeyError) as error:
        raise _unreachable(error) from error
    return response


@router.get("/sign-in/callback", name="sign_in_callback")
async def sign_in_callback(request: Request) -> RedirectResponse:
    """The provider's answer: the code for tokens, the ID token checked, the caller kept."""
    client = _client(request)
    token = await _exchange(client, request)
    claims = token.get("userinfo")
    if not isinstance(claims, dict):
        raise ApiError(401, "the identity provider sent no ID token", code="sign_in_refused")
    found = await _caller(request, client, token, claims)
    destination = local_path(request.session.get(_NEXT))
    request.session.clear()  # a new session for the signed-in person: nothing carried over
    request.session[CALLER] = found
    request.state.caller = found["name"]
    logger.info("signed in: %s with roles %s", found["name"], ",".join(found["roles"]) or "none")
    return RedirectResponse(destination, status_code=303)


@router.post("/sign-out")
async def sign_out(request: Request) -> RedirectResponse:
    """Empty the session, if the request comes from our own pages (see ``_from_our_pages``)."""
    if not _from_our_pages(request):
        raise ApiError(
            403,
            "sign-out must come from this service's own pages: same-origin Origin or Referer, "
            "or the session's CSRF token",
            code="csrf_failed",
        )
    request.session.clear()
    return RedirectResponse("/signed-out", status_code=303)  # a page needing no sign-in


@router.get("/sign-in/me")
async def me(request: Request) -> dict[str, Any]:
    """The signed-in caller, or 401."""
    found = caller(request)
    if found is None:
        raise ApiError(401, "nobody is signed in: start at /sign-in", code="unauthorized")
    request.state.caller = found["name"]
    return found


async def _exchange(client: StarletteOAuth2App, request: Request) -> dict[str, Any]:
    """The tokens for the code, with the ID token validated (Authlib), or the error to answer."""
    try:
        metadata = await client.load_server_metadata()
        issuer = metadata.get("issuer")
        if not isinstance(issuer, str) or not issuer:
            raise ValueError("the discovery document names no issuer")
        token: dict[str, Any] = await client.authorize_access_token(
            request,
            claims_options={  # Authlib checks the audience only when told to
                "iss": {"essential": True, "value": issuer},
                "aud": {"essential": True, "value": client.client_id},
            },
            leeway=LEEWAY_SECONDS,
        )
    except OAuthError as error:
        if error.error == "mismatching_state":
            raise ApiError(
                400,
                "the sign-in's state does not match this browser's session: start again at /sign-in",
                code="bad_request",
            ) from error
        raise ApiError(
            401, f"the identity provider refused the sign-in: {error.error}", code="sign_in_refused"
        ) from error
    except JoseError as error:
        logger.warning("ID token refused: %s", error)
        raise ApiError(
            401,
            f"the identity provider's ID token was refused ({getattr(error, 'error', type(error).__name__)})",
            code="sign_in_refused",
        ) from error
    except (HTTPError, AuthlibBaseError, ValueError, KeyError) as error:
        raise _unreachable(error) from error
    return token


def _unreachable(error: Exception) -> ApiError:
    logger.warning("identity provider: %s: %s", type(error).__name__, error)
    return ApiError(
        503, "the identity provider could not be reached or answered wrongly; try again shortly"
    )


async def _caller(
    request: Request, client: StarletteOAuth2App, token: dict[str, Any], claims: dict[str, Any]
) -> dict[str, Any]:
    """The session's caller from the validated ID token (roles from elsewhere when it has none)."""
    name = _text_claim(claims, "user_name", "preferred_username", "sub")
    if name is None:
        raise ApiError(401, "the ID token names nobody", code="sign_in_refused")
    roles = _roles(claims) or await _roles_elsewhere(request, client, token, claims)
    settings: Settings = request.app.state.settings
    return {"name": name, "client_id": settings.oidc_client_id, "roles": sorted(roles)}


async def _roles_elsewhere(
    request: Request, client: StarletteOAuth2App, token: dict[str, Any], claims: dict[str, Any]
) -> frozenset[str]:
    """Roles from the access token (verified as the API verifies it), else from userinfo."""
    authenticator: Authenticator = request.app.state.auth
    access = token.get("access_token")
    if authenticator.enabled and isinstance(access, str):
        try:
            return (await run_in_threadpool(authenticator.caller, access)).roles
        except ApiError as error:
            logger.info("access token gives no roles: %s", error.message)
    metadata = await client.load_server_metadata()
    if not metadata.get("userinfo_endpoint"):
        return frozenset()
    try:
        info = await client.userinfo(token=token)
    except (HTTPError, AuthlibBaseError, ValueError) as error:
        logger.warning("userinfo: %s", type(error).__name__)
        return frozenset()
    if info.get("sub") != claims.get("sub"):  # OIDC Core 5.3.2: must be the same person
        logger.warning("userinfo names another subject than the ID token; its roles are ignored")
        return frozenset()
    return _roles(dict(info))


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else None


def _from_our_pages(request: Request) -> bool:
    """Same origin by ``Origin`` (else ``Referer``); when neither says (absent, or ``null`` as
    browsers send under ``Referrer-Policy: no-referrer``), the session's CSRF token."""
    settings: Settings = request.app.state.settings
    ours = {_origin(str(request.base_url)), _origin(settings.base_url)}
    origin = request.headers.get("origin")
    if origin and origin != "null":
        return _origin(origin) in ours
    referer = request.headers.get("referer")
    if referer:
        return _origin(referer) in ours
    expected = request.session.get(CSRF)
    if not isinstance(expected, str) or not expected:
        return False
    given = request.headers.get(CSRF_HEADER) or request.query_params.get(CSRF_FIELD)
    if not given:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())
