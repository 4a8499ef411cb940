"""Selectors in one place: which catalogue entries a rule outcome or a sequencing edge names."""

from __future__ import annotations

import functools
from typing import Any

from matcher.model.catalogue import Intervention
from matcher.model.vocabulary import suggest

SELECTOR_KEYS = (
    "ids",
    "kind",
    "tier",
    "provider",
    "intensity",
    "needs",
    "formats",
    "delivery",
    "delivery_lacks",
    "settings",
    "ld_adapted",
    "women_only",
    "interpreter",
)


def resolve_targets(
    ids: list[str],
    select: dict[str, Any] | None,
    catalogue: dict[str, Intervention],
    report: Any,
) -> tuple[str, ...]:
    """The intervention ids a recommend/exclude/adapt outcome names, fixed when the rules load.

    ``interventions: [ids]`` names them; ``select: {kind: ..., formats: group}`` picks every catalogue
    entry whose attributes match (a list means any of; ``delivery_lacks`` means has none of).
    """
    for iid in ids:
        if iid not in catalogue:
            report((f"unknown intervention {iid!r}", suggest(iid, catalogue)))
    chosen = {i for i in ids if i in catalogue}
    if select is not None:
        for key in select:
            if key not in SELECTOR_KEYS:
                report((f"unknown selector {key!r}", suggest(key, SELECTOR_KEYS)))
        if "ids" in select or not isinstance(catalogue, Selectable):
            chosen |= {i.id for i in catalogue.values() if _selected(i, select)}
        else:  # tried once per group of entries alike in every attribute a selector reads
            for first, *alike in catalogue.alike:
                if _selected(first, select):
                    chosen |= {first.id, *(i.id for i in alike)}
    return tuple(sorted(chosen))


class Selectable(dict[str, Intervention]):
    """A catalogue that does not change while rules are read, its entries grouped by every
    attribute a selector other than ``ids`` reads: the copies of an entry serving other areas
    are one group, so a selector is tried once for them all."""

    @functools.cached_property
    def alike(self) -> list[list[Intervention]]:
        groups: dict[tuple[Any, ...], list[Intervention]] = {}
        for intervention in self.values():
            groups.setdefault(_signature(intervention), []).append(intervention)
        return list(groups.values())


def _signature(intervention: Intervention) -> tuple[Any, ...]:
    """What ``_selected`` reads of an entry (bar its id), types kept (True is not 1 here)."""
    values = [
        intervention.attribute(key) for key in SELECTOR_KEYS if key not in ("ids", "delivery_lacks")
    ]
    return tuple(
        (type(v), tuple(v) if isinstance(v, list) else v) for v in [*values, intervention.delivery]
    )


def _selected(intervention: Intervention, select: dict[str, Any]) -> bool:
    for key, wanted in select.items():
        if key not in SELECTOR_KEYS:
            return False
        wanted_list = wanted if isinstance(wanted, list) else [wanted]
        if key == "ids":
            ok = intervention.id in wanted_list
        elif key == "delivery_lacks":
            ok = not set(wanted_list) & set(intervention.delivery)
        else:
            actual = intervention.attribute(key)
            ok = (
                bool(set(wanted_list) & set(actual))
                if isinstance(actual, list)
                else actual in wanted_list
            )
        if not ok:
            return False
    return True


EDGE_SELECTORS = ("needs", "kind", "ids", "formats", "intensity")


def describe_selector(selector: dict[str, Any]) -> str:
    """A selector in words, e.g. "needs: accommodation; kind: toolkit"."""
    parts = []
    for key, value in selector.items():
        values = value if isinstance(value, list) else [value]
        parts.append(f"{key}: {', '.join(str(v) for v in values)}")
    return "; ".join(parts)


def matches_edge_selector(intervention: Intervention, selector: dict[str, Any]) -> bool:
    """Sequencing looks at an intervention's lead need (its first), so its place is unambiguous."""
    for key, wanted in selector.items():
        wanted = wanted if isinstance(wanted, list) else [wanted]
        if key == "needs":
            ok = intervention.needs[0] in wanted
        elif key == "ids":
            ok = intervention.id in wanted
        elif key == "formats":
            ok = bool(set(intervention.formats) & set(wanted))
        elif key in ("kind", "intensity"):
            ok = getattr(intervention, key) in wanted
        else:
            ok = False
        if not ok:
            return False
    return True
