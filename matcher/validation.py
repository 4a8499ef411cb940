"""Static checks on a whole rulebook, beyond each file's own schema: all problems collected."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from matcher.catalogue import Intervention
from matcher.conditions import AllOf, Expr, Test
from matcher.errors import Problem
from matcher.rules import RuleSpec
from matcher.vocabulary import Vocabulary

if TYPE_CHECKING:
    from matcher.policy import Policy


def static_checks(
    vocabulary: Vocabulary,
    catalogue: dict[str, Intervention],
    rules: dict[str, RuleSpec],
    policy: Policy,
) -> list[Problem]:
    problems: list[Problem] = []
    problems += never_fires(rules)
    problems += recommend_and_exclude(rules)
    problems += provision_gaps(vocabulary, catalogue)
    return problems


def _contradiction(expr: Expr | None) -> str:
    """Why an all-of can never hold (two different values demanded of one field), or ''."""
    if not isinstance(expr, AllOf):
        return ""
    equal: dict[str, set[object]] = defaultdict(set)
    present, absent = set(), set()
    for part in expr.parts:
        if isinstance(part, Test):
            if part.op == "eq":
                equal[part.field].add(part.value)
            elif part.op == "ex":
                present.add(part.field)
            elif part.op == "nex":
                absent.add(part.field)
        else:
            reason = _contradiction(part)
            if reason:
                return reason
    for field_name, values in equal.items():
        if len(values) > 1:
            return f"{field_name!r} cannot equal {' and '.join(map(repr, sorted(values, key=str)))} at once"
    both = (present | set(equal)) & absent
    if both:
        return f"{sorted(both)[0]!r} cannot be both given and missing"
    return ""


def never_fires(rules: dict[str, RuleSpec]) -> list[Problem]:
    problems = []
    for rule in rules.values():
        for expr in [rule.condition.person, *(j.expr for j in rule.condition.joins)]:
            reason = _contradiction(expr)
            if reason:
                problems.append(
                    Problem(rule.file, rule.line, f"rule {rule.id!r} can never fire: {reason}")
                )
                break
    return problems


def recommend_and_exclude(rules: dict[str, RuleSpec]) -> list[Problem]:
    """A rule that both recommends and excludes one intervention contradicts itself."""
    problems = []
    for rule in rules.values():
        recommended = {t for o in rule.outcomes if o.kind == "recommend" for t in o.targets}
        excluded = {t for o in rule.outcomes if o.kind == "exclude" for t in o.targets}
        for target in sorted(recommended & excluded):
            problems.append(
                Problem(
                    rule.file,
                    rule.line,
                    f"rule {rule.id!r} both recommends and excludes {target!r}",
                )
            )
    return problems


def provision_gaps(vocabulary: Vocabulary, catalogue: dict[str, Intervention]) -> list[Problem]:
    """Need areas with no provision at all in a region: the commissioning gap report (warnings)."""
    problems = []
    for region, area in gap_list(vocabulary, catalogue):
        problems.append(
            Problem(
                "catalogue/interventions/",
                1,
                f"no intervention addresses {area!r} in region {region!r}",
                severity="warning",
            )
        )
    return problems


def gap_list(vocabulary: Vocabulary, catalogue: dict[str, Intervention]) -> list[tuple[str, str]]:
    gaps = []
    for region in vocabulary.regions:
        for area in vocabulary.need_areas:
            if not any(area in i.needs and i.serves(region) for i in catalogue.values()):
                gaps.append((region, area))
    return gaps
