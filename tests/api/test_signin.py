"""Signing in to the pages with OpenID Connect (design.md §6.3, §6.5; api/signin.py), over HTTP
against the real server (``python -m api.launch``) and a local OpenID provider
(tests/oidc_provider.py), following every redirect by hand: the flow, its refusals (state,
nonce, expiry, audience, issuer, signature), the open-redirect guard, sign-out and its CSRF
check, the cookie's flags; then, in-process, 503 without configuration and the CSRF token."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from starlette.middleware.sessions import SessionMiddleware

from api import signin
from api.main import create_app
from api.settings import Settings
from tests.api.server import running_server
from tests.api.tokens import bearer, settings, token
from tests.oidc_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    PLANS,
    POLICY,
    REPORTS,
    Provider,
    server_env,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with Provider() as started:
        yield started


oidc_env = server_env


@pytest.fixture(scope="module")
def base(provider: Provider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("signin")
    env = {**oidc_env(provider), "MATCHER_DATABASE_URL": f"sqlite:///{folder}/matcher.db"}
    with running_server(env, log=folder / "server.log") as (url, _):
        yield url


@pytest.fixture()
def browser() -> Iterator[httpx.Client]:
    """A browser's cookie jar; redirects followed by the test, one at a time."""
    with httpx.Client(follow_redirects=False, timeout=30) as client:
        yield client


def start(browser: httpx.Client, base: str, next: str | None = None) -> dict[str, str]:
    """``GET /sign-in``: the query of the authorization request it redirects to."""
    response = browser.get(f"{base}/sign-in", params={"next": next} if next else None)
    assert response.status_code == 302, response.text
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}


def sign_in(
    browser: httpx.Client,
    base: str,
    provider: Provider,
    user: str = "practitioner",
    fault: str | None = None,
    next: str | None = None,
    state: str | None = None,
) -> httpx.Response:
    """The whole round trip; the answer of ``/sign-in/callback``."""
    request = start(browser, base, next)
    request["test_user"] = user
    if fault:
        request["test_fault"] = fault
    approved = httpx.get(f"{provider.issuer}/authorize?{urlencode(request)}")
    assert approved.status_code == 302, approved.text
    callback = urlsplit(approved.headers["location"])
    assert f"{callback.scheme}://{callback.netloc}{callback.path}" == f"{base}/sign-in/callback"
    query = {k: v[0] for k, v in parse_qs(callback.query).items()}
    if state is not None:
        query["state"] = state
    return browser.get(f"{base}/sign-in/callback", params=query)


def me(browser: httpx.Client, base: str) -> httpx.Response:
    return browser.get(f"{base}/sign-in/me")


def test_the_authorization_request_uses_pkce_state_and_nonce(
    browser: httpx.Client, base: str, provider: Provider
) -> None:
    request = start(browser, base)
    assert request["response_type"] == "code" and request["client_id"] == CLIENT_ID
    assert request["code_challenge_method"] == "S256" and len(request["code_challenge"]) >= 43
    assert len(request["state"]) >= 20 and len(request["nonce"]) >= 20
    assert "openid" in request["scope"].split()
    assert request["redirect_uri"] == f"{base}/sign-in/callback"


def test_signing_in_names_the_user_and_roles_and_returns_to_next(
    browser: httpx.Client, base: str, provider: Provider
) -> None:
    assert me(browser, base).status_code == 401
    response = sign_in(browser, base, provider, next="/plans/p-1?tab=decisions")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/plans/p-1?tab=decisions"
    answer = me(browser, base)
    assert answer.status_code == 200
    assert answer.json() == {"name": "A.PRACTITIONER", "client_id": CLIENT_ID, "roles": [PLANS]}


@pytest.mark.parametrize(
    ("user", "name", "roles"),
    [
        ("policy", "P.OLICY", [POLICY, REPORTS]),
        ("access-roles", "B.ACCESS", [REPORTS]),  # from the access token, verified as the API does
        ("userinfo-roles", "C.USERINFO", [POLICY]),  # from the userinfo endpoint
    ],
)
def test_roles_come_from_the_id_token_else_the_access_token_else_userinfo(
    browser: httpx.Client, base: str, provider: Provider, user: str, name: str, roles: list[str]
) -> None:
    assert sign_in(browser, base, provider, user=user).status_code == 303
    assert me(browser, base).json() == {"name": name, "client_id": CLIENT_ID, "roles": roles}


def test_a_tampered_state_is_refused_with_400_in_the_envelope(
    browser: httpx.Client, base: str, provider: Provider
) -> None:
    response = sign_in(browser, base, provider, state="forged-state-value")
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and body["code"] == "bad_request"
    assert "state" in body["message"] and body["correlation_id"]
    assert me(browser, base).status_code == 401


def test_a_callback_without_a_sign_in_started_in_this_browser_is_refused(
    base: str, provider: Provider, browser: httpx.Client
) -> None:
    with httpx.Client(follow_redirects=False) as other:
        request = start(other, base)  # another browser starts; this one receives the callback
    approved = httpx.get(f"{provider.issuer}/authorize?{urlencode(request)}")
    response = browser.get(approved.headers["location"])
    assert response.status_code == 400 and response.json()["code"] == "bad_request"


@pytest.mark.parametrize("fault", ["nonce", "expired", "audience", "issuer", "signature"])
def test_a_bad_id_token_is_refused(
    browser: httpx.Client, base: str, provider: Provider, fault: str
) -> None:
    response = sign_in(browser, base, provider, fault=fault)
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "sign_in_refused"
    assert me(browser, base).status_code == 401


