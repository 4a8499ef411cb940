"""The commissioning picture (design.md §6.4): where priority needs go unmet, where the preferred
provision is missing, and how much demand each intervention faces against its capacity — by region
and probation delivery unit, from a caseload's plans or from stored plans.

Units and formulas (also in docs/provision.md):

- a **cell** is one need area in one region (``pdu`` absent: the whole region) or in one PDU of it
  (``pdu`` given: only people whose assessment names that PDU). ``priority``: people with the need
  area among the plan's ``priority_needs``; ``unmet``: of those, people whose plan lists it in
  ``unmet_needs`` (nothing the rules allow can meet it, or a referral alone stands for it);
  ``addressed`` = ``priority`` − ``unmet``; ``gap``: people
  whose plan has a ``provision_gaps`` entry for it (the rules' preferred provision is not
  available where they are, whether or not something else addressed the need).
- an **intervention row** is one intervention in one region (or PDU). ``demand_people``: people
  whose plan has it as an item; ``demand_hours_per_week``: the sum of those items'
  ``hours_per_week`` (the weekly hours of delivery the demand needs while everyone is in it);
  ``capacity``: the catalogue's places a year for that region or PDU (a region's is the sum of its
  PDUs' when only they are given), absent where the catalogue does not know it;
  ``projected_wait_weeks`` = ceil(52 × demand_people ÷ capacity): the weeks the yearly places take
  to start everyone in today's demand once (the last in the queue waits this long). Absent
  without capacity; with capacity 0 the demand cannot be met and the wait is absent too.
- from stored plans, every count from 1 to 4 is shown as ``"<5"`` so that nobody can be picked out.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from matcher.model.catalogue import Intervention
from matcher.model.contract import Assessment, Plan

NO_REGION = "unspecified"
WINDOW_DAYS = 365  # stored plans: the last 12 months unless the caller says
SMALL = 5  # counts below this, but above 0, are shown as "<5" from stored plans
COLUMNS = [
    "table",
    "region",
    "pdu",
    "need_area",
    "priority",
    "addressed",
    "unmet",
    "gap",
    "intervention_id",
    "demand_people",
    "demand_hours_per_week",
    "capacity",
    "projected_wait_weeks",
]


@dataclass(frozen=True, slots=True)
class Seen:
    """What one person's plan says about provision: small, so a worker can send it back."""

    region: str
    pdu: str | None
    priority: tuple[str, ...]
    addressed: tuple[str, ...]
    unmet: tuple[str, ...]
    gaps: tuple[str, ...]
    items: tuple[tuple[str, float], ...]  # (intervention id, hours a week)
    rules_version: str


def seen(assessment: Assessment, plan: Plan) -> Seen:
    priority = tuple(plan.priority_needs)
    unmet = {need.area for need in plan.unmet_needs}
    return Seen(
        region=assessment.region or NO_REGION,
        pdu=assessment.pdu,
        priority=priority,
        addressed=tuple(a for a in priority if a not in unmet),
        unmet=tuple(a for a in priority if a in unmet),
        gaps=tuple(sorted({gap.need_area for gap in plan.provision_gaps})),
        items=tuple((item.intervention_id, item.hours_per_week) for item in plan.items),
        rules_version=plan.rules_version,
    )


def window(since: date | None, until: date | None, today: date) -> tuple[datetime, datetime]:
    """[since, until) as UTC moments: default the 12 months up to and including today."""
    end = until or today
    start = since or end - timedelta(days=WINDOW_DAYS)
    return (
        datetime.combine(start, datetime.min.time(), UTC),
        datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC),
    )


Place = tuple[str, str | None]  # (region, pdu or None for the whole region)


def _places(person: Seen) -> list[Place]:
    return [(person.region, None)] + ([(person.region, person.pdu)] if person.pdu else [])


def tally(
    people: Iterable[Seen],
    interventions: Mapping[str, Intervention],
    region_of: Mapping[str, str],
    region: str | None = None,
) -> dict[str, Any]:
    """The report's JSON (design.md §6.4), exact counts; ``suppress`` them for stored plans."""
    cells: dict[tuple[str, str | None, str], Counter[str]] = defaultdict(Counter)
    demand: dict[tuple[str, str | None, str], list[float]] = defaultdict(list)
    versions: set[str] = set()
    count = 0
    for person in people:
        if region is not None and person.region != region:
            continue
        count += 1
        versions.add(person.rules_version)
        for place in _places(person):
            for field, areas in (
                ("priority", person.priority),
                ("addressed", person.addressed),
                ("unmet", person.unmet),
                ("gap", person.gaps),
            ):
                for area in areas:
                    cells[(*place, area)][field] += 1
            for intervention_id, hours in person.items:
                demand[(*place, intervention_id)].append(hours)
    return {
        "rules_versions": sorted(versions),
        "people": count,
        "cells": [_cell(key, counts) for key, counts in sorted(cells.items(), key=_order)],
        "interventions": [
            _row(key, hours, capacity_of(interventions.get(key[2]), key[0], key[1], region_of))
            for key, hours in sorted(demand.items(), key=_order)
        ],
    }


