"""A rule's ``then:`` → its Outcome records: recommend, exclude, adapt, flag, derive, propose."""

from __future__ import annotations

from matcher.model.catalogue import Intervention
from matcher.model.errors import Problem
from matcher.model.rules import Outcome
from matcher.model.vocabulary import suggest
from matcher.rulebook.selectors import resolve_targets
from matcher.rulebook.shapes import ProposeSpec, TargetSpec, ThenSpec

OUTCOMES = ("recommend", "exclude", "adapt", "flag", "derive", "propose")


def outcomes(
    rule_id: str,
    then: ThenSpec,
    catalogue: dict[str, Intervention],
    problems: list[Problem],
    name: str,
    line: int,
) -> list[Outcome]:
    found = []
    if then.flag is not None:
        found.append(Outcome("flag", code=then.flag.code or rule_id))
    if then.propose is not None:
        found.append(_proposal(rule_id, then.propose, catalogue, problems, name, line))
    if then.derive is not None:
        d = then.derive
        found.append(
            Outcome(
                "derive", name=d.name, value=d.value, per_need=d.per_need, precedence=d.precedence
            )
        )
    for kind, spec in (
        ("recommend", then.recommend),
        ("exclude", then.exclude),
        ("adapt", then.adapt),
    ):
        if spec is not None:
            found.append(_targeted(kind, spec, rule_id, catalogue, problems, (name, line)))
    if not found:
        problems.append(
            Problem(
                name,
                line,
                f"rule {rule_id!r}: 'then' needs an outcome: one of {', '.join(OUTCOMES)}",
            )
        )
    return found


def _targeted(
    kind: str,
    spec: TargetSpec,
    rule_id: str,
    catalogue: dict[str, Intervention],
    problems: list[Problem],
    place: tuple[str, int],
) -> Outcome:
    """A recommend, exclude or adapt outcome, its targets fixed against the catalogue."""
    name, line = place
    targets = resolve_targets(
        spec.interventions,
        spec.select,
        catalogue,
        lambda m: problems.append(Problem(name, line, f"rule {rule_id!r}: {m[0]}", m[1])),
    )
    if not targets:
        problems.append(
            Problem(
                name,
                line,
                f"rule {rule_id!r}: {kind} selects no intervention in the catalogue",
                severity="warning",
            )
        )
    return Outcome(
        kind,
        targets,
        spec.weight,
        include=spec.include or spec.prepares or spec.mandatory or spec.alongside,
        prepares=spec.prepares,
        alongside=spec.alongside,
        urgent=spec.urgent,
        mandatory=spec.mandatory,
        comes_first=spec.comes_first or "",
    )


def _proposal(
    rule_id: str,
    spec: ProposeSpec,
    catalogue: dict[str, Intervention],
    problems: list[Problem],
    name: str,
    line: int,
) -> Outcome:
    """A ``propose`` outcome; its intervention, if any, must be in the catalogue."""
    intervention = spec.intervention or ""
    if intervention and intervention not in catalogue:
        problems.append(
            Problem(
                name,
                line,
                f"rule {rule_id!r}: unknown intervention {intervention!r}",
                suggest(intervention, catalogue),
            )
        )
    return Outcome("propose", code=spec.requirement, name=intervention)
