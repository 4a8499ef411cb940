"""The rule engine's interface as the rest of matcher sees it: compiled stages in, firings out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol


class Firing(NamedTuple):
    """One rule that fired, and the facts it matched (alias → fact). A tuple: a plan makes
    dozens, a catalogue of local copies thousands."""

    rule_id: str
    facts: dict[str, dict[str, Any]]


def need_area(facts: dict[str, dict[str, Any]]) -> Any:
    """The area of the first need fact a firing matched (None: it matched none)."""
    return next((f.get("area") for k, f in sorted(facts.items()) if k.startswith("n")), None)


@dataclass(frozen=True)
class Derivation:
    """What a rule's action asserts when it fires (a derived fact other rules can match)."""

    name: str
    value: Any
    per_need: bool
    precedence: int


@dataclass(frozen=True)
class CompiledStage:
    stage: int
    definition: dict[str, dict[str, Any]]  # rule id → {"all": [...]} (no "run": the engine adds it)
    # an engine rule standing for several rules with one condition → their ids (absent: itself)
    members: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # the fields some rule of the stage tests: the engine is given only these of each fact
    fields: frozenset[str] | None = None  # None: every field

    def rule_ids(self, name: str) -> tuple[str, ...]:
        """The rules one engine rule stands for."""
        return self.members.get(name, (name,))


PERSON, NEED, DERIVED, HISTORY = "person", "need", "derived", "history"

# What every fact keeps when given to the engine: its type and id (durable_rules refuses an
# identical fact twice), and a need's area (findings and per-need derivations read it).
KEPT = ("t", "id", "area")


def item_field(item: str) -> str:
    """The fact field for an OASys item id.

    >>> item_field("11.12")
    'item_11_12'
    """
    return "item_" + item.replace(".", "_")


class RuleEngine(Protocol):
    """What planning needs of an engine: its stages, and the rules that fire on some facts."""

    @property
    def stages(self) -> list[int]: ...

    def evaluate(self, stage: int, facts: list[dict[str, Any]]) -> list[Firing]: ...

    def close(self) -> None: ...
