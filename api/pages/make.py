"""Make a plan (``/``): the form, and its post — stored as ``POST /v1/plans`` stores it, then the
plan's page; or the form again with the GOV.UK error summary and everything as typed."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from api import records
from api.auth import PLANS, Caller
from api.pages.forms import SEVERITIES, Filled, add_problems, check, read
from api.pages.web import (
    CallerDep,
    FormDep,
    RulebookDep,
    StoreDep,
    cannot,
    render,
    require,
    shown_as_page,
)
from matcher.model.errors import AssessmentError
from matcher.rulebook.book import Rulebook

router = APIRouter(include_in_schema=False)


def _choices(rulebook: Rulebook) -> dict[str, list[tuple[str, str]]]:
    """The form's options, from the vocabulary (its labels are the practitioner's words)."""
    v = rulebook.vocabulary
    regions = sorted(v.regions.items(), key=lambda kv: kv[1])
    pdus = sorted(((p.id, p.name) for p in v.pdus.values()), key=lambda kv: kv[1])
    return {
        "genders": [(code, code.capitalize()) for code in v.codes("genders")],
        "regions": [("", "Not given"), *regions],
        "pdus": [("", "Not given"), *pdus],
        "sentence_types": [("", "Choose a sentence type")]
        + [
            (code, label[:1].upper() + label[1:])
            for code, label in v.codes("sentence_types").items()
        ],
        "rosh": [("", "Not known")]
        + [(r, r.replace("_", " ").capitalize()) for r in v.scales.get("rosh", ())],
        "mappa": [("", "Not known")]
        + [(str(n), f"Level {n}" if n else "Not managed under MAPPA") for n in range(4)],
        "flags": [
            (code, label[:1].upper() + label[1:]) for code, label in v.codes("flags").items()
        ],
        "need_areas": list(v.codes("need_areas").items()),
    }


def form_page(
    request: Request, caller: Caller, rulebook: Rulebook, filled: Filled | None = None
) -> HTMLResponse:
    filled = filled or Filled()
    context = {
        "title": "Make a plan",
        "section": "plans",
        "choices": _choices(rulebook),
        "severities": list(SEVERITIES),
        "values": filled.values,
        "error_for": filled.error_for,
        "errors": [{"text": m, "href": f"#{f}"} for f, m in filled.errors],
        "can_plan": PLANS in caller.roles,
        "cannot": cannot(caller, PLANS),
        "rules_version": rulebook.version,
    }
    return render(request, "make.html", context, 422 if filled.errors else 200, caller)


@router.get("/")
def start(request: Request, caller: CallerDep, rulebook: RulebookDep) -> HTMLResponse:
    return form_page(request, caller, rulebook)


@router.post("/plans")
async def make(
    request: Request, caller: CallerDep, rulebook: RulebookDep, store: StoreDep, form: FormDep
) -> Response:
    require(caller, PLANS)
    filled = await read(form, rulebook)
    assessment = check(filled)
    if assessment is None:
        return form_page(request, caller, rulebook, filled)
    body = assessment.model_dump(mode="json", exclude_unset=True)
    asked = records.asking(caller.name, None, None, False, "plans", body)
    try:
        with shown_as_page():
            made, _ = await run_in_threadpool(
                records.plan_and_store, store, assessment, rulebook, asked
            )
    except AssessmentError as error:
        add_problems(filled, error.errors)
        return form_page(request, caller, rulebook, filled)
    return RedirectResponse(f"/plans/{made.plan_id}", status_code=303)


@router.get("/signed-out")
def signed_out(request: Request) -> HTMLResponse:
    """Where signing out lands: a page that needs nobody signed in (a page that did would send
    the browser straight back to the identity provider)."""
    context = {
        "title": "You have signed out",
        "detail": "Go to the start to sign in again.",
        "status": 200,
    }
    return render(request, "error.html", context)
