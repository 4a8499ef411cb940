"""Provision gaps: the work the rules prefer for a priority need is not available to this person.

The preferred options for a need are those the rules recommend for it at the best precedence level
and, within it, the highest weight. When none of them is in the plan and each is ruled out only by
where or when it is provided (the catalogue criteria policy lists in
``selection.provision_gap_when``: region, contract, setting...), the plan says so, with where it is
available, even if something else fills in. Missing information and ineligibility are not gaps.
"""

from __future__ import annotations

from datetime import date

from matcher.model.catalogue import Intervention
from matcher.model.contract import ProvisionGap
from matcher.model.policy import Policy
from matcher.model.rules import catalogue_criterion
from matcher.planning.findings import Findings
from matcher.planning.index import CatalogueIndex, catalogue_index
from matcher.rulebook.book import Rulebook


def provision_gaps(
    needs: list[str], planned: set[str], findings: Findings, rulebook: Rulebook, on: date
) -> list[ProvisionGap]:
    """One gap per priority need whose preferred provision is unavailable here (needs in order)."""
    catalogue, policy, vocabulary = rulebook.catalogue, rulebook.policy, rulebook.vocabulary
    found: list[ProvisionGap] = []
    if not needs:
        return found
    ranked = _ranked(findings, catalogue, policy, needs)
    for area in needs:
        wanted = _preferred(area, ranked, catalogue_index(catalogue))
        if not wanted or planned & set(wanted):
            continue
        reasons = [_unavailable(i, findings, policy) for i in wanted]
        if not all(reasons):
            continue  # one is ruled out for eligibility, not provision: no gap to report
        where = sorted({r for i in wanted for r in (catalogue[i].places(on) or ["all"])})
        text = policy.text("provision_gap")
        names = ", ".join(catalogue[i].name for i in wanted)
        found.append(
            ProvisionGap(
                need_area=area,
                wanted=wanted,
                reason=text.say(
                    names=names,
                    need=vocabulary.label("need_areas", area),
                    why=" ".join(sorted({r for r in reasons if r})),
                ),
                available_in=where,
            )
        )
    return found


def _ranked(
    findings: Findings, catalogue: dict[str, Intervention], policy: Policy, needs: list[str]
) -> dict[str, tuple[int, float]]:
    """Each option for ``needs`` the rules recommend as main work (not only as a companion,
    which goes beside a need's work, never as it), still provided somewhere, by its rank: best
    precedence level (policy's order; their count: none), then highest weight."""
    index = catalogue_index(catalogue)
    levels: dict[str, int] = {}
    for n, p in enumerate(policy.selection.precedence):
        levels.setdefault(p.name, n)
    found: dict[str, tuple[int, float]] = {}
    recommended, none = findings.recommended, len(policy.selection.precedence)
    # copies of one entry are recommended by the same rules: the same hits, ranked once
    by_hits: dict[tuple[int, ...], tuple[int, float] | None] = {}
    for i in recommended.keys() & set().union(*(index.area_ids(a) for a in needs)):
        hits = recommended[i]
        same = tuple(map(id, hits))  # the hits live as long as the findings: ids stay theirs
        if same not in by_hits:
            main = [h for h in hits if not h.alongside]
            weight = sum(h.weight for h in main)
            level = min([levels.get(h.comes_first, none) for h in main], default=none)
            by_hits[same] = (level, -weight) if main and weight > 0 else None
        ranked = by_hits[same]
        if ranked is not None and catalogue[i].status != "withdrawn":  # withdrawn: no local gap
            found[i] = ranked
    return found


def _preferred(area: str, ranked: dict[str, tuple[int, float]], index: CatalogueIndex) -> list[str]:
    """The options the rules rank first for ``area``, eligible or not: best level, then weight."""
    mine = {i: ranked[i] for i in ranked.keys() & index.area_ids(area)}
    if not mine:
        return []
    best = min(mine.values())
    return sorted(i for i, key in mine.items() if key == best)


def _unavailable(intervention_id: str, findings: Findings, policy: Policy) -> str:
    """Why it is not provided for this person, if only where or when it is provided rules it out
    ('' if it is not ruled out, or is ruled out for anything else as well)."""
    hits = findings.excluded.get(intervention_id, [])
    if not hits:
        return ""
    if any(catalogue_criterion(h.rule.id) not in policy.selection.provision_gap_when for h in hits):
        return ""
    return " ".join(sorted({h.rule.description for h in hits}))
