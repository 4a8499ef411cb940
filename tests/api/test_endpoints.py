"""Every endpoint and every error code, over HTTP against the real app."""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from matcher.model.errors import EngineBusyError
from tests.api.conftest import TODAY, variant
from tests.conftest import TEST_DATABASE

BROKEN_RULE = """stage: 3
rules:
  - id: risk.planted
    description: A planted rule with a misspelt field.
    source: test
    when: {ogrs_bnd: low}
    then: {recommend: {select: {intensity: low}, weight: 1}}
"""


def errors_at(response: Any) -> dict[str, str]:
    body = response.json()
    assert set(body) >= {"status", "code", "message", "errors", "correlation_id"}
    assert body["status"] == response.status_code
    assert body["correlation_id"] == response.headers["x-correlation-id"]
    return {e["path"]: e["message"] for e in body["errors"]}


# --- POST /v1/plans ---------------------------------------------------------------------


def test_plan_has_the_v1_contract_fields(client: TestClient, example: dict[str, Any]) -> None:
    response = client.post("/v1/plans", json=example, params={"today": TODAY})
    assert response.status_code == 200
    plan = response.json()
    assert {"person_id", "rules_version", "items", "unmet_needs", "warnings"} <= set(plan)
    assert plan["person_id"] == "X123456"
    assert plan["programme_pathway"]["pathway"]
    item = plan["items"][0]
    assert {"intervention_id", "name", "addresses", "phase", "start_week", "end_week", "after", "mandatory", "reasons", "adaptations"} <= set(item)  # fmt: skip
    assert plan["trace"] is None


def unstored(plan: dict[str, Any]) -> dict[str, Any]:
    """A stored plan as it would be unstored: no id, version, time or caller; items without
    decisions or progress."""
    shown = {**plan, "plan_id": None, "version": None, "created_at": None, "requested_by": None}
    shown["items"] = [{**item, "decision": None, "status_history": None} for item in plan["items"]]
    return shown


def test_plan_with_a_fixed_date_is_reproducible_and_matches_the_library(
    client: TestClient, example: dict[str, Any], rulebook: Any, assess: Any
) -> None:
    from datetime import date

    from matcher.model.contract import Assessment
    from matcher.planning.planner import plan

    first = client.post("/v1/plans", json=example, params={"today": TODAY}).json()
    second = client.post("/v1/plans", json=example, params={"today": TODAY}).json()
    assert first["plan_id"] != second["plan_id"]  # each call is stored as a plan of its own
    assert unstored(first) == unstored(second)
    direct = plan(Assessment.model_validate(example), rulebook, today=date(2026, 11, 1))
    assert unstored(first) == direct.model_dump(mode="json")
    only = client.post("/v1/plans", json=example, params={"today": TODAY, "store": "false"})
    assert only.json() == direct.model_dump(mode="json")


def test_explain_adds_the_rule_trace(client: TestClient, example: dict[str, Any]) -> None:
    plan = client.post("/v1/plans", json=example, params={"explain": "true"}).json()
    assert plan["trace"] and {"rule_id", "facts"} <= set(plan["trace"][0])


@pytest.mark.parametrize(
    ("patch", "path", "words"),
    [
        (
            {"needs": [{"area": "ete", "severity": 3}]},
            "needs[0].severity",
            "less than or equal to 2",
        ),
        ({"sentence": {"end_date": "2027-13-01"}}, "sentence.end_date", "date"),
        ({"sentence": {"end_date": "2026-01-01"}}, "sentence", "end_date must be after start_date"),
        ({"age": "old"}, "age", "integer"),
        ({"risk": {"ogrs": 101}}, "risk.ogrs", "less than or equal to 100"),
        (
            {"needs": [{"area": "acommodation", "severity": 2}]},
            "needs[0].area",
            "did you mean 'accommodation'",
        ),
        (
            {"responsivity": ["rural", "employd_full_time"]},
            "responsivity[1]",
            "unknown responsivity code",
        ),
        (
            {"risk": {"flags": ["domestic_abuse", "not_a_flag"]}},
            "risk.flags[1]",
            "unknown risk flag 'not_a_flag'",
        ),
        ({"region": "narnia"}, "region", "unknown region 'narnia'"),
        (
            {"sentence": {"mandated": ["no_such_programme"]}},
            "sentence.mandated[0]",
            "unknown intervention",
        ),
        ({"surname": "Smith"}, "surname", "Extra inputs are not permitted"),
    ],
)
def test_a_bad_assessment_is_a_422_naming_the_json_path(
    client: TestClient, example: dict[str, Any], patch: dict[str, Any], path: str, words: str
) -> None:
    response = client.post("/v1/plans", json=variant(example, **patch))
    assert response.status_code == 422
    found = errors_at(response)
    assert path in found, found
    assert words in found[path]