def _order(entry: tuple[tuple[str, str | None, str], Any]) -> tuple[str, str, str]:
    (region, pdu, name), _ = entry
    return (region, pdu or "", name)


def _cell(key: tuple[str, str | None, str], counts: Counter[str]) -> dict[str, Any]:
    region, pdu, area = key
    cell: dict[str, Any] = {"region": region}
    if pdu is not None:
        cell["pdu"] = pdu
    cell["need_area"] = area
    cell.update({f: counts[f] for f in ("priority", "addressed", "unmet", "gap")})
    return cell


def capacity_of(
    intervention: Intervention | None,
    region: str,
    pdu: str | None,
    region_of: Mapping[str, str],
) -> int | None:
    """Places a year where the catalogue knows them: the PDU's; the region's, else the sum of
    the capacities the catalogue gives for PDUs of the region (``region_of``: PDU → region)."""
    if intervention is None or not intervention.capacity:
        return None
    known = intervention.capacity
    if pdu is not None:
        return known.get(pdu)
    if region in known:
        return known[region]
    in_region = [n for place, n in known.items() if region_of.get(place) == region]
    return sum(in_region) if in_region else None


def _row(
    key: tuple[str, str | None, str], hours: list[float], capacity: int | None
) -> dict[str, Any]:
    region, pdu, intervention_id = key
    row: dict[str, Any] = {"intervention_id": intervention_id, "region": region}
    if pdu is not None:
        row["pdu"] = pdu
    row["demand_people"] = len(hours)
    row["demand_hours_per_week"] = round(sum(hours), 1)
    if capacity is not None:
        row["capacity"] = capacity
        if capacity > 0:
            row["projected_wait_weeks"] = math.ceil(52 * len(hours) / capacity)
    return row


def small(value: int) -> int | str:
    """A count as it may be shown from stored plans.

    >>> [small(n) for n in (0, 1, 4, 5, 12)]
    [0, '<5', '<5', 5, 12]
    """
    return "<5" if 0 < value < SMALL else value


def suppress(report: dict[str, Any]) -> dict[str, Any]:
    """The report with every count of people from 1 to 4 shown as ``"<5"`` (hours of delivery
    and projected waits, which are derived from them, are hidden for those rows too)."""
    people = ("priority", "addressed", "unmet", "gap")
    cells = [{**c, **{f: small(c[f]) for f in people}} for c in report["cells"]]
    rows = []
    for row in report["interventions"]:
        shown = {**row, "demand_people": small(row["demand_people"])}
        if shown["demand_people"] == "<5":
            shown["demand_hours_per_week"] = "<5 people"
            shown.pop("projected_wait_weeks", None)
        rows.append(shown)
    return {**report, "people": small(report["people"]), "cells": cells, "interventions": rows}


def to_csv(report: Mapping[str, Any]) -> str:
    """One table: a row per cell (``table=cell``), then per intervention (``table=intervention``)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for cell in report["cells"]:
        writer.writerow({"table": "cell", **cell})
    for row in report["interventions"]:
        writer.writerow({"table": "intervention", **row})
    return out.getvalue()


def moved(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The cells whose counts differ between two reports (a rules change's commissioning effect):
    each with the counts before and after, largest change in unmet first."""

    def keyed(report: Mapping[str, Any]) -> dict[tuple[str, str, str], dict[str, Any]]:
        return {(c["region"], c.get("pdu") or "", c["need_area"]): c for c in report["cells"]}

    old, new = keyed(before), keyed(after)
    fields = ("priority", "addressed", "unmet", "gap")
    changes = []
    for key in sorted(old.keys() | new.keys()):
        was = {f: old.get(key, {}).get(f, 0) for f in fields}
        now = {f: new.get(key, {}).get(f, 0) for f in fields}
        if was != now:
            region, pdu, area = key
            change: dict[str, Any] = {"region": region, "need_area": area}
            if pdu:
                change["pdu"] = pdu
            change.update({f: {"before": was[f], "after": now[f]} for f in fields})
            changes.append(change)
    changes.sort(key=lambda c: -abs(c["unmet"]["after"] - c["unmet"]["before"]))
    return changes
