"""The pages without a browser (fast): their CSP and nonce, CSRF, sign-in and roles, the JSON
API left JSON-only, and forms shown again with what was typed."""

from __future__ import annotations

import json
import re
from base64 import b64encode
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner

from api.auth import PLANS, POLICY
from api.main import create_app
from api.settings import Settings
from tests.api.tokens import ISSUER, public_pem

KEY = "a session key for the tests"
ASSESSMENT: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[2] / "examples" / "assessment.json").read_text()
)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings.from_env())) as made:
        yield made


@pytest.fixture(scope="module")
def signed_in() -> Iterator[TestClient]:
    """Auth on (jwt), the session key known, so a test can say who is signed in."""
    settings = Settings(auth="jwt", jwt_public_key=public_pem(), jwt_issuer=ISSUER, session_key=KEY)
    with TestClient(create_app(settings), base_url="https://testserver") as made:
        yield made


def as_caller(client: TestClient, *roles: str) -> None:
    """Put a caller in the session cookie, as the sign-in does."""
    session = {"caller": {"name": "pat.officer", "client_id": None, "roles": list(roles)}}
    data = b64encode(json.dumps(session).encode())
    client.cookies.set("matcher_session", TimestampSigner(KEY).sign(data).decode())


def token_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_a_page_allows_its_one_inline_script_by_a_fresh_nonce(client: TestClient) -> None:
    first, second = client.get("/"), client.get("/")
    policy = first.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce and f'<script nonce="{nonce.group(1)}">' in first.text
    assert "unsafe-inline" not in policy and "default-src 'self'" in policy
    assert second.headers["content-security-policy"] != policy


def test_a_form_without_the_session_token_is_refused_with_a_page(client: TestClient) -> None:
    answer = client.post("/plans", data={"person_id": "X1", "csrf_token": "forged"})
    assert answer.status_code == 403
    assert "Your form could not be sent" in answer.text
    assert answer.headers["content-type"].startswith("text/html")


def test_the_api_still_takes_only_json(client: TestClient) -> None:
    answer = client.post("/v1/plans", data={"person_id": "X1"})
    assert answer.status_code == 415


def test_a_form_shown_again_keeps_what_was_typed(client: TestClient) -> None:
    token = token_of(client.get("/").text)
    sent = {"csrf_token": token, "person_id": "X9<b>", "age": "old", "gender": "male"}
    answer = client.post("/plans", data=sent)
    assert answer.status_code == 422
    assert 'href="#age"' in answer.text and 'value="old"' in answer.text
    assert 'value="X9&lt;b&gt;"' in answer.text  # kept, and escaped


def test_pasted_json_makes_a_plan(client: TestClient) -> None:
    token = token_of(client.get("/").text)
    sent = {"csrf_token": token, "assessment_json": json.dumps(ASSESSMENT)}
    answer = client.post("/plans", data=sent, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/plans/")


def test_with_auth_on_nobody_signed_in_is_sent_to_sign_in(signed_in: TestClient) -> None:
    signed_in.cookies.clear()
    answer = signed_in.get("/rules/provision?region=london", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?next=/rules/provision"


def test_a_page_says_what_the_caller_may_not_do(signed_in: TestClient) -> None:
    as_caller(signed_in, POLICY)
    page = signed_in.get("/")
    assert "You cannot make plans or record decisions and progress" in page.text
    assert PLANS in page.text and 'action="/plans"' not in page.text
    assert "Signed in as pat.officer" in page.text
    assert signed_in.get("/rules/provision").status_code == 403


def test_a_signed_in_account_without_a_matcher_role_sees_no_page(signed_in: TestClient) -> None:
    signed_in.cookies.clear()
    as_caller(signed_in)  # no roles: the API would refuse even its reference data
    for path in ("/", "/rules", "/rules/scenarios"):
        page = signed_in.get(path)
        assert page.status_code == 403, path
        assert "account has none of matcher" in page.text


def test_the_session_cookie_is_http_only_secure_and_lax(signed_in: TestClient) -> None:
    signed_in.cookies.clear()
    as_caller(signed_in, PLANS)
    answer = signed_in.get("/")
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie


def test_scenario_results_are_shown_pass_or_fail(client: TestClient) -> None:
    page = client.get("/rules/scenarios")
    assert page.status_code == 200
    assert "bbr_completed_in_custody" in page.text
    assert re.search(r">\s*PASS\s*<", page.text) and not re.search(r">\s*FAIL\s*<", page.text)
    assert re.search(r"\d+ passed, 0 failed", page.text)


def test_progress_and_decisions_are_recorded_or_refused_naming_the_field(
    client: TestClient,
) -> None:
    plan = client.post("/v1/plans?today=2026-11-01", json=ASSESSMENT).json()
    where = f"/plans/{plan['plan_id']}"
    token = token_of(client.get(where).text)
    item = plan["items"][0]["intervention_id"]
    day = {"progress_date-day": "2", "progress_date-month": "11", "progress_date-year": "2026"}
    sent = {"csrf_token": token, "intervention_id": item, "status": "referred"}
    recorded = client.post(f"{where}/progress", data={**sent, **day}, follow_redirects=False)
    assert recorded.status_code == 303
    assert client.get(f"/v1/plans/{plan['plan_id']}").json()["items"][0]["status"] == "referred"
    undated = client.post(f"{where}/progress", data=sent)
    assert undated.status_code == 422 and 'href="#progress_date-day"' in undated.text
    unreasoned = {"csrf_token": token, "intervention_id": item, "decision": "rejected"}
    refused = client.post(f"{where}/decisions", data=unreasoned)
    assert refused.status_code == 422 and 'href="#reason"' in refused.text
    assert f'value="{item}" selected' in refused.text  # the choice made is kept
