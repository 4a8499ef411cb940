"""Strict input (issue 15): each hostile request an attacker sent is refused with a 4xx in the
error envelope naming the field, never a 500, and never quoting more than a short excerpt of it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import TODAY, variant
from tests.api.server import running_server

PLAN = "/v1/plans"
ONLY = {"today": TODAY, "store": "false"}
JSON = {"Content-Type": "application/json"}
NO_PLAN = "/v1/plans/00000000-0000-4000-8000-000000000000"


def refused(response: httpx.Response, code: str = "validation_error") -> dict[str, str]:
    """The envelope of a 422 with ``code``, as {path: message}."""
    assert response.status_code == 422, response.text[:500]
    body = response.json()
    assert body["code"] == code and body["status"] == 422 and body["correlation_id"]
    assert body["message"] and body["errors"]
    return {e["path"]: e["message"] for e in body["errors"]}


def with_sentence(example: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return variant(example, sentence=fields)


# 1. numbers and dates only where the contract says number or date
@pytest.mark.parametrize(
    ("patch", "path"),
    [
        ({"age": "34"}, "age"),
        ({"age": 34.5}, "age"),
        ({"age": True}, "age"),
        ({"risk": {"ogrs": "62"}}, "risk.ogrs"),
        ({"risk": {"mappa_level": False}}, "risk.mappa_level"),
        ({"sentence": {"start_date": 0}}, "sentence.start_date"),
        ({"sentence": {"end_date": "2027-11-01T00:00:00"}}, "sentence.end_date"),
        ({"sentence": {"rar_days": "20"}}, "sentence.rar_days"),
        ({"needs": [{"area": "ete", "severity": "1"}]}, "needs[0].severity"),
        (
            {"needs": [{"area": "ete", "severity": 1, "linked_to_harm": "true"}]},
            "needs[0].linked_to_harm",
        ),
        ({"oasys_items": {"6.1": "2"}}, "oasys_items.6.1"),
        ({"custody": {"release_date": 1767225600}}, "custody.release_date"),
    ],
)
def test_a_number_or_date_field_takes_only_a_json_number_or_an_iso_date(
    client: TestClient, example: dict[str, Any], patch: dict[str, Any], path: str
) -> None:
    errors = refused(client.post(PLAN, json=variant(example, **patch), params=ONLY))
    assert path in errors


@pytest.mark.parametrize(
    ("url", "query", "path"),
    [
        (PLAN, {"today": "0"}, "query.today"),
        (PLAN, {"today": "2026-11-01T00:00:00"}, "query.today"),
        (PLAN, {"explain": "yes"}, "query.explain"),
        (PLAN, {"store": "0"}, "query.store"),
        ("/v1/matches", {"today": "1700000000"}, "query.today"),
    ],
)
def test_a_query_date_or_boolean_is_written_as_the_document_says(
    client: TestClient, example: dict[str, Any], url: str, query: dict[str, str], path: str
) -> None:
    assert path in refused(client.post(url, json=example, params={**ONLY, **query}))


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("/v1/plans", {"status": "overdue", "limit": "1_0"}),
        ("/v1/plans", {"status": "overdue", "limit": "+5"}),
        ("/v1/plans", {"status": "overdue", "today": "0"}),
        (NO_PLAN, {"version": "1.0"}),
        ("/v1/events", {"limit": " 5"}),
    ],
)
def test_a_query_number_is_digits_only(client: TestClient, url: str, query: dict[str, str]) -> None:
    name = next(k for k in query if k != "status")
    assert f"query.{name}" in refused(client.get(url, params=query))


def test_the_iso_forms_and_booleans_the_contract_uses_are_still_taken(
    client: TestClient, example: dict[str, Any]
) -> None:
    body = variant(example, risk={"ogrs": 62}, needs=[{"area": "ete", "severity": 2}])
    response = client.post(PLAN, json=body, params={**ONLY, "explain": "True"})
    assert response.status_code == 200, response.text
    assert response.json()["plan_start"] == TODAY


def test_a_batch_item_is_as_strict_as_a_single_assessment(
    client: TestClient, example: dict[str, Any]
) -> None:
    items = [example, variant(example, age="34"), with_sentence(example, start_date=0)]
    body = client.post("/v1/plans/batch", json={"assessments": items}, params=ONLY).json()
    assert [r["status"] for r in body["results"]] == [200, 422, 422]
    assert body["results"][1]["error"]["errors"][0]["path"] == "age"
    assert body["results"][2]["error"]["errors"][0]["path"] == "sentence.start_date"


def test_progress_dates_are_iso_dates(client: TestClient) -> None:
    sent = {"intervention_id": "crs_accommodation", "status": "started", "date": 0}
    assert "date" in refused(client.post(f"{NO_PLAN}/progress", json=sent))


# 2. duplicate keys, deep nesting and malformed JSON: 422 malformed_json naming where
def test_a_repeated_key_is_refused_naming_its_path(
    client: TestClient, example: dict[str, Any]
) -> None:
    text = json.dumps(variant(example, needs=[{"area": "ete", "severity": 2}]))
    nested = text.replace('"severity": 2', '"severity": 2, "severity": 0', 1)
    errors = refused(client.post(PLAN, content=nested, params=ONLY, headers=JSON), "malformed_json")
    assert "'severity' is given more than once" in errors["needs[0].severity"]
    top = text[:-1] + ', "age": 99}'
    errors = refused(client.post(PLAN, content=top, params=ONLY, headers=JSON), "malformed_json")
    assert list(errors) == ["age"]


@pytest.mark.parametrize("depth", [64, 5000])
def test_json_nested_deeper_than_64_is_refused_with_a_message(
    client: TestClient, depth: int
) -> None:
    deep = '{"files": ' + "[" * depth + "]" * depth + "}"
    response = client.post("/v1/rules/validate", content=deep, headers=JSON)
    errors = refused(response, "malformed_json")
    assert "nested more than 64 deep" in errors["body"]


def test_json_nested_64_deep_is_parsed_and_judged_by_the_model(client: TestClient) -> None:
    deep = '{"files": ' + "[" * 63 + "]" * 63 + "}"
    response = client.post("/v1/rules/validate", content=deep, headers=JSON)
    assert refused(response) == {"files": "Input should be a valid dictionary"}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"person_id": ', "Expecting value"),
        ('{"age": NaN}', "NaN is not a JSON number"),
        ('{"age": -Infinity}', "-Infinity is not a JSON number"),
        ('{"age": 1e999}', "too large"),
        ('{"age": ' + "1" * 5000 + "}", "too many digits"),
    ],
)
def test_malformed_json_is_a_422_with_a_message_and_a_body_error(
    client: TestClient, text: str, words: str
) -> None:
    response = client.post(PLAN, content=text, params=ONLY, headers=JSON)
    errors = refused(response, "malformed_json")
    assert words in errors["body"] and words in response.json()["message"]


# 3. identifiers of printable characters, with a length limit; free text without hidden ones
@pytest.mark.parametrize("bad", ["X1\x00", "X1\r\nInjected: yes", "X1\u202egnp", "X" * 65])
def test_an_identifier_with_control_or_bidi_characters_is_refused_and_not_echoed(
    client: TestClient, example: dict[str, Any], bad: str
) -> None:
    response = client.post(PLAN, json=variant(example, person_id=bad), params=ONLY)
    assert "person_id" in refused(response)
    assert bad not in response.text and bad[2:] not in json.loads(response.text)["message"]


@pytest.mark.parametrize(
    ("patch", "path"),
    [
        ({"goals": [{"text": "a job\u2028in a warehouse"}]}, "goals[0].text"),
        ({"goals": [{"text": "a job", "need_area": "ete\n"}]}, "goals[0].need_area"),
        (
            {"history": [{"intervention_id": "x\u200b", "status": "completed"}]},
            "history[0].intervention_id",
        ),
        (
            {
                "history": [
                    {
                        "intervention_id": "crs_accommodation",
                        "status": "declined",
                        "reason": "\x1b[31m",
                    }
                ]
            },
            "history[0].reason",
        ),
        (
            {"custody": {"release_date": "2026-12-27", "establishment": "HMP\u202eX"}},
            "custody.establishment",
        ),
        ({"strengths": ["employed\x00"]}, "strengths[0]"),
        ({"sentence": {"mandated": ["a b"]}}, "sentence.mandated[0]"),
    ],
)
def test_codes_and_free_text_in_an_assessment_refuse_hidden_characters(
    client: TestClient, example: dict[str, Any], patch: dict[str, Any], path: str
) -> None:
    assert path in refused(client.post(PLAN, json=variant(example, **patch), params=ONLY))


@pytest.mark.parametrize(
    ("url", "body", "path"),
    [
        ("decisions", {"intervention_id": "a\nb", "decision": "accepted"}, "intervention_id"),
        (
            "decisions",
            {"intervention_id": "kaizen", "decision": "rejected", "reason": "no\u202e"},
            "reason",
        ),
        (
            "progress",
            {"intervention_id": "crs\r", "status": "started", "date": TODAY},
            "intervention_id",
        ),
        (
            "progress",
            {"intervention_id": "crs", "status": "started", "date": TODAY, "reason": "a\x07"},
            "reason",
        ),
        (
            "progress",
            {
                "intervention_id": "crs",
                "status": "started",
                "date": TODAY,
                "reason_code": "re lapse",
            },
            "reason_code",
        ),
    ],
)
def test_ids_and_reasons_of_decisions_and_progress_refuse_hidden_characters(
    client: TestClient, url: str, body: dict[str, Any], path: str
) -> None:
    assert path in refused(client.post(f"{NO_PLAN}/{url}", json=body))


def test_identifiers_in_paths_and_headers_are_plain(
    client: TestClient, example: dict[str, Any]
) -> None:
    assert "path.person_id" in refused(client.get("/v1/people/X1%0D%0Ax/plans"))
    assert "path.plan_id" in refused(client.get("/v1/plans/x%00y"))
    assert "path.intervention_id" in refused(client.get("/v1/interventions/crs%E2%80%AE"))
    key = {"Idempotency-Key": "a key with spaces"}
    assert "header.Idempotency-Key" in refused(client.post(PLAN, json=example, headers=key))
    assert "header.If-Match" in refused(
        client.post(f"{NO_PLAN}/reviews", headers={"If-Match": "latest"})
    )
    odd = client.get("/healthz", headers={"X-Correlation-Id": "a\u202eb".encode()})
    assert odd.status_code == 200 and odd.headers["x-correlation-id"].isalnum()


# 4. dictionary keys bounded; no error quotes more than a short excerpt of the input
@pytest.mark.parametrize(
    ("patch", "path"),
    [
        ({"oasys_items": {"x" * 200_000: 1}}, "oasys_items."),
        ({"x" * 200_000: 1}, ""),
        ({"needs": [{"area": "y" * 200_000, "severity": 1}]}, "needs[0].area"),
    ],
)
def test_a_huge_key_or_value_is_refused_without_being_echoed(
    client: TestClient, example: dict[str, Any], patch: dict[str, Any], path: str
) -> None:
    response = client.post(PLAN, json=variant(example, **patch), params=ONLY)
    errors = refused(response)
    assert any(p.startswith(path) for p in errors)
    assert len(response.content) < 1_000
    assert "x" * 100 not in response.text and "y" * 100 not in response.text


def test_dictionaries_are_bounded_in_entries_and_key_length(
    client: TestClient, example: dict[str, Any]
) -> None:
    many = {f"{n}.1": 1 for n in range(41)}
    assert "oasys_items" in refused(client.post(PLAN, json=variant(example, oasys_items=many)))
    long_name = "rules/" + "a" * 300 + ".yaml"
    response = client.post("/v1/rules/validate", json={"files": {long_name: "x"}})
    assert any(p.startswith("files.rules/aaa") for p in refused(response))
    assert "a" * 100 not in response.text


# 5. the vocabulary's codes as enums in the OpenAPI document, made again on reload
def test_the_openapi_document_publishes_the_live_codes(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    vocabulary = client.get("/v1/rules").json()["vocabulary"]
    schemas = document["components"]["schemas"]
    need = schemas["Need"]["properties"]["area"]
    assert need["enum"] == sorted(vocabulary["need_areas"])
    region = schemas["Assessment"]["properties"]["region"]["anyOf"][0]
    assert region["enum"] == sorted(vocabulary["regions"])
    reasons = schemas["ProgressRequest"]["properties"]["reason_code"]["anyOf"][0]
    assert reasons["enum"] == sorted(vocabulary["progress_reasons"])
    oasys = schemas["Assessment"]["properties"]["oasys_items"]["propertyNames"]
    assert oasys["enum"] == sorted(vocabulary["oasys_items"])
    assert schemas["Assessment"]["properties"]["age"]["minimum"] == 18
    assert schemas["BatchRequest"]["properties"]["assessments"]["maxItems"] == 20
    parameters = document["paths"]["/v1/interventions"]["get"]["parameters"]
    kind = next(p for p in parameters if p["name"] == "kind")["schema"]
    assert kind["enum"] == sorted(vocabulary["kinds"])


def test_a_reload_that_adds_a_code_publishes_it(
    own_client: TestClient, rules_copy: tuple[Path, Path]
) -> None:
    def strengths() -> list[str]:
        schemas = own_client.get("/openapi.json").json()["components"]["schemas"]
        enum: list[str] = schemas["Assessment"]["properties"]["strengths"]["items"]["enum"]
        return enum

    assert "peer_mentor" not in strengths()
    vocabulary = rules_copy[0] / "vocabulary.yaml"
    text = vocabulary.read_text()
    added = text.replace("strengths:\n", "strengths:\n  peer_mentor: a peer mentor\n", 1)
    vocabulary.write_text(added)
    assert own_client.post("/v1/admin/reload").status_code == 200
    assert "peer_mentor" in strengths()


# over the real server: raw bytes as an attacker sends them
@pytest.mark.slow
def test_the_real_server_refuses_raw_hostile_json_with_the_envelope(
    example: dict[str, Any],
) -> None:
    text = json.dumps(example)
    hostile = {
        "repeated key": (text[:-1] + ', "person_id": "Y1"}', "person_id"),
        "deep": ("[" * 100_000 + "]" * 100_000, "body"),
        "deep object": ('{"a":' * 65 + "1" + "}" * 65, "body"),
        "NaN": (text[:-1] + ', "ldc_score": NaN}', "body"),
        "truncated": (text[:-5], "body"),
    }
    with running_server() as (base, _process), httpx.Client(base_url=base, timeout=30) as http:
        for name, (raw, path) in hostile.items():
            response = http.post(PLAN, content=raw.encode(), params=ONLY, headers=JSON)
            assert path in refused(response, "malformed_json"), name
            assert len(response.content) < 1_000, name
        age = http.post(PLAN, json=variant(example, age="34"), params=ONLY)
        assert "age" in refused(age)
        assert http.get("/readyz").status_code == 200
