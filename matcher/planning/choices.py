"""What selection hands the schedule: choices, each need's alternatives, and what fitting took."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from matcher.model.catalogue import Intervention
from matcher.model.contract import Exclusion, Reason, UnmetNeed, Warning

V = TypeVar("V")


class Lazy(dict[str, V]):
    """A dict whose values are worked out when first read (``make(key)``)."""

    def __init__(self, make: Callable[[str], V]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key: str) -> V:
        value = self[key] = self.make(key)
        return value


@dataclass
class Choice:
    """One intervention chosen for the plan, before it is scheduled."""

    intervention: Intervention
    addresses: list[str]
    reasons: list[Reason]
    adaptations: list[Reason]
    mandatory: bool
    rank: tuple[int, int, int, str]  # sort key: most pressing first
    prerequisites: list[Choice] = field(default_factory=list)  # to add with it, if not there yet
    origin: str = "need"  # mandated | added | included | need | prerequisite (of other) | started
    remaining_weeks: int | None = None  # already under way: the weeks left of it
    companion: bool = False  # goes alongside a need's main choice: covers no need itself
    urgent: bool = False  # crisis work (a rule says so): starts at once, whatever the capacity

    @property
    def fixed(self) -> bool:
        """Never left out for lack of time: ordered by the court or licence, under way, or a
        referral (an act that takes no capacity)."""
        return self.mandatory or self.remaining_weeks is not None or self.referral

    @property
    def referral(self) -> bool:
        return self.intervention.role == "referral"


@dataclass(frozen=True)
class Alternative:
    """One eligible option for a priority need. It ranks first by the precedence level a rule
    puts it at (policy's order; none: after every level), then by score — which depends on what is
    still uncovered when the need is reached (``take``): the rule weight, plus the policy's bonus
    for each further uncovered priority need it covers — then by policy's tie-break criteria, the
    last of which is policy's declared preference order: never by id.

    Its ``choice`` (with its reasons) is made by ``make`` when first read: a need has many options,
    and a plan takes few of them."""

    intervention: Intervention
    weight: float
    level: int = 0  # index in policy's precedence levels (their count: no level)
    tie: tuple[float, ...] = ()  # one value per policy tie-break criterion, lower first
    make: Callable[[], Choice] = field(default=lambda: _unmade(), compare=False, repr=False)

    @functools.cached_property
    def choice(self) -> Choice:
        return self.make()

    def score(self, uncovered: set[str], bonus: float) -> float:
        extra = max(len(uncovered.intersection(self.intervention.needs)) - 1, 0)
        return self.weight + bonus * extra


def _unmade() -> Choice:
    raise ValueError("an alternative made without its choice")


@dataclass
class Selection:
    """What the plan should hold, before the schedule fits it to the sentence."""

    priority_needs: list[str]  # most pressing first
    base: list[Choice] = field(default_factory=list)  # mandated and included work, in that order
    companions: list[Choice] = field(default_factory=list)  # rules' companions: always alongside
    # the catalogue's companions of each intervention, open to this person: planned with it
    alongside: dict[str, list[Choice]] = field(default_factory=dict)
    alternatives: dict[str, list[Alternative]] = field(default_factory=dict)  # per priority need
    if_unmet: dict[str, UnmetNeed] = field(default_factory=dict)  # if no alternative is open
    if_late: dict[str, UnmetNeed] = field(default_factory=dict)  # if every one is out for time
    if_full: dict[str, UnmetNeed] = field(default_factory=dict)  # if the plan is already full
    max_items: int = 0  # the most work (prerequisites aside) one plan holds
    done: frozenset[str] = frozenset()  # completed already (the assessment's history)
    met: frozenset[str] = frozenset()  # need areas met by work completed in the plan (reviews)
    multi_need_bonus: float = 0.0
    excluded: list[Exclusion] = field(default_factory=list)  # the candidates that mattered
    every_excluded: Callable[[], list[Exclusion]] = list  # every one ruled out, when asked
    rejected: dict[str, list[Exclusion]] = field(default_factory=dict)  # by the practitioner
    warnings: list[Warning] = field(default_factory=list)

    @functools.cached_property
    def excluded_all(self) -> list[Exclusion]:
        """Every candidate ruled out (for explain): worked out when first read."""
        return self.every_excluded()


@dataclass
class Taken:
    """The work a plan takes from a selection, and the needs it leaves unmet."""

    choices: list[Choice]  # in the order taken: base, needs' alternatives, then prerequisites
    unmet: dict[str, UnmetNeed]
    warnings: list[Warning]
