"""Pages for policy staff (``/rules``): the rules and catalogue, searchable, each rule with its
description, source and file:line; scenario results; validating a changed rule file; the
provision report with its charts."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse

from api.auth import POLICY, REPORTS
from api.errors import ApiError
from api.pages.services import Services, page_services
from api.pages.web import (
    DRAWING,
    CallerDep,
    FormDep,
    PageError,
    RulebookDep,
    StoreDep,
    cannot,
    render,
    require,
    shown_as_page,
)
from matcher.reports.provision import suppress, tally, window
from matcher.reports.provision_cases import stored_people
from matcher.rulebook.book import Rulebook
from matcher.store.plans import Store

router = APIRouter(include_in_schema=False)
ServicesDep = Annotated[Services, Depends(page_services)]
Search = Annotated[str, Query(max_length=200)]
Day = Annotated[date | None, Query()]
Region = Annotated[str, Query(max_length=64, pattern=r"^[a-z0-9_]*$")]
# each chart's URL (the file `matcher report provision` writes) → the function drawing it
CHARTS = {"unmet_by_region": "unmet_heat_map", "demand_against_capacity": "demand_against_capacity"}
MEDIA = {"png": "image/png", "svg": "image/svg+xml"}
EXAMPLE_FILE = "rules/rulesets/50_risk.yaml"


def _matches(q: str, *texts: object) -> bool:
    words = q.lower().split()
    joined = " ".join(str(t) for t in texts).lower()
    return all(w in joined for w in words)


@router.get("/rules")
def rules(
    request: Request, caller: CallerDep, rulebook: RulebookDep, q: Search = ""
) -> HTMLResponse:
    """Every rule (id, description, source, file:line) and intervention, filtered by ``q``."""
    found = [
        r for r in sorted(rulebook.rules.values(), key=lambda r: (r.file, r.line))
        if _matches(q, r.id, r.description, r.source, r.file)
    ]  # fmt: skip
    catalogue = [
        i for i in sorted(rulebook.catalogue.values(), key=lambda i: i.name)
        if _matches(q, i.id, i.name, i.description, i.source, " ".join(i.needs))
    ]  # fmt: skip
    context = {
        "title": "Rules and catalogue",
        "section": "rules",
        "q": q,
        "found": found,
        "catalogue": catalogue,
        "summary": rulebook.summary(),
        "areas": rulebook.vocabulary.codes("need_areas"),
        "rules_version": rulebook.version,
    }
    return render(request, "rules.html", context, caller=caller)


@router.get("/rules/scenarios")
def scenarios(
    request: Request, caller: CallerDep, rulebook: RulebookDep, services: ServicesDep
) -> HTMLResponse:
    """Every rule example and scenario, PASS or FAIL, with what was expected and what happened."""
    results = services.scenarios(rulebook)
    failed = [r for r in results if not r["passed"]]
    context = {
        "title": "Scenario results",
        "section": "scenarios",
        "results": results,
        "failed": failed,
        "rules_version": rulebook.version,
    }
    return render(request, "scenarios.html", context, caller=caller)


def _validate_page(
    request: Request, caller: Any, rulebook: Rulebook, extra: dict[str, Any] | None = None
) -> HTMLResponse:
    context = {
        "title": "Validate a rule file",
        "section": "validate",
        "values": {"file": EXAMPLE_FILE, "text": ""},
        "cannot": cannot(caller, POLICY),
        "can_validate": POLICY in caller.roles,
        "rules_version": rulebook.version,
        "errors": [],
        "result": None,
        **(extra or {}),
    }
    status = 422 if context["errors"] and context["result"] is None else 200
    return render(request, "validate.html", context, status, caller)


@router.get("/rules/validate")
def validate_form(
    request: Request, caller: CallerDep, rulebook: RulebookDep, file: Search = ""
) -> HTMLResponse:
    """The form, with the live text of ``file`` to edit when one is named."""
    extra = None
    if file in rulebook.files:
        extra = {"values": {"file": file, "text": rulebook.files[file]}}
    return _validate_page(request, caller, rulebook, extra)


@router.post("/rules/validate")
def validate(
    request: Request, caller: CallerDep, rulebook: RulebookDep, services: ServicesDep, form: FormDep
) -> HTMLResponse:
    """The file laid over the live files and checked (as ``POST /v1/rules/validate``): each
    problem in the error summary with its file:line."""
    require(caller, POLICY)
    name, text = str(form.get("file", "")).strip(), str(form.get("text", ""))
    values = {"file": name, "text": text}
    if not name:
        errors = [{"text": "Enter the file name, like " + EXAMPLE_FILE, "href": "#file"}]
        return _validate_page(request, caller, rulebook, {"values": values, "errors": errors})
    try:
        result = services.validate(rulebook, {name: text.replace("\r\n", "\n")})
    except ApiError as error:
        errors = [{"text": e.message, "href": "#file"} for e in error.errors] or [
            {"text": error.message, "href": "#file"}
        ]
        return _validate_page(request, caller, rulebook, {"values": values, "errors": errors})
    errors = [
        {"text": f"{p.file}:{p.line}: {p.message}" + (f" (did you mean {p.suggestion!r}?)" if p.suggestion else ""),
         "href": "#text"}
        for p in result.problems
        if p.severity == "error"
    ]  # fmt: skip
    extra = {"values": values, "errors": errors, "result": result}
    return _validate_page(request, caller, rulebook, extra)


def _report(
    store: Store, rulebook: Rulebook, region: str, since: date | None, until: date | None
) -> dict[str, Any]:
    if region and region not in rulebook.vocabulary.regions:
        raise PageError(404, "Page not found", f"There is no region {region!r}.")
    start, end = window(since, until, date.today())
    with shown_as_page():
        people = stored_people(store.latest_plans(start, end), rulebook, False, date.today())
        region_of = {p.id: p.region for p in rulebook.vocabulary.pdus.values()}
        return suppress(tally(people, rulebook.catalogue, region_of, region or None))


def _names(rulebook: Rulebook) -> dict[str, str]:
    vocabulary = rulebook.vocabulary
    names = {**vocabulary.codes("need_areas"), **vocabulary.regions}
    names.update({i.id: i.name for i in rulebook.catalogue.values()})
    return names


@router.get("/rules/provision")
def provision(
    request: Request, caller: CallerDep, rulebook: RulebookDep, store: StoreDep,
    region: Region = "", since: Day = None, until: Day = None,
) -> HTMLResponse:  # fmt: skip
    """Unmet priority needs, provision gaps and demand against capacity, from stored plans."""
    require(caller, REPORTS)
    report = _report(store, rulebook, region, since, until)
    query = request.url.query
    context = {
        "title": "Provision report",
        "section": "provision",
        "report": report,
        "cells": [c for c in report["cells"] if "pdu" not in c],
        "rows": [r for r in report["interventions"] if "pdu" not in r],
        "names": _names(rulebook),
        "regions": [
            ("", "All regions"),
            *sorted(rulebook.vocabulary.regions.items(), key=lambda kv: kv[1]),
        ],
        "region": region,
        "query": f"?{query}" if query else "",
        "rules_version": rulebook.version,
    }
    return render(request, "provision.html", context, caller=caller)


@router.get("/rules/provision/{chart}.{fmt}")
def chart(
    caller: CallerDep, rulebook: RulebookDep, store: StoreDep,
    chart: Literal["unmet_by_region", "demand_against_capacity"], fmt: Literal["png", "svg"],
    region: Region = "", since: Day = None, until: Day = None,
) -> Response:  # fmt: skip
    """A chart of the report, drawn by matcher's own charts (matcher report provision)."""
    from matcher.reports import provision_charts  # matplotlib is slow: on demand

    require(caller, REPORTS)
    report = _report(store, rulebook, region, since, until)
    draw = getattr(provision_charts, CHARTS[chart])
    with DRAWING, tempfile.TemporaryDirectory() as folder:
        written = draw(report, Path(folder), _names(rulebook))
        drawn = next(p for p in written if p.suffix == f".{fmt}").read_bytes()
    headers = {"Cache-Control": "private, max-age=60"}
    if fmt == "svg":  # opened on its own: matplotlib's SVG styles itself; nothing else loads
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return Response(drawn, media_type=MEDIA[fmt], headers=headers)
