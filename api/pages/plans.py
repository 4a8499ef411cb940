"""A stored plan as a page: what needs attention first, the timeline (a picture and a table),
each item with its reasons and adaptations, exclusions on demand, its versions, the decision and
progress forms and the audit trail; and a person's plans."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar, get_args

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from api import records
from api.auth import PLANS, Caller
from api.delivery import record
from api.errors import ApiError, json_path
from api.pages.services import Services, page_services
from api.pages.web import (
    DRAWING,
    CallerDep,
    FormDep,
    RulebookDep,
    StoreDep,
    cannot,
    render,
    require,
    shown_as_page,
)
from api.schemas import DecisionRequest, ProgressRequest
from matcher.model.contract import Plan
from matcher.rulebook.book import Rulebook
from matcher.store.plans import Store

T = TypeVar("T")

router = APIRouter(include_in_schema=False)
PlanId = Annotated[str, Path(pattern=r"^[0-9a-fA-F-]{1,36}$")]
Version = Annotated[int | None, Query(ge=1, le=100_000)]
ServicesDep = Annotated[Services, Depends(page_services)]
DECISIONS = (("accepted", "Accept"), ("rejected", "Reject"), ("added", "Add to the plan"))
STATUSES: tuple[str, ...] = get_args(ProgressRequest.model_fields["status"].annotation)
FIELD_IDS = {"intervention_id": "decision_intervention", "decision": "decision", "reason": "reason"}
PROGRESS_IDS = {"intervention_id": "progress_intervention", "status": "status",
                "date": "progress_date-day", "reason": "progress_reason",
                "reason_code": "reason_code"}  # fmt: skip


def _stored(store: Store, rulebook: Rulebook, plan_id: str, version: int | None) -> Plan:
    with shown_as_page():
        return records.read(store, rulebook, plan_id, version, None)


def plan_page(
    request: Request,
    caller: Caller,
    store: Store,
    rulebook: Rulebook,
    plan_id: str,
    version: int | None = None,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    """The page, with ``form`` (the form sent, its values and errors) shown again if given."""
    shown = _stored(store, rulebook, plan_id, version)
    with shown_as_page():
        latest = store.version(plan_id, None).latest_version
        trail = records.audit(store, plan_id).events
    in_plan = {i.intervention_id for i in shown.items}
    others = sorted(
        (i for i in rulebook.catalogue.values() if i.id not in in_plan), key=lambda i: i.name
    )
    choices = [(i.intervention_id, f"{i.name} (in the plan)") for i in shown.items]
    choices += [(i.id, f"{i.name} (not in the plan)") for i in others]
    vocabulary = rulebook.vocabulary
    context = {
        "title": f"Plan for {shown.person_id}",
        "section": "plans",
        "plan": shown,
        "latest": latest,
        "trail": trail,
        "areas": vocabulary.codes("need_areas"),
        "names": {i.id: i.name for i in rulebook.catalogue.values()},
        "decision_choices": [("", "Choose an intervention"), *choices],
        "decisions": DECISIONS,
        "progress_choices": [("", "Choose an intervention"), *choices[: len(shown.items)]],
        "statuses": [("", "Choose a status")]
        + [(s, s.replace("_", " ").capitalize()) for s in STATUSES],
        "reasons": [("", "None"), *sorted(vocabulary.codes("progress_reasons").items())],
        "can_decide": PLANS in caller.roles and shown.version == latest,
        "cannot": cannot(caller, PLANS),
        "rules_version": rulebook.version,
        "errors": [],
        "values": {},
        "which": None,
        **(form or {}),
    }
    return render(request, "plan.html", context, 422 if form else 200, caller)


@router.get("/plans/{plan_id}")
def show_plan(
    request: Request,
    plan_id: PlanId,
    caller: CallerDep,
    store: StoreDep,
    rulebook: RulebookDep,
    version: Version = None,
) -> HTMLResponse:
    return plan_page(request, caller, store, rulebook, plan_id, version)


@router.get("/plans/{plan_id}/timeline.png")
def timeline(
    plan_id: PlanId,
    caller: CallerDep,
    store: StoreDep,
    rulebook: RulebookDep,
    version: Version = None,
) -> Response:
    """The plan's timeline drawn by matcher's own timeline picture (matcher plan --timeline)."""
    from matcher.reports.pictures import draw_timeline  # matplotlib is slow: on demand

    shown = _stored(store, rulebook, plan_id, version)
    buffer = io.BytesIO()
    with DRAWING:
        draw_timeline(shown, buffer, "png")
    return Response(
        buffer.getvalue(), media_type="image/png", headers={"Cache-Control": "private, max-age=60"}
    )


def _form_errors(error: ValidationError | ApiError, ids: dict[str, str]) -> list[dict[str, str]]:
    if isinstance(error, ValidationError):
        found = [
            (json_path(e["loc"]), str(e["msg"]).removeprefix("Value error, "))
            for e in error.errors()
        ]
    else:
        found = [(e.path, e.message) for e in error.errors] or [("", error.message)]
    shown = []
    for path, message in found:
        field = ids.get(path.split(".")[0].split("[")[0], next(iter(ids.values())))
        if field == "progress_date-day" and isinstance(error, ValidationError):
            message = "Enter the date as day, month and year, like 14 1 2027"
        shown.append(
            {"text": message[:1].upper() + message[1:], "href": f"#{field}", "field": field}
        )
    return shown


@router.post("/plans/{plan_id}/decisions")
def decide(
    request: Request,
    plan_id: PlanId,
    caller: CallerDep,
    store: StoreDep,
    rulebook: RulebookDep,
    services: ServicesDep,
    form: FormDep,
) -> Response:
    """Accept, reject or add: the next version is made and shown (or the form again, with why not)."""
    require(caller, PLANS)
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    seen = int(values["version"]) if values.get("version", "").isdigit() else None
    try:
        body = DecisionRequest(
            intervention_id=values.get("intervention_id", ""),
            decision=values.get("decision") or None,
            reason=values.get("reason") or None,
        )
        made = _refusable(
            lambda: services.decide(store, rulebook, plan_id, body, seen, caller.name)
        )
    except (ValidationError, _Refused) as error:
        cause = error.error if isinstance(error, _Refused) else error
        sent = {"errors": _form_errors(cause, FIELD_IDS), "values": values, "which": "decision"}
        return plan_page(request, caller, store, rulebook, plan_id, None, sent)
    return RedirectResponse(f"/plans/{plan_id}?version={made.version}", status_code=303)


class _Refused(Exception):
    def __init__(self, error: ApiError) -> None:
        super().__init__(error.message)
        self.error = error


def _refusable(act: Callable[[], T]) -> T:
    """``act``, with the service's own 422 kept for the form (it names the field) and any other
    error shown as a GOV.UK error page."""
    with shown_as_page():
        try:
            return act()
        except ApiError as error:
            if error.status != 422:
                raise
            raise _Refused(error) from error


@router.post("/plans/{plan_id}/progress")
def progress(
    request: Request,
    plan_id: PlanId,
    caller: CallerDep,
    store: StoreDep,
    rulebook: RulebookDep,
    form: FormDep,
) -> Response:
    """Progress from the field on an item: no new version; the plan page shows it."""
    require(caller, PLANS)
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    try:
        body = ProgressRequest(
            intervention_id=values.get("intervention_id", ""),
            status=values.get("status") or None,
            date=_day(values),
            reason=values.get("reason") or None,
            reason_code=values.get("reason_code") or None,
        )
        _refusable(lambda: record(store, rulebook, plan_id, body, caller.name, date.today()))
    except (ValidationError, _Refused) as error:
        cause = error.error if isinstance(error, _Refused) else error
        sent = {"errors": _form_errors(cause, PROGRESS_IDS), "values": values, "which": "progress"}
        return plan_page(request, caller, store, rulebook, plan_id, None, sent)
    return RedirectResponse(f"/plans/{plan_id}#progress", status_code=303)


def _day(values: dict[str, str]) -> str | None:
    parts = [values.get(f"progress_date-{p}", "").strip() for p in ("year", "month", "day")]
    if not all(p.isdigit() for p in parts):
        return None
    try:
        return date(*(int(p) for p in parts)).isoformat()
    except ValueError:
        return None


@router.get("/people/{person_id}")
def person(
    request: Request, person_id: Annotated[str, Path(min_length=1, max_length=64)],
    caller: CallerDep, store: StoreDep, rulebook: RulebookDep,
) -> HTMLResponse:  # fmt: skip
    """A person's plans, newest first, each at its latest version."""
    with shown_as_page():
        found = records.person_plans(store, rulebook, person_id, None)
    context = {"title": f"Plans for {person_id}", "section": "plans", "person_id": person_id,
               "plans": found.plans, "rules_version": rulebook.version}  # fmt: skip
    return render(request, "person.html", context, caller=caller)
