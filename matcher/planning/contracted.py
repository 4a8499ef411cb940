"""When contracted work can start for this person: the weeks its contracts take referrals.

Commissioned services are provided where and while a contract is (catalogue/contracts.yaml). The
rules already ruled out a service with no contract for the person at any time of their sentence;
this gives the schedule the window in which the contracts covering where the person lives take
referrals, so an item is not planned to start before its contract begins or after it ends.
"""

from __future__ import annotations

from datetime import date

from matcher.model.catalogue import Intervention
from matcher.model.contract import Assessment
from matcher.planning.index import catalogue_index


def contract_windows(
    assessment: Assessment, catalogue: dict[str, Intervention], start: date
) -> dict[str, tuple[int, int | None]]:
    """Each contracted intervention → (first, last) week of the plan it can start in (last None:
    no recorded end), from the contracts covering the person's region and PDU. Where contracts
    follow one another the window runs from the first start to the last end."""
    found: dict[str, tuple[int, int | None]] = {}
    region = assessment.region
    if region is None:
        return found
    for intervention, covering in catalogue_index(catalogue).covering(region, assessment.pdu):
        key = intervention.id
        first = max(0, -(-(min(c.starts for c in covering) - start).days // 7))
        ends = [c.ends for c in covering]
        last = None if None in ends else (max(e for e in ends if e) - start).days // 7
        found[key] = (first, last)
    return found
