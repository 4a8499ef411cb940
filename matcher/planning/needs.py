"""Which priority needs are most pressing: the order policy's ``need_order`` criteria give them
(the order HMPPS sentence plans use: linked to harm, to reoffending, then severity)."""

from __future__ import annotations

from collections.abc import Callable

from matcher.model.contract import Assessment, Need
from matcher.model.policy import Policy
from matcher.model.vocabulary import Vocabulary

Criterion = Callable[[Need | None, int], int]
# How each criterion policy may name in ``selection.need_order`` ranks a need (lower first).
_CRITERIA: dict[str, Criterion] = {
    "linked_to_harm": lambda need, order: 0 if need and need.linked_to_harm else 1,
    "linked_to_offending": lambda need, order: 0 if need and need.linked_to_offending else 1,
    "severity": lambda need, order: -(need.severity if need else 0),
    "need_area_order": lambda need, order: order,
}


def rank_needs(
    assessment: Assessment, priority: set[str], policy: Policy, vocabulary: Vocabulary
) -> list[str]:
    """Priority needs, most pressing first, by the criteria policy lists (``need_order``)."""
    order = {area: index for index, area in enumerate(vocabulary.need_areas)}
    given = {n.area: n for n in assessment.needs}
    criteria = [_CRITERIA[name] for name in policy.selection.need_order]

    def key(area: str) -> tuple[int, ...]:
        need = given.get(area)
        return tuple(c(need, order.get(area, len(order))) for c in criteria)

    return sorted(priority, key=lambda area: (key(area), area))
