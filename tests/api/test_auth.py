"""Who may call what (design.md §6.3), over HTTP with tokens signed by a test key: for every
operation, no token 401, expired 401, wrong issuer 401, wrong role 403, the right role answers;
health and the OpenAPI document stay open; the caller is recorded from the token."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from api.auth import ALL_ROLES, ERASURE, PLANS, POLICY, REPORTS
from api.main import create_app
from api.settings import Settings
from tests.api.conftest import TODAY, variant
from tests.api.tokens import ISSUER, bearer, key, settings, token

ANY = "any"  # reference data: any of the roles


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    database = f"sqlite:///{tmp_path_factory.mktemp('auth')}/matcher.db"
    with TestClient(create_app(settings(database_url=database))) as client:
        yield client


@pytest.fixture(scope="module")
def plan_id(secured: TestClient, example: dict[str, Any]) -> str:
    response = secured.post(
        "/v1/plans",
        json=variant(example, person_id="AUTH0001"),
        params={"today": TODAY},
        headers=bearer(token(PLANS)),
    )
    assert response.status_code == 200, response.text
    made: str = response.json()["plan_id"]
    return made


Call = Callable[[TestClient, dict[str, str]], Any]


def operations(example: dict[str, Any], plan_id: str) -> dict[tuple[str, str], tuple[str, Call]]:
    """Every operation of the API: (method, path template) → (role, a valid call)."""
    today = {"today": TODAY}
    plan = f"/v1/plans/{plan_id}"
    progress = {"intervention_id": "x", "status": "started", "date": TODAY}

    def post(path: str, body: Any = None, **params: Any) -> Call:
        return lambda c, h: c.post(path, json=body, params=params, headers=h)

    def get(path: str, **params: Any) -> Call:
        return lambda c, h: c.get(path, params=params, headers=h)

    return {
        ("POST", "/v1/plans"): (PLANS, post("/v1/plans", example, store="false", **today)),
        ("POST", "/v1/proposals"): (PLANS, post("/v1/proposals", example, **today)),
        ("POST", "/v1/matches"): (PLANS, post("/v1/matches", example, **today)),
        ("POST", "/v1/plans/batch"): (
            PLANS,
            post("/v1/plans/batch", {"assessments": [example]}, store="false", **today),
        ),
        ("POST", "/v1/explanations"): (PLANS, post("/v1/explanations", example, **today)),
        ("GET", "/v1/plans"): (PLANS, get("/v1/plans", status="overdue")),
        ("GET", "/v1/plans/{plan_id}"): (PLANS, get(plan)),
        ("GET", "/v1/people/{person_id}/plans"): (PLANS, get("/v1/people/AUTH0001/plans")),
        ("POST", "/v1/plans/{plan_id}/progress"): (
            PLANS,
            post(f"{plan}/progress", progress, **today),
        ),
        ("POST", "/v1/plans/{plan_id}/decisions"): (
            PLANS,
            post(f"{plan}/decisions", {"intervention_id": "x", "decision": "accepted"}, **today),
        ),
        ("POST", "/v1/plans/{plan_id}/reviews"): (PLANS, post(f"{plan}/reviews", None, **today)),
        ("GET", "/v1/plans/{plan_id}/audit"): (PLANS, get(f"{plan}/audit")),
        ("DELETE", "/v1/people/{person_id}"): (
            ERASURE,
            lambda c, h: c.delete("/v1/people/NOBODY01", headers=h),
        ),
        ("GET", "/v1/events"): (REPORTS, get("/v1/events")),
        ("GET", "/v1/reports/provision"): (REPORTS, get("/v1/reports/provision")),
        ("GET", "/v1/interventions"): (ANY, get("/v1/interventions")),
        ("GET", "/v1/interventions/{intervention_id}"): (
            ANY,
            get("/v1/interventions/crs_accommodation"),
        ),
        ("GET", "/v1/rules"): (ANY, get("/v1/rules")),
        ("POST", "/v1/rules/validate"): (POLICY, post("/v1/rules/validate", {"files": {}})),
        ("GET", "/v1/sequencing-graph"): (ANY, get("/v1/sequencing-graph")),
        ("POST", "/v1/admin/reload"): (POLICY, post("/v1/admin/reload")),
    }


OPEN = [("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/openapi.json"), ("GET", "/docs")]


@pytest.fixture(scope="module")
def every(example: dict[str, Any], plan_id: str) -> dict[tuple[str, str], tuple[str, Call]]:
    return operations(example, plan_id)


def test_the_table_names_every_operation_in_the_openapi_document(
    secured: TestClient, every: dict[tuple[str, str], tuple[str, Call]]
) -> None:
    document = secured.get("/openapi.json").json()
    listed = {
        (method.upper(), path)
        for path, methods in document["paths"].items()
        for method in methods
        if path not in ("/healthz", "/readyz")
    }
    assert listed == set(every)
    # the document says how to authenticate, and which operations need it
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert document["paths"]["/v1/plans"]["post"]["security"] == [{"HTTPBearer": []}]


def _names(operation: tuple[str, str]) -> str:
    return f"{operation[0]} {operation[1]}"


@pytest.mark.parametrize("operation", sorted(operations({}, "p")), ids=_names)
def test_every_operation_needs_a_valid_token_and_its_role(
    secured: TestClient,
    every: dict[tuple[str, str], tuple[str, Call]],
    operation: tuple[str, str],
) -> None:
    role, call = every[operation]
    refused = {
        "no token": {},
        "not a bearer": {"Authorization": "Basic dXNlcjpwYXNz"},
        "garbage": bearer("not.a.token"),
        "expired": bearer(token(*ALL_ROLES, exp=int(time.time()) - 3600)),
        "wrong issuer": bearer(token(*ALL_ROLES, iss="https://elsewhere.test")),
        "wrong audience": bearer(token(*ALL_ROLES, aud="another-service")),
        "other key": bearer(
            token(*ALL_ROLES, signer=rsa.generate_private_key(public_exponent=65537, key_size=2048))
        ),
        "unsigned": bearer(jwt.encode({"iss": ISSUER, "sub": "x", "exp": 2**31}, None, "none")),
    }
    for why, headers in refused.items():
        response = call(secured, headers)
        assert response.status_code == 401, (why, response.text)
        assert response.json()["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    wanted = set(ALL_ROLES) if role == ANY else {role}
    for other in sorted(set(ALL_ROLES) - wanted):
        response = call(secured, bearer(token(other)))
        assert response.status_code == 403, (other, response.text)
        assert response.json()["code"] == "forbidden" and next(iter(wanted)) in str(wanted)
    for right in sorted(wanted):
        response = call(secured, bearer(token(right)))
        assert response.status_code not in (401, 403), (right, response.text)
        assert response.status_code < 500
    # roles may also come in the `roles` claim
    response = call(secured, bearer(token(roles=sorted(wanted))))
    assert response.status_code not in (401, 403), response.text


def test_the_right_role_gets_the_answer_it_asked_for(
    secured: TestClient, every: dict[tuple[str, str], tuple[str, Call]]
) -> None:
    """Not only "not refused": each call made with its role succeeds (a 200), except where the
    table's call is meant to name a missing thing (an intervention the plan does not have)."""
    expected_not_200 = {
        ("POST", "/v1/plans/{plan_id}/progress"): 422,  # "x" is not on the plan
        ("POST", "/v1/plans/{plan_id}/decisions"): 422,
    }
    for operation, (role, call) in every.items():
        roles = ALL_ROLES if role == ANY else (role,)
        response = call(secured, bearer(token(*roles)))
        assert response.status_code == expected_not_200.get(operation, 200), (
            operation,
            response.text,
        )


