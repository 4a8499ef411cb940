"""Property-based fuzz of the whole API from its own OpenAPI document (schemathesis), with auth
on and a token holding every role: no 5xx, and every response conforms to the documented status
codes, content types and schemas."""

from __future__ import annotations

import time
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.auth import ALL_ROLES
from api.main import create_app
from tests.api import tokens
from tests.conftest import TEST_DATABASE

pytestmark = pytest.mark.slow
EXAMPLES_PER_OPERATION = 100  # 12 operations → at least 1,200 generated requests
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
calls = {"made": 0}


AUTH = tokens.bearer(tokens.token(*ALL_ROLES, exp=int(time.time()) + 86_400))

# schemathesis runs the app's lifespan once (the rulebook loads once) and keeps it for the session.
app = create_app(tokens.settings(bench_endpoints=True, max_batch=20, database_url=TEST_DATABASE))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_input_gives_a_5xx_or_breaks_the_schema(case: Any) -> None:
    calls["made"] += 1
    case.call_and_validate(headers=AUTH, checks=CHECKS)


def test_the_fuzz_made_at_least_1000_requests() -> None:
    if not calls["made"]:
        pytest.skip("the fuzz did not run in this session")
    print(f"\nschemathesis made {calls['made']} requests")
    assert calls["made"] >= 1000
