"""Rule records: a rule's id, text, source, condition and outcomes; computed fields; all rules read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from matcher.model.conditions import Condition
from matcher.model.vocabulary import Band

CATALOGUE_RULE_PREFIX = "catalogue."  # rules written from the catalogue: catalogue.<id>.<criterion>


def catalogue_criterion(rule_id: str) -> str | None:
    """The criterion of a rule written from the catalogue (None for a rule file's rule).

    >>> catalogue_criterion("catalogue.crs_ete.contract.london")
    'contract'
    >>> catalogue_criterion("risk.domestic_abuse.bbr") is None
    True
    """
    if not rule_id.startswith(CATALOGUE_RULE_PREFIX):
        return None
    parts = rule_id.removeprefix(CATALOGUE_RULE_PREFIX).split(".")
    return parts[1] if len(parts) > 1 else None


@dataclass(frozen=True)
class Outcome:
    kind: str  # recommend | exclude | adapt | flag | derive
    targets: tuple[str, ...] = ()
    weight: float = 1.0
    include: bool = False  # recommend: put in the plan even if no priority need asks for it
    prepares: bool = (
        False  # recommend: preparatory work (e.g. motivational): addresses no need itself
    )
    mandatory: bool = False  # recommend: required by the sentence, planned as mandatory
    alongside: bool = False  # recommend: a companion, planned beside the need's main choice
    urgent: bool = False  # recommend: crisis work, never held back by the capacity limit
    comes_first: str = (
        ""  # recommend: the precedence level (rules/policy.yaml selection.precedence)
    )
    code: str = ""  # flag
    name: str = ""  # derive
    value: Any = True
    per_need: bool = False
    precedence: int = 100


@dataclass(frozen=True)
class RuleSpec:
    id: str
    description: str
    source: str
    stage: int
    file: str
    line: int
    condition: Condition
    outcomes: tuple[Outcome, ...]
    examples: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class ComputedField:
    """A plain derived value declared in a rule file: a sum of fields, or the highest on a scale."""

    name: str
    kind: str  # "sum" | "highest" | "band"
    of: tuple[str, ...]
    scale: str = ""
    stage: int = 1
    bands: tuple[Band, ...] = ()  # for "band": half-open, ascending


@dataclass
class RuleFiles:
    rules: list[RuleSpec] = field(default_factory=list)
    computed: list[ComputedField] = field(default_factory=list)
    derived: dict[str, dict[str, Any]] = field(
        default_factory=dict
    )  # name → stage, values, per_need
    intervention_ids: tuple[str, ...] = ()  # the catalogue's, for conditions on history