@pytest.mark.parametrize(
    "next", ["//evil.example", "https://evil.example/", "/\\evil.example", "evil"]
)
def test_next_outside_the_service_goes_to_the_start_instead(
    browser: httpx.Client, base: str, provider: Provider, next: str
) -> None:
    response = sign_in(browser, base, provider, next=next)
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_signing_in_starts_a_new_session(
    browser: httpx.Client, base: str, provider: Provider
) -> None:
    start(browser, base)  # an abandoned sign-in leaves Authlib's state in the session
    sign_in(browser, base, provider, user="policy")
    cookie = browser.cookies[signin.SESSION_COOKIE]
    sign_in(browser, base, provider)
    assert browser.cookies[signin.SESSION_COOKIE] != cookie
    assert me(browser, base).json()["name"] == "A.PRACTITIONER"


def test_sign_out_clears_the_session_only_from_our_own_origin(
    browser: httpx.Client, base: str, provider: Provider
) -> None:
    sign_in(browser, base, provider)
    refused = browser.post(f"{base}/sign-out", headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    no_origin = browser.post(f"{base}/sign-out")  # no Origin, no Referer, no token
    assert no_origin.status_code == 403
    cross_referer = browser.post(f"{base}/sign-out", headers={"Referer": "https://e.example/x"})
    assert cross_referer.status_code == 403
    assert me(browser, base).status_code == 200
    response = browser.post(f"{base}/sign-out", headers={"Origin": base})
    assert response.status_code == 303 and response.headers["location"] == "/signed-out"
    assert me(browser, base).status_code == 401
    sign_in(browser, base, provider)
    by_referer = browser.post(f"{base}/sign-out", headers={"Referer": f"{base}/plans"})
    assert by_referer.status_code == 303 and me(browser, base).status_code == 401


def test_the_session_cookie_is_http_only_and_same_site_lax(
    browser: httpx.Client, base: str, provider: Provider
) -> None:
    response = sign_in(browser, base, provider)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{signin.SESSION_COOKIE}=")
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert "secure" not in flags  # MATCHER_SESSION_HTTPS_ONLY=false for this plain-HTTP test
    # what is stored: the caller alone (signed, readable by its owner), never a token
    payload = cookie.split(";")[0].split("=", 1)[1].split(".")[0]
    stored = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    assert stored == {
        "caller": {"name": "A.PRACTITIONER", "client_id": CLIENT_ID, "roles": [PLANS]}
    }


def test_the_json_api_still_takes_bearer_tokens(base: str) -> None:
    assert httpx.get(f"{base}/v1/interventions").status_code == 401
    assert httpx.get(f"{base}/sign-in/me").status_code == 401
    assert (
        httpx.get(f"{base}/openapi.json")
        .json()["paths"]
        .keys()
        .isdisjoint({"/sign-in", "/sign-in/callback", "/sign-out", "/sign-in/me"})
    )


# In-process: the cookie's Secure flag by default, 503 without configuration, the CSRF token.


def in_process(tmp_path: Path, **given: Any) -> TestClient:
    return TestClient(
        create_app(settings(database_url=f"sqlite:///{tmp_path}/m.db", **given)),
        base_url="https://testserver",
    )


def test_the_cookie_is_secure_by_default_with_auth_on(tmp_path: Path, provider: Provider) -> None:
    client = in_process(
        tmp_path,
        oidc_discovery_url=provider.discovery_url,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
    )
    response = client.get("/sign-in", follow_redirects=False)
    assert response.status_code == 302
    flags = [part.strip().lower() for part in response.headers["set-cookie"].split(";")]
    assert {"secure", "httponly", "samesite=lax"} <= set(flags)


def test_without_oidc_settings_sign_in_answers_503_and_the_api_works(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="matcher.api"):
        app = create_app(settings(database_url=f"sqlite:///{tmp_path}/m.db"))
    assert "MATCHER_OIDC_DISCOVERY_URL" in caplog.text
    with TestClient(app) as client:
        for path in ("/sign-in", "/sign-in/callback?code=x&state=y"):
            response = client.get(path, follow_redirects=False)
            assert response.status_code == 503
            assert response.json()["code"] == "sign_in_not_configured"
            assert "MATCHER_OIDC_CLIENT_SECRET" in response.json()["message"]
        assert client.get("/v1/interventions", headers=bearer(token(PLANS))).status_code == 200


def test_install_adds_one_session_middleware(tmp_path: Path) -> None:
    app = create_app(Settings(auth="off", database_url=f"sqlite:///{tmp_path}/m.db"))
    signin.install(app)  # as the pages may do too
    sessions = [m for m in app.user_middleware if m.cls is SessionMiddleware]
    assert len(sessions) == 1
    assert sessions[0].kwargs["session_cookie"] == "matcher_session"
    assert sessions[0].kwargs["https_only"] is False  # auth off: loopback over HTTP


def test_sign_out_with_the_csrf_token_when_the_browser_sends_no_origin(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/m.db"))

    def page(request: Request) -> dict[str, str]:  # what a page does: sign in, render the token
        request.session[signin.CALLER] = {"name": "T", "client_id": None, "roles": []}
        return {"csrf": signin.csrf_token(request)}

    app.add_api_route("/test-page", page)
    with TestClient(app) as client:
        csrf = client.get("/test-page").json()["csrf"]
        assert client.post("/sign-out", headers={"Origin": "null"}).status_code == 403
        wrong = {"Origin": "null", "X-CSRF-Token": "not-it"}
        assert client.post("/sign-out", headers=wrong).status_code == 403
        response = client.post("/sign-out", headers={"X-CSRF-Token": csrf}, follow_redirects=False)
        assert response.status_code == 303
        assert client.get("/sign-in/me").status_code == 401
        csrf = client.get("/test-page").json()["csrf"]
        by_query = client.post(f"/sign-out?csrf_token={csrf}", follow_redirects=False)
        assert by_query.status_code == 303 and client.get("/sign-in/me").status_code == 401
