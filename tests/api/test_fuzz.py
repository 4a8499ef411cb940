"""Property-based fuzz of the whole API from its own OpenAPI document (schemathesis), with auth
on and a token holding every role: no 5xx, every response conforms to the documented status
codes, content types and schemas, and no request the document says is valid is refused for a
reason the document could have said."""

from __future__ import annotations

import time
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from api.auth import ALL_ROLES
from api.main import create_app
from tests.api import tokens
from tests.conftest import TEST_DATABASE

pytestmark = pytest.mark.slow
EXAMPLES_PER_OPERATION = (
    10  # with its coverage and negative phases schemathesis still makes ~7,900 requests (~200 s)
)
calls = {"made": 0}

# Refusals of schema-valid requests that no JSON schema can say (a relation between two fields,
# uniqueness by a key, the state of the store), each as the error path it names: anything else
# a 422 refuses in a schema-valid request is a gap in the published document.
BUSINESS_REFUSALS = {
    "sentence": "end_date must be after start_date",
    "body": "each need area may appear only once in needs (and other whole-assessment checks)",
    "assessment": "the same, for a review's assessment",
    "pdu": "the PDU must lie in the region given",
    "custody.release_date": "a release on or after the sentence end",
    "sentence.start_date": "in custody, the sentence starts on the release date",
    "sentence.type": "proposals are not for a licence (policy's proposal sentence types)",
    "date": "progress is not recorded for a date after today",
    "reason": "a reason is required to reject or add an intervention",
    "header.Idempotency-Key": "a key reused with another request",
    "files.<name>": "a name the rulebook does not take, such as rules/scenarios/... (see service)",
    "query.since": "a report's window that starts after it ends",
}


def _business(response: Response) -> bool:
    """Whether a 422 names only refusals listed in BUSINESS_REFUSALS (a review's assessment is
    under ``assessment.``; a file name is ``files.<name>``)."""
    try:
        errors = response.json().get("errors", [])
    except ValueError:
        return False
    paths = [e["path"].removeprefix("assessment.") for e in errors]
    return bool(paths) and all(p in BUSINESS_REFUSALS or p.startswith("files.") for p in paths)


@schemathesis.check
def schema_valid_requests_are_accepted(
    ctx: CheckContext, response: Response, case: Any
) -> bool | None:
    """schemathesis's positive_data_acceptance, but for the refusals listed above."""
    if response.status_code == 422 and _business(response):
        return None
    return positive_data_acceptance(ctx, response, case)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    schema_valid_requests_are_accepted,
]


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
