"""Fit a selection to the sentence: schedule what it takes, and where work cannot finish in time,
leave it out and take each need's next alternative, until everything left fits (or is mandated).

Only the selection's ranked alternatives are read here; nothing flows back into selection or the
rules. It ends because every round leaves out at least one more intervention for good.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from matcher.model.contract import UnmetNeed, Warning
from matcher.model.policy import Capacity, Policy
from matcher.planning.schedule import Slot, sequence
from matcher.planning.selection import Choice, Selection, take


@dataclass
class Fitted:
    """The schedule, and what fitting it to the sentence left out."""

    slots: list[Slot]
    choices: list[Choice]  # every choice in the schedule
    dropped: list[Choice] = field(default_factory=list)  # too long for the sentence: left out
    overrunning: list[Choice] = field(default_factory=list)  # mandated, yet ending too late
    unmet: dict[str, UnmetNeed] = field(default_factory=dict)
    warnings: list[Warning] = field(default_factory=list)


def fit(
    selection: Selection,
    policy: Policy,
    switched_on: set[str],
    capacity: Capacity,
    horizon: int,
) -> Fitted:
    """Schedule ``selection`` within ``horizon`` weeks, taking alternatives for what cannot fit."""
    out: set[str] = set()
    dropped: list[Choice] = []
    while True:
        taken = take(selection, frozenset(out), policy)
        ranked = sorted(taken.choices, key=lambda c: c.rank)
        slots, late, overrunning = sequence(ranked, policy.edges, switched_on, capacity, horizon)
        new = [c for c in late if c.intervention.id not in out]
        if not new:
            break
        dropped += new
        out |= {c.intervention.id for c in new}
    choices = [s.choice for s in slots]
    return Fitted(slots, choices, dropped, overrunning, taken.unmet, taken.warnings)


def unscheduled(selection: Selection, policy: Policy) -> Fitted:
    """What the selection takes, most pressing first, without weeks."""
    taken = take(selection, frozenset(), policy)
    ranked = sorted(taken.choices, key=lambda c: c.rank)
    slots = [Slot(c, 0, 0, 0, ()) for c in ranked]
    return Fitted(slots, ranked, unmet=taken.unmet, warnings=taken.warnings)
