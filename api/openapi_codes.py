"""The live rulebook's codes as enums in the OpenAPI document (issue 15): what a request may name
is published, so a generated client (or schemathesis) knows every code the service accepts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from matcher.rulebook.book import Rulebook


def publish_codes(schema: dict[str, Any], rulebook: Rulebook, max_batch: int) -> None:
    """Add to ``schema`` (in place) an ``enum`` of the live codes on every coded field and
    parameter, the policy's youngest age on ``Assessment.age`` and the batch size limit."""
    components = schema.get("components", {}).get("schemas", {})
    batch = components.get("BatchRequest", {}).get("properties", {}).get("assessments")
    if batch is not None:
        batch["maxItems"] = max_batch
    for (model, field), codes in _fields(rulebook).items():
        prop = components.get(model, {}).get("properties", {}).get(field)
        if prop is not None:
            _restrict(prop, codes)
    items = components.get("Assessment", {}).get("properties", {}).get("oasys_items")
    if items is not None:
        names = items.setdefault("propertyNames", {})
        names["enum"] = sorted(rulebook.vocabulary.lists.get("oasys_items", ()))
    age = components.get("Assessment", {}).get("properties", {}).get("age")
    if age is not None:  # the model allows younger (a clear 422 says why); the policy does not
        age["minimum"] = max(age.get("minimum", 0), rulebook.policy.adults_from_age)
    for (path, method, name), codes in _parameters(rulebook).items():
        operation = schema.get("paths", {}).get(path, {}).get(method, {})
        for parameter in operation.get("parameters", []):
            if parameter.get("name") == name:
                _restrict(parameter["schema"], codes)


def without_null_parameters(schema: dict[str, Any]) -> None:
    """A header or query parameter is absent or a string; it is never JSON ``null`` (FastAPI
    documents an optional one as ``anyOf: [..., {"type": "null"}]``, and a client sends "null")."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                given = parameter.get("schema", {})
                kept = [a for a in given.get("anyOf", []) if a.get("type") != "null"]
                if len(kept) == 1 and len(given["anyOf"]) == 2:
                    del given["anyOf"]
                    given.update(kept[0])


def _fields(rulebook: Rulebook) -> dict[tuple[str, str], Iterable[str]]:
    """Model and field → the codes it may take, as ``matcher.planning.codes`` checks them."""
    vocabulary, catalogue = rulebook.vocabulary, rulebook.catalogue
    reasons = vocabulary.codes("progress_reasons")
    fields: dict[tuple[str, str], Iterable[str]] = {
        ("Assessment", "gender"): vocabulary.codes("genders"),
        ("Assessment", "region"): vocabulary.regions,
        ("Assessment", "pdu"): vocabulary.pdus,
        ("Assessment", "accommodation_status"): vocabulary.accommodation_statuses,
        ("Assessment", "strengths"): vocabulary.codes("strengths"),
        ("Assessment", "responsivity"): vocabulary.codes("responsivity"),
        ("Sentence", "type"): vocabulary.codes("sentence_types"),
        ("Sentence", "requirements"): vocabulary.codes("requirements"),
        ("Sentence", "mandated"): catalogue,
        ("Risk", "flags"): vocabulary.codes("flags"),
        ("Need", "area"): vocabulary.need_areas,
        ("Goal", "need_area"): vocabulary.need_areas,
        ("HistoryEntry", "intervention_id"): catalogue,
        ("HistoryEntry", "reason_code"): reasons,
        ("DecisionRequest", "intervention_id"): catalogue,
        ("ProgressRequest", "intervention_id"): catalogue,
        ("ProgressRequest", "reason_code"): reasons,
    }
    for name, scale in vocabulary.risk_scales.items():
        fields[("Risk", name)] = vocabulary.scales.get(scale, ())
    return fields


def _parameters(rulebook: Rulebook) -> dict[tuple[str, str, str], Iterable[str]]:
    """Path, method and parameter → the codes it may take."""
    vocabulary, catalogue = rulebook.vocabulary, rulebook.catalogue
    return {
        ("/v1/interventions", "get", "need_area"): vocabulary.need_areas,
        ("/v1/interventions", "get", "region"): vocabulary.regions,
        ("/v1/interventions", "get", "kind"): vocabulary.lists.get("kinds", ()),
        ("/v1/interventions", "get", "gender"): vocabulary.codes("genders"),
        ("/v1/interventions/{intervention_id}", "get", "intervention_id"): catalogue,
        ("/v1/explanations", "post", "intervention"): catalogue,
        ("/v1/reports/provision", "get", "region"): vocabulary.regions,
    }


def _restrict(schema: dict[str, Any], codes: Iterable[str]) -> None:
    """Put ``enum`` on the string a field holds: itself, its array's items, or the string
    alternative of a nullable field."""
    if schema.get("type") == "array":
        _restrict(schema.get("items", {}), codes)
    elif "anyOf" in schema:
        for alternative in schema["anyOf"]:
            if alternative.get("type") in ("string", "array"):
                _restrict(alternative, codes)
    elif schema.get("type") == "string":
        schema["enum"] = sorted(codes)
