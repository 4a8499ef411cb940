"""The service-layer calls the pages make that sit at api.main's own depth (deciding, validating
rules, running scenarios), handed to the pages by ``api.pages.install`` so the page modules stay
a level above them (tools/house.py: at most 8 import levels, and api.main is at 8)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from api.schemas import DecisionRequest, ValidateResponse
from matcher.model.contract import Plan
from matcher.rulebook.book import Rulebook
from matcher.store.plans import Store

# store, rulebook, plan id, decision, the version it was made on, who → the next version
Decide = Callable[[Store, Rulebook, str, DecisionRequest, int | None, str], Plan]
Validate = Callable[[Rulebook, dict[str, str | None]], ValidateResponse]
# rulebook → each rule example and scenario: kind, name, where, description, passed, failures
Scenarios = Callable[[Rulebook], list[dict[str, Any]]]


@dataclass(frozen=True)
class Services:
    decide: Decide
    validate: Validate
    scenarios: Scenarios


def page_services(request: Request) -> Services:
    services: Services = request.app.state.pages
    return services