@pytest.mark.parametrize("method, path", OPEN)
def test_health_and_the_openapi_document_stay_open(
    secured: TestClient, method: str, path: str
) -> None:
    assert secured.request(method, path).status_code == 200


def test_the_caller_is_the_tokens_user_name_else_its_sub(
    secured: TestClient, example: dict[str, Any]
) -> None:
    for claims, recorded in (({}, "A.PRACTITIONER"), ({"user_name": None}, "client-cms")):
        response = secured.post(
            "/v1/plans",
            json=variant(example, person_id="AUTH0002"),
            params={"today": TODAY},
            headers=bearer(token(PLANS, **claims)),
        )
        assert response.status_code == 200, response.text
        assert response.json()["requested_by"] == recorded


def test_a_token_naming_nobody_is_refused(secured: TestClient) -> None:
    headers = bearer(token(PLANS, user_name=None, sub=None))
    response = secured.get("/v1/plans", params={"status": "overdue"}, headers=headers)
    assert response.status_code == 401 and "names nobody" in response.json()["message"]


class _Keys(BaseHTTPRequestHandler):
    document = b"{}"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.document)

    def log_message(self, *args: Any) -> None:
        pass


def test_keys_can_come_from_a_jwks_url(tmp_path: Path) -> None:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key().public_key()))
    _Keys.document = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig"}]}).encode()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Keys)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = Settings(
            auth="jwt",
            jwt_jwks_url=f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json",
            jwt_issuer=ISSUER,
            database_url=f"sqlite:///{tmp_path}/m.db",
        )
        with TestClient(create_app(settings)) as client:
            signed = jwt.encode(
                {"iss": ISSUER, "sub": "s", "exp": int(time.time()) + 60, "roles": [PLANS]},
                key(),
                algorithm="RS256",
                headers={"kid": "k1"},
            )
            good = client.get("/v1/plans", params={"status": "overdue"}, headers=bearer(signed))
            assert good.status_code == 200, good.text
            stranger = jwt.encode(
                {"iss": ISSUER, "sub": "s", "exp": int(time.time()) + 60, "roles": [PLANS]},
                key(),
                algorithm="RS256",
                headers={"kid": "unknown"},
            )
            bad = client.get("/v1/plans", params={"status": "overdue"}, headers=bearer(stranger))
            assert bad.status_code == 401
    finally:
        server.shutdown()


@pytest.mark.parametrize(
    "given, says",
    [
        ({"auth": "jwt", "jwt_issuer": ISSUER}, "MATCHER_JWT_PUBLIC_KEY"),
        ({"auth": "jwt", "jwt_jwks_url": "http://x"}, "MATCHER_JWT_ISSUER"),
    ],
)
def test_auth_settings_that_cannot_work_are_refused(given: dict[str, Any], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        Settings(**given)


def test_the_admin_token_is_refused_rather_than_silently_ignored() -> None:
    with pytest.raises(ValueError, match="ROLE_MATCHER_POLICY"):
        Settings.from_env({"MATCHER_ADMIN_TOKEN": "s"})