def test_a_missing_required_field_is_named(client: TestClient, example: dict[str, Any]) -> None:
    body = {k: v for k, v in example.items() if k != "person_id"}
    response = client.post("/v1/plans", json=body)
    assert response.status_code == 422
    assert "person_id" in errors_at(response)


def test_a_bad_today_names_the_query_parameter(client: TestClient, example: dict[str, Any]) -> None:
    response = client.post("/v1/plans", json=example, params={"today": "yesterday"})
    assert response.status_code == 422
    assert "query.today" in errors_at(response)


def test_malformed_json_is_a_422_that_says_where(client: TestClient) -> None:
    response = client.post(
        "/v1/plans", content=b'{"person_id": "X1", ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "malformed_json"
    assert "not valid JSON" in body["message"] and "character" in body["message"]


def test_a_body_that_is_not_text_is_malformed_json_not_a_400(client: TestClient) -> None:
    response = client.post(
        "/v1/plans", content=b"\x08s)\xff", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422 and response.json()["code"] == "malformed_json"


def test_a_missing_body_is_a_422(client: TestClient) -> None:
    response = client.post("/v1/plans")
    assert response.status_code == 422
    assert errors_at(response) == {"body": "a JSON body is required"}


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_that_is_not_json_is_a_415(client: TestClient, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/v1/plans", content=b"person_id=X1", headers=headers)
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_json_with_a_charset_or_a_plus_json_type_is_accepted(
    client: TestClient, example: dict[str, Any]
) -> None:
    import json

    for media in ("application/json; charset=utf-8", "application/vnd.matcher+json"):
        response = client.post(
            "/v1/plans", content=json.dumps(example), headers={"Content-Type": media}
        )
        assert response.status_code == 200, media


def test_a_body_over_the_limit_by_content_length_is_a_413(client: TestClient) -> None:
    big = b"[" + b"1," * (600 * 1024) + b"1]"
    response = client.post("/v1/plans", content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_a_streamed_body_over_the_limit_without_content_length_is_a_413(client: TestClient) -> None:
    def chunks() -> Any:
        for _ in range(40):
            yield b" " * 64 * 1024  # 2.5 MiB in all, sent chunked

    response = client.post(
        "/v1/plans", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert response.status_code == 413


def test_an_unexpected_fault_is_a_500_with_a_logged_correlation_id_and_no_personal_data(
    client: TestClient, example: dict[str, Any], monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"fault while planning {args[0].person_id}")

    monkeypatch.setattr("api.service.plan", explode)
    monkeypatch.setattr("api.records.plan", explode)
    with caplog.at_level(logging.ERROR, logger="matcher.api"):
        response = client.post("/v1/plans", json=example)
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "internal_error" and body["correlation_id"] in body["message"]
    logged = caplog.text
    assert body["correlation_id"] in logged and "RuntimeError" in logged
    assert "X123456" not in logged and "north_east" not in logged


def test_a_busy_engine_is_a_503_with_retry_after(
    client: TestClient, example: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def busy(*args: Any, **kwargs: Any) -> Any:
        raise EngineBusyError("all evaluation slots busy")

    monkeypatch.setattr("api.service.plan", busy)
    monkeypatch.setattr("api.records.plan", busy)
    response = client.post("/v1/plans", json=example)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["code"] == "engine_busy"


def test_a_caller_correlation_id_is_echoed(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Correlation-ID": "case-42.a"})
    assert response.headers["x-correlation-id"] == "case-42.a"
    response = client.get("/healthz", headers={"X-Correlation-ID": "no spaces <allowed>"})
    assert response.headers["x-correlation-id"] != "no spaces <allowed>"


def test_unknown_routes_and_methods_use_the_envelope(client: TestClient) -> None:
    assert client.get("/v1/nothing").json()["code"] == "not_found"
    response = client.delete("/v1/plans")
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"


# --- POST /v1/matches -------------------------------------------------------------------


def test_matches_select_without_sequencing(client: TestClient, example: dict[str, Any]) -> None:
    match = client.post("/v1/matches", json=example, params={"today": TODAY}).json()
    plan = client.post("/v1/plans", json=example, params={"today": TODAY}).json()
    assert {"selected", "excluded", "unmet_needs", "programme_pathway", "priority_needs"} <= set(
        match
    )
    assert "start_week" not in match["selected"][0]
    assert {i["intervention_id"] for i in plan["items"]} <= {
        s["intervention_id"] for s in match["selected"]
    }
    assert match["excluded"] and match["rules_version"] == plan["rules_version"]


def test_matches_reject_a_bad_assessment_with_paths(
    client: TestClient, example: dict[str, Any]
) -> None:
    response = client.post("/v1/matches", json=variant(example, gender="mail"))
    assert response.status_code == 422
    assert "did you mean 'male'" in errors_at(response)["gender"]


# --- POST /v1/plans/batch ---------------------------------------------------------------


def test_a_batch_keeps_order_and_one_bad_item_fails_alone(
    client: TestClient, example: dict[str, Any]
) -> None:
    good = [variant(example, person_id=f"P{i}", age=20 + i) for i in range(4)]
    bad_code = variant(example, person_id="BAD", needs=[{"area": "drugz", "severity": 2}])
    items = [good[0], bad_code, good[1], 42, good[2], {"person_id": "X"}, good[3]]
    response = client.post("/v1/plans/batch", json={"assessments": items}, params={"today": TODAY})
    assert response.status_code == 200
    body = response.json()
    assert [r["index"] for r in body["results"]] == list(range(7))
    assert [r["status"] for r in body["results"]] == [200, 422, 200, 422, 200, 422, 200]
    assert body["planned"] == 4 and body["failed"] == 3
    assert "needs[0].area" in {e["path"] for e in body["results"][1]["error"]["errors"]}
    assert body["results"][3]["error"]["errors"][0]["path"] == "body"
    assert {"age", "sentence", "gender"} <= {
        e["path"] for e in body["results"][5]["error"]["errors"]
    }
    for entry, sent in zip([body["results"][i] for i in (0, 2, 4, 6)], good, strict=True):
        alone = client.post("/v1/plans", json=sent, params={"today": TODAY, "store": "false"})
        assert unstored(entry["plan"]) == alone.json()
        assert "error" not in entry


def test_a_batch_over_the_limit_is_a_422(client: TestClient, example: dict[str, Any]) -> None:
    response = client.post("/v1/plans/batch", json={"assessments": [example] * 21})
    assert response.status_code == 422
    assert "at most 20" in errors_at(response)["assessments"]


def test_a_batch_without_assessments_is_a_422(client: TestClient) -> None:
    response = client.post("/v1/plans/batch", json={"people": []})
    assert response.status_code == 422
    assert {"assessments", "people"} <= set(errors_at(response))


# --- GET /v1/interventions --------------------------------------------------------------


def test_the_catalogue_lists_every_intervention(client: TestClient, rulebook: Any) -> None:
    body = client.get("/v1/interventions").json()
    assert body["count"] == len(rulebook.catalogue) == len(body["interventions"])


def test_the_catalogue_filters(client: TestClient, rulebook: Any) -> None:
    params = {"need_area": "accommodation", "region": "london", "gender": "female"}
    body = client.get("/v1/interventions", params=params).json()
    assert body["count"] > 0
    for item in body["interventions"]:
        assert "accommodation" in item["needs"]
        if item["regions"] == "contracted":  # a contract serving London takes referrals today
            today = date.today().isoformat()
            assert any(
                "london" in c["regions"] and c["from"] <= today and (c["until"] or today) >= today
                for c in item["contracts"]
            )
        else:
            assert item["regions"] == "all" or "london" in item["regions"]
        gender = item["eligibility"].get("gender")
        assert gender is None or "female" in gender
    kind = next(iter(rulebook.catalogue.values())).kind
    body = client.get("/v1/interventions", params={"kind": kind}).json()
    assert body["count"] > 0 and {i["kind"] for i in body["interventions"]} == {kind}


def test_an_unknown_filter_value_is_a_422_naming_the_query_parameter(client: TestClient) -> None:
    response = client.get("/v1/interventions", params={"need_area": "acommodation", "kind": "x"})
    assert response.status_code == 422
    found = errors_at(response)
    assert "did you mean 'accommodation'" in found["query.need_area"]
    assert "query.kind" in found


def test_one_intervention_and_a_404_with_did_you_mean(client: TestClient) -> None:
    assert client.get("/v1/interventions/crs_accommodation").json()["id"] == "crs_accommodation"
    response = client.get("/v1/interventions/crs_acommodation")
    assert response.status_code == 404
    assert "did you mean 'crs_accommodation'" in errors_at(response)["path.intervention_id"]


# --- rules, validate, sequencing graph --------------------------------------------------


def test_rules_show_version_files_counts_and_vocabulary(client: TestClient, rulebook: Any) -> None:
    body = client.get("/v1/rules").json()
    assert body["rules_version"] == client.get("/readyz").json()["rules_version"]
    assert body["rule_count"] == len(rulebook.rules)
    assert "rules/vocabulary.yaml" in body["files"]
    assert "accommodation" in body["vocabulary"]["need_areas"]
    assert "north_east" in body["vocabulary"]["regions"]


def test_validate_reports_a_planted_broken_rule_with_file_and_line(client: TestClient) -> None:
    before = client.get("/v1/rules").json()["rules_version"]
    response = client.post(
        "/v1/rules/validate", json={"files": {"rules/rulesets/99_planted.yaml": BROKEN_RULE}}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is False and body["live_version"] == before
    errors = [p for p in body["problems"] if p["severity"] == "error"]
    assert errors[0]["file"] == "rules/rulesets/99_planted.yaml"
    assert errors[0]["line"] == 6 and "ogrs_bnd" in errors[0]["message"]
    assert client.get("/v1/rules").json()["rules_version"] == before


def test_validate_reports_bad_yaml_with_its_line(client: TestClient) -> None:
    text = "stage: 3\nrules:\n  - id: x\n    when: {a: [1, 2}\n"
    body = client.post("/v1/rules/validate", json={"files": {"rules/rulesets/x.yaml": text}}).json()
    assert body["valid"] is False
    assert ("rules/rulesets/x.yaml", 4) in {(p["file"], p["line"]) for p in body["problems"]}


def test_validate_accepts_a_good_change_and_gives_its_version(
    client: TestClient, rulebook: Any
) -> None:
    name = "rules/rulesets/70_strengths.yaml"
    text = rulebook.files[name] + "\n# a comment changes the version, not the meaning\n"
    body = client.post("/v1/rules/validate", json={"files": {name: text}}).json()
    assert body["valid"] is True
    assert body["version"] != body["live_version"] == rulebook.version


def test_validate_refuses_names_outside_the_rulebook(client: TestClient) -> None:
    files = {"../etc/passwd": "x", "rules/scenarios/base.yaml": "x", "rules/x.txt": "x"}
    response = client.post("/v1/rules/validate", json={"files": files})
    assert response.status_code == 422
    assert set(errors_at(response)) == {f"files.{name}" for name in files}


def test_validate_never_500s_even_when_the_checker_trips(client: TestClient) -> None:
    # `rules: 5` makes matcher.rules raise TypeError (a bug reported upstream); the API still answers.
    body = client.post("/v1/rules/validate", json={"files": {"rules/rulesets/x.yaml": "rules: 5"}})
    assert body.status_code == 200
    assert body.json()["valid"] is False


def test_the_sequencing_graph_as_json(client: TestClient, rulebook: Any) -> None:
    body = client.get("/v1/sequencing-graph").json()
    assert body["rules_version"] == rulebook.version
    assert {n["id"] for n in body["nodes"]} == set(rulebook.catalogue)
    edge = body["edges"][0]
    assert {"id", "source", "target", "type", "lag_weeks", "rationale"} <= set(edge)
    assert {e["id"] for e in body["policy"]} == {e.id for e in rulebook.policy.edges}
    assert {(e["source"], e["target"]) for e in body["edges"]} == set(
        rulebook.sequencing_graph.edges
    )


@pytest.mark.parametrize(
    ("fmt", "media", "magic"),
    [("svg", "image/svg+xml", b"<?xml"), ("png", "image/png", b"\x89PNG")],
)
def test_the_sequencing_graph_as_a_picture(
    client: TestClient, fmt: str, media: str, magic: bytes
) -> None:
    response = client.get("/v1/sequencing-graph", params={"format": fmt})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    assert response.content.startswith(magic)


def test_an_unknown_picture_format_is_a_422(client: TestClient) -> None:
    response = client.get("/v1/sequencing-graph", params={"format": "gif"})
    assert response.status_code == 422 and "query.format" in errors_at(response)


# --- health, readiness, reload, floor, OpenAPI ------------------------------------------


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "rules_version": None, "reloads": None}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["rules_version"].startswith("sha256:")


def test_not_ready_until_the_rulebook_is_loaded() -> None:
    app = create_app(Settings(database_url=TEST_DATABASE))
    not_started = TestClient(app)  # outside `with`: the lifespan has not run, nothing is loaded
    assert not_started.get("/healthz").status_code == 200
    response = not_started.get("/readyz")
    assert response.status_code == 503 and response.json()["code"] == "not_ready"
    assert not_started.get("/v1/rules").status_code == 503


def test_reload_with_auth_off_is_open_to_the_loopback_caller(client: TestClient) -> None:
    """Auth off (loopback only, api/launch.py): the caller is anonymous with every role; with
    auth on, reloading needs ROLE_MATCHER_POLICY (tests/api/test_auth.py)."""
    assert client.post("/v1/admin/reload").status_code == 200


def test_reload_picks_up_a_good_change_and_refuses_a_broken_one(
    own_client: TestClient, rules_copy: tuple[Path, Path], example: dict[str, Any]
) -> None:
    rules, _ = rules_copy
    first = own_client.get("/readyz").json()["rules_version"]
    same = own_client.post("/v1/admin/reload").json()
    assert same["changed"] is False and same["rules_version"] == first

    planted = rules / "rulesets" / "99_planted.yaml"
    planted.write_text(BROKEN_RULE)
    refused = own_client.post("/v1/admin/reload")
    assert refused.status_code == 422
    assert refused.json()["code"] == "rulebook_invalid" and first in refused.json()["message"]
    assert {"file": "rules/rulesets/99_planted.yaml", "line": 6} in [
        {"file": e.get("file"), "line": e.get("line")} for e in refused.json()["errors"]
    ]
    assert own_client.get("/readyz").json()["rules_version"] == first
    assert own_client.post("/v1/plans", json=example).json()["rules_version"] == first

    planted.write_text(BROKEN_RULE.replace("ogrs_bnd", "ogrs_band"))
    done = own_client.post("/v1/admin/reload").json()
    assert done["changed"] is True and done["previous_version"] == first
    assert (
        own_client.post("/v1/plans", json=example).json()["rules_version"] == done["rules_version"]
    )


def test_the_floor_answers_what_planning_answers_after_validating_the_body(
    client: TestClient, example: dict[str, Any]
) -> None:
    """The benchmark floor costs the framework what a plan request costs it: the same body is
    validated, and the same plan (as first made for the person, then kept) is sent back."""
    planned = client.post("/v1/plans?store=false", json=example)
    first = client.post("/v1/_floor/plans", json=example)
    kept = dict(client.app.state.floor_plans)  # type: ignore[attr-defined]
    again = client.post("/v1/_floor/plans", json=example)
    assert first.status_code == again.status_code == planned.status_code == 200
    assert first.content == again.content == planned.content
    assert len(kept) == 1 and dict(client.app.state.floor_plans) == kept  # type: ignore[attr-defined]
    assert client.post("/v1/_floor/plans", json={"age": 3}).status_code == 422


def test_the_floor_is_off_by_default(own_client: TestClient, example: dict[str, Any]) -> None:
    assert own_client.post("/v1/_floor/plans", json=example).status_code == 404


def test_openapi_documents_every_operation_with_a_summary_tag_and_example(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary") and operation.get("tags"), (method, path)
            if path.startswith("/v1/") and not path.startswith("/v1/admin"):
                text = str(operation)
                assert "example" in text, (method, path)
            assert "HTTPValidationError" not in str(operation.get("responses"))


def test_settings_come_from_the_environment(tmp_path: Path) -> None:
    env = {
        "MATCHER_RULES_DIR": str(tmp_path),
        "MATCHER_MAX_BODY_BYTES": "2048",
        "MATCHER_MAX_BATCH": "7",
        "MATCHER_BENCH_ENDPOINTS": "1",
        "MATCHER_LOG_KEY": "s3cret",
        "MATCHER_AUTH": "jwt",
        "MATCHER_JWT_JWKS_URL": "https://sign-in.test/.well-known/jwks.json",
        "MATCHER_JWT_ISSUER": "https://sign-in.test",
    }
    settings = Settings.from_env(env)
    assert settings.rules_dir == tmp_path and settings.max_body_bytes == 2048
    assert settings.max_batch == 7 and settings.bench_endpoints is True
    assert settings.log_key is not None and "s3cret" not in repr(settings)
    assert settings.auth == "jwt" and settings.jwt_issuer == "https://sign-in.test"
    defaults = Settings.from_env({})
    assert defaults.max_body_bytes == 1024 * 1024 and defaults.max_batch == 500
    assert defaults.auth == "off" and defaults.bench_endpoints is False


def test_explanation_says_why_an_intervention_was_not_chosen(
    client: TestClient, example: dict[str, Any]
) -> None:
    response = client.post(
        "/v1/explanations",
        json=example,
        params={"intervention": "crs_womens_services", "today": TODAY},
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["fired"] and all(f["rule_id"] for f in answer["fired"])
    assert "catalogue.crs_womens_services.gender" in json.dumps(answer["intervention"])


def test_explanation_of_an_unknown_intervention_is_a_404_with_a_suggestion(
    client: TestClient, example: dict[str, Any]
) -> None:
    response = client.post(
        "/v1/explanations", json=example, params={"intervention": "crs_accomodation"}
    )
    assert response.status_code == 404
    assert "crs_accommodation" in response.json()["message"]


def test_batch_explain_is_limited_because_traces_are_large(
    example: dict[str, Any], tmp_path: Path
) -> None:
    settings = Settings(max_batch_explain=2, database_url=f"sqlite:///{tmp_path}/m.db")
    with TestClient(create_app(settings)) as capped:
        body = {"assessments": [example] * 3}
        refused = capped.post("/v1/plans/batch", json=body, params={"explain": "true"})
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["path"] == "explain"
        params = {"explain": "true", "store": "false", "today": TODAY}
        allowed = capped.post("/v1/plans/batch", json={"assessments": [example] * 2}, params=params)
        assert allowed.status_code == 200
        assert all(r["plan"]["trace"] for r in allowed.json()["results"])
        assert (
            capped.post("/v1/plans/batch", json=body, params={"store": "false"}).status_code == 200
        )
