"""Fit a selection to the sentence: schedule what it takes, and where work cannot finish in time,
leave it out and take each need's next alternative, until everything left fits (or is mandated).

Only the selection's ranked alternatives are read here; nothing flows back into selection or the
rules. It ends because every round leaves out at least one more intervention for good.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from matcher.model.contract import Reason, UnmetNeed, Warning
from matcher.model.policy import Capacity, Policy
from matcher.planning.choices import Alternative, Choice, Selection, Taken
from matcher.planning.schedule import IN_THE_COMMUNITY, Slot, Timing, sequence


@dataclass
class Fitted:
    """The schedule, and what fitting it to the sentence left out."""

    slots: list[Slot]
    choices: list[Choice]  # every choice in the schedule
    dropped: list[Choice] = field(default_factory=list)  # too long for the sentence: left out
    overrunning: list[Choice] = field(default_factory=list)  # mandated, yet ending too late
    unmet: dict[str, UnmetNeed] = field(default_factory=dict)
    warnings: list[Warning] = field(default_factory=list)
    ended: dict[str, int] = field(default_factory=dict)  # dropped: its contracts end by that week


def fit(
    selection: Selection,
    policy: Policy,
    switched_on: set[str],
    capacity: Capacity,
    horizon: int,
    timing: Timing = IN_THE_COMMUNITY,
) -> Fitted:
    """Schedule ``selection`` within ``horizon`` weeks, taking alternatives for what cannot fit."""
    out: set[str] = set()
    dropped: list[Choice] = []
    ended: set[str] = set()
    while True:
        taken = take(selection, frozenset(out), policy)
        ranked = sorted(taken.choices, key=lambda c: c.rank)
        slots, late, overrunning = sequence(
            ranked, policy.edges, switched_on, capacity, horizon, timing, ended
        )
        new = [c for c in late if c.intervention.id not in out]
        if not new:
            break
        dropped += new
        out |= {c.intervention.id for c in new}
    choices = [s.choice for s in slots]
    last = {key: week for key, (_, week) in timing.contracted.items() if week is not None}
    return Fitted(
        slots,
        choices,
        dropped,
        overrunning,
        taken.unmet,
        taken.warnings,
        {key: last[key] for key in sorted(ended)},
    )


def take(selection: Selection, out: frozenset[str], policy: Policy) -> Taken:
    """Walk the ranked alternatives: each priority need not yet covered takes its best
    alternative that is not ``out`` (left out for time) and whose prerequisites are not out;
    then every chosen piece of work gets the prerequisites it needs. Pure: reads the selection."""
    chosen = [c for c in selection.base if c.intervention.id not in out or c.mandatory]
    ids = {c.intervention.id for c in chosen}
    covered = {a for c in chosen for a in c.addresses} | selection.met
    unmet: dict[str, UnmetNeed] = {}
    for area in selection.priority_needs:
        if area in covered:
            continue
        if len(chosen) >= selection.max_items:
            unmet[area] = selection.if_full[area]
            continue
        uncovered = set(selection.priority_needs) - covered
        taken = ids | out
        open_ = [
            a
            for a in selection.alternatives[area]
            if a.intervention.id not in taken and out.isdisjoint(a.intervention.prerequisites)
        ]
        ranked = sorted(open_, key=lambda a: _order(a, uncovered, selection.multi_need_bonus))
        if not ranked:
            late = any(  # there were options, and time (or contract dates) ruled them out
                a.intervention.id in out or not out.isdisjoint(a.intervention.prerequisites)
                for a in selection.alternatives[area]
            )
            unmet[area] = (selection.if_late if late else selection.if_unmet)[area]
            continue
        best = _decided(ranked, uncovered, selection, policy)
        chosen.append(best)
        ids.add(best.intervention.id)
        covered.update(best.addresses)
    companions = _companions(selection, chosen, ids, out)
    chosen += companions
    _beside(unmet, companions, policy)
    warnings = []
    for made in list(chosen):
        for first in made.prerequisites:
            if first.intervention.id in ids:
                continue
            if first.intervention.id in out:
                text = policy.text("prerequisite_not_possible")
                why = policy.text("prerequisite_no_time").say()
                message = text.say(
                    name=made.intervention.name, first=first.intervention.name, why=why
                )
                warnings.append(
                    Warning(code="prerequisite_not_possible", message=message, rule_id=text.rule_id)
                )
                continue
            chosen.append(first)
            ids.add(first.intervention.id)
    return Taken(chosen, unmet, warnings)


def _companions(
    selection: Selection, chosen: list[Choice], ids: set[str], out: frozenset[str]
) -> list[Choice]:
    """What goes alongside the work taken: the rules' companions, and the catalogue's companions
    of each piece of work taken. Never counted against the plan's size; never instead of work."""
    found = []
    hosts = [c.intervention.id for c in chosen]
    offered = [*selection.companions, *(c for h in hosts for c in selection.alongside.get(h, []))]
    for made in offered:
        if made.intervention.id not in ids and made.intervention.id not in out:
            found.append(made)
            ids.add(made.intervention.id)
    return found


def _beside(unmet: dict[str, UnmetNeed], companions: list[Choice], policy: Policy) -> None:
    """An unmet need says which companion work is still made for it (it does not meet it)."""
    text = policy.text("unmet_companion_only")
    for area, need in list(unmet.items()):
        names = [c.intervention.name for c in companions if area in c.addresses]
        if names:
            extra = text.say(names=", ".join(names))
            unmet[area] = need.model_copy(update={"reason": f"{need.reason} {extra}"})


def _order(a: Alternative, uncovered: set[str], bonus: float) -> tuple[Any, ...]:
    return (a.level, -a.score(uncovered, bonus), a.tie)


def _decided(
    ranked: list[Alternative], uncovered: set[str], selection: Selection, policy: Policy
) -> Choice:
    """The first option, with a reason when its precedence level or a tie-break (not its score,
    which its rules' reasons explain) put it ahead of the runner-up."""
    best = ranked[0]
    if len(ranked) == 1:
        return best.choice
    other = ranked[1]
    bonus = selection.multi_need_bonus
    names = {"name": best.intervention.name, "other": other.intervention.name}
    rule = policy.selection
    if best.level != other.level:
        ranked_by, key = rule.precedence[best.level], "chosen_by_precedence"
    elif best.score(uncovered, bonus) != other.score(uncovered, bonus):
        return best.choice
    else:
        pairs = enumerate(zip(best.tie, other.tie, strict=True))
        index = next((i for i, (a, b) in pairs if a != b), None)
        if index is None:  # the same intervention twice cannot happen; nothing to say
            return best.choice
        ranked_by, key = rule.tie_break[index], "chosen_by_tie_break"
    text = policy.text(key)
    reason = Reason(
        rule_id=f"{text.rule_id}.{ranked_by.name}", text=text.say(**names, why=ranked_by.text)
    )
    return replace(best.choice, reasons=[*best.choice.reasons, reason])


def unscheduled(selection: Selection, policy: Policy) -> Fitted:
    """What the selection takes, most pressing first, without weeks."""
    taken = take(selection, frozenset(), policy)
    ranked = sorted(taken.choices, key=lambda c: c.rank)
    slots = [Slot(c, 0, 0, 0, ()) for c in ranked]
    return Fitted(slots, ranked, unmet=taken.unmet, warnings=taken.warnings)
