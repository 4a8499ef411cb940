"""Selection, capacity, sequencing and wording policy records (read by matcher.rulebook.policy).

Every value here comes from rules/policy.yaml, rules/sequencing.yaml or rules/texts.yaml: none has
a default in Python, so a policy file that leaves one out is a problem with its line, not a silent
fallback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Capacity:
    max_concurrent: int
    max_hours_per_week: float


@dataclass(frozen=True)
class CapacityRule:
    id: str
    description: str
    capacity: Capacity


@dataclass(frozen=True)
class Edge:
    """A precedence between interventions: every ``before`` item precedes every ``after`` item."""

    id: str
    type: str
    lag_weeks: int
    rationale: str
    source: str
    file: str
    line: int
    conditional: bool
    # the interventions each side's selector picks, resolved against the catalogue: every one
    # of ``before_ids`` precedes every one of ``after_ids`` (never itself)
    before_ids: frozenset[str]
    after_ids: frozenset[str]
    before: str = ""  # the selectors as written, for pictures and explanations
    after: str = ""
    # firm: never set aside, even when more pressing work would otherwise miss the sentence
    firm: bool = False

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        """Every (before, after) pair it joins, sorted: for views of the policy. Their number is
        the product of the two sides, so loading and planning never build them."""
        return tuple(sorted((b, a) for b in self.before_ids for a in self.after_ids if a != b))


@dataclass(frozen=True)
class Text:
    """What a plan says when policy, not a rule file, decided something: a rule id and its words.

    ``template`` holds ``{placeholders}`` filled in by the planner (rules/texts.yaml lists them).
    """

    key: str
    rule_id: str
    template: str
    file: str = ""
    line: int = 0

    def say(self, **values: Any) -> str:
        """The text with its placeholders filled.

        >>> Text("k", "r", "{name} is required.").say(name="BBR")
        'BBR is required.'
        """
        return self.template.format(**values)


# The criteria rules/policy.yaml may list in selection.need_order (matcher.planning.selection).
NEED_ORDER_CRITERIA = ("linked_to_harm", "linked_to_offending", "severity", "need_area_order")
# The criteria rules/policy.yaml may list in selection.tie_break, for options of one need with the
# same precedence and score (matcher.planning.selection); `preference` must come last.
TIE_BREAK_CRITERIA = (
    "higher_tier",
    "shorter_wait",
    "lower_intensity",
    "shorter_duration",
    "fewer_hours",
    "preference",
)


@dataclass(frozen=True)
class Ranked:
    """A named way of ranking options, with the words a practitioner reads."""

    name: str
    text: str


@dataclass(frozen=True)
class Selection:
    """How interventions are chosen for priority needs (rules/policy.yaml, ``selection``)."""

    priority_field: str  # the per-need derived fact that marks a priority need
    multi_need_bonus: float
    max_items: int
    assessed_from_severity: int  # a need counts as assessed (covered by work for it) from here
    need_order: tuple[str, ...]  # criteria ranking priority needs, most pressing first
    accredited_kind: str = "accredited_programme"  # what "an accredited programme" is (kind)
    precedence: tuple[Ranked, ...] = ()  # levels rules name with comes_first, first first
    tie_break: tuple[Ranked, ...] = ()  # criteria for a remaining tie, ending with preference
    preference: tuple[str, ...] = ()  # the declared order of every intervention
    provision_gap_when: tuple[str, ...] = ()  # catalogue criteria that make a provision gap


@dataclass(frozen=True)
class Pathway:
    """Which derived values fill the plan's programme_pathway, and when it is shown at all."""

    fields: dict[str, str]  # plan field → derived name
    shown_when_given: tuple[str, ...]  # risk scores: the pathway is shown if any is given


@dataclass(frozen=True)
class Rar:
    """How a plan's RAR activity days are counted."""

    providers: tuple[str, ...]  # whose sessions count towards the RAR
    days_per_session: float


@dataclass(frozen=True)
class UnpaidWork:
    """How much of an order's unpaid work may be education, training and employment, and where."""

    ete_share: float
    ete_interventions: tuple[str, ...]


@dataclass(frozen=True)
class Proposals:
    """How requirements are proposed to the court (rules/policy.yaml, ``proposals``)."""

    sentence_types: tuple[str, ...]
    assume: tuple[str, ...]  # requirements the trial plan may use
    programme_requirement: str
    programme_kinds: tuple[str, ...]
    rar_requirement: str
    rar_round_up_to: int


@dataclass(frozen=True)
class ThinProvision:
    """Provision for a need in a region is thin when every option is of these providers or tiers."""

    providers: tuple[str, ...]
    tiers: tuple[str, ...]


@dataclass(frozen=True)
class Policy:
    selection: Selection
    adults_from_age: int
    not_planned_again: tuple[str, ...]  # history statuses whose work is not planned again
    mandated_cannot_when: tuple[str, ...]  # catalogue criteria that stop mandated work
    mandated_own_requirement: tuple[str, ...]  # rules that do not apply to mandated work
    capacity: Capacity
    capacity_rules: tuple[CapacityRule, ...]
    rar: Rar
    unpaid_work: UnpaidWork
    proposals: Proposals
    pathway: Pathway
    thin_provision: ThinProvision
    edges: tuple[Edge, ...]
    texts: dict[str, Text]

    def text(self, key: str) -> Text:
        return self.texts[key]
