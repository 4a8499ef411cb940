"""Signing in to the pages in a real browser (issue 17): with auth on, a page sends the browser
through the local OpenID provider (tests/oidc_provider.py) and back; the page names the user,
says what their roles do not allow, and signing out ends the session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.server import running_server
from tests.e2e.conftest import Visit, visiting
from tests.oidc_provider import Provider, server_env

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def signed_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Provider]]:
    folder = tmp_path_factory.mktemp("signed")
    with Provider() as provider:
        env = {**server_env(provider), "MATCHER_DATABASE_URL": f"sqlite:///{folder}/matcher.db"}
        with running_server(env, log=folder / "server.log") as (base, _):
            yield base, provider


@pytest.fixture
def signed_visit(chromium: Any, signed_base: tuple[str, Provider]) -> Iterator[Visit]:
    base, _ = signed_base
    with visiting(chromium, base) as seen:
        yield seen


def test_a_page_signs_the_user_in_through_the_provider_and_says_what_they_cannot_do(
    signed_visit: Visit, signed_base: tuple[str, Provider]
) -> None:
    base, provider = signed_base
    page = signed_visit.page
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{base}/rules/validate")  # a policy page, for a practitioner (PLANS only)
    page.wait_for_url(f"{base}/rules/validate")
    assert any(url.startswith(provider.issuer) for url in requests), requests  # went to sign in
    signed_visit.check()
    text = page.inner_text("body")
    assert "Signed in as A.PRACTITIONER" in text
    assert (
        "You cannot validate rule changes: your account does not have ROLE_MATCHER_POLICY" in text
    )

    signed_visit.go("/")  # the plan form: allowed, nothing it cannot do there
    assert "You cannot make plans" not in page.inner_text("body")

    signed_visit.submit("Sign out")
    assert page.url == f"{base}/signed-out" and "You have signed out" in page.inner_text("body")
    requests.clear()
    page.goto(f"{base}/")
    page.wait_for_url(f"{base}/")  # signed in again through the provider: a new session
    assert any(url.startswith(f"{base}/sign-in") for url in requests), requests
