"""Rules that fired → findings: what each rule's outcome says, keyed by intervention and by name.

Nothing here decides whether a rule applies (durable_rules did); this only reads the outcomes of the
rules that fired and settles derived values by their declared precedence.
"""

from __future__ import annotations

import functools
import operator
from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from itertools import compress
from typing import Any

from matcher.model.catalogue import Intervention
from matcher.model.contract import Exclusion, Reason, Warning
from matcher.model.engine import Firing, need_area
from matcher.model.policy import Policy
from matcher.model.rules import Outcome, RuleSpec
from matcher.planning.choices import Choice
from matcher.planning.index import cached, catalogue_index

_RULE_ID = operator.attrgetter("rule_id")


@dataclass(slots=True)
class Hit:  # many per plan (one per rule and intervention): a plain, slotted record
    rule: RuleSpec
    weight: float = 0.0
    include: bool = False
    prepares: bool = False
    mandatory: bool = False
    comes_first: str = ""  # the precedence level the rule puts it at ("" none)
    alongside: bool = False  # a companion: beside the need's main choice, never instead of it
    urgent: bool = False  # crisis work: never held back by the capacity limit
    # what the plan shows for it, made once per rulebook: the rule's reason, and for a hit
    # excluding one intervention, that exclusion (None: made when shown)
    reason: Reason | None = None
    exclusion: Exclusion | None = None


def precedence_level(hits: list[Hit], levels: list[str]) -> int:
    """The earliest of ``levels`` any hit puts its intervention at (``len(levels)``: none)."""
    return min(
        [levels.index(h.comes_first) for h in hits if h.comes_first in levels] or [len(levels)]
    )


@dataclass(frozen=True, slots=True)
class _Actions:
    """What a rule records when it fires: its derived values each time (each may name the need
    it matched), everything else the first time only (each outcome once per target)."""

    rule: RuleSpec
    derives: tuple[Outcome, ...]
    proposals: tuple[Outcome, ...]
    notes: tuple[tuple[str, str], ...]  # (kind, code): flags, switches, capacity rules
    # (kind, intervention ids, their hits): at most one hit of a kind for each intervention, so
    # the order of kinds does not matter
    hits: tuple[tuple[str, tuple[str, ...], tuple[Hit, ...]], ...]
    included: tuple[str, ...]  # the interventions it recommends putting in the plan


def _actions(rule: RuleSpec) -> _Actions:
    seen: set[tuple[str, str]] = set()
    derives: list[Outcome] = []
    proposals: list[Outcome] = []
    notes: list[Outcome] = []
    hits: list[tuple[str, str, Hit]] = []
    for outcome in rule.outcomes:
        if outcome.kind == "derive":
            derives.append(outcome)
        elif outcome.kind == "propose" or not outcome.targets:
            if (outcome.kind, outcome.code) not in seen:
                seen.add((outcome.kind, outcome.code))
                (proposals if outcome.kind == "propose" else notes).append(outcome)
        else:
            said = reason(rule.id, rule.description)
            hit = Hit(
                rule,
                outcome.weight,
                outcome.include,
                outcome.prepares,
                outcome.mandatory,
                outcome.comes_first,
                outcome.alongside,
                outcome.urgent,
                said,
            )
            for intervention_id in outcome.targets:
                if (outcome.kind, intervention_id) not in seen:
                    seen.add((outcome.kind, intervention_id))
                    if outcome.kind == "exclude":  # one a target: each shows its own exclusion
                        shown = Exclusion(
                            intervention_id=intervention_id, rule_id=rule.id, reason=said.text
                        )
                        hit = replace(hit, exclusion=shown)
                    hits.append((outcome.kind, intervention_id, hit))
    by_kind: dict[str, list[tuple[str, Hit]]] = {}
    for kind, key, hit in hits:
        by_kind.setdefault(kind, []).append((key, hit))
    return _Actions(
        rule,
        tuple(derives),
        tuple(proposals),
        tuple((o.kind, o.code) for o in notes),
        tuple((kind, *map(tuple, zip(*pairs, strict=True))) for kind, pairs in by_kind.items()),  # type: ignore[misc]
        tuple(key for kind, key, hit in hits if kind == "recommend" and hit.include),
    )


@dataclass(frozen=True, slots=True)
class _Together:
    """What several rules, fired one after another on the same facts (one engine rule standing
    for many), record the first time each fires: their actions joined, in firing order."""

    ids: frozenset[str]
    proposals: tuple[tuple[Outcome, RuleSpec], ...]
    notes: tuple[tuple[str, str, RuleSpec], ...]
    hits: tuple[tuple[str, tuple[str, ...], tuple[Hit, ...]], ...]
    included: tuple[str, ...]


def _joined(each: list[_Actions]) -> _Together:
    by_kind: dict[str, tuple[list[str], list[Hit]]] = {}
    for found in each:
        for kind, targets, hits in found.hits:
            mine = by_kind.setdefault(kind, ([], []))
            mine[0].extend(targets)
            mine[1].extend(hits)
    return _Together(
        frozenset(a.rule.id for a in each),
        tuple((o, a.rule) for a in each for o in a.proposals),
        tuple((kind, code, a.rule) for a in each for kind, code in a.notes),
        tuple((kind, tuple(keys), tuple(hits)) for kind, (keys, hits) in by_kind.items()),
        tuple(key for a in each for key in a.included),
    )


class _RuleActions(dict[str, "_Actions | None"]):
    """Each rule's actions, worked out when it first fires (None: not a rule of the rulebook)."""

    def __init__(self, rules: dict[str, RuleSpec]) -> None:
        super().__init__()
        self.rules = rules
        self._together: dict[tuple[str, ...], _Together | None] = {}

    def __missing__(self, rule_id: str) -> _Actions | None:
        rule = self.rules.get(rule_id)
        found = self[rule_id] = None if rule is None else _actions(rule)
        return found

    def together(self, rule_ids: tuple[str, ...]) -> _Together | None:
        """These rules' actions joined (None: one derives a value, or is not a rule)."""
        if rule_ids not in self._together:
            keys = list(dict.fromkeys(rule_ids))  # each rule once, in order
            each = [self[k] for k in keys]
            usable = all(
                a is not None and a.rule.id == k and not a.derives
                for k, a in zip(keys, each, strict=True)
            )
            self._together[rule_ids] = _joined([a for a in each if a]) if usable else None
        return self._together[rule_ids]


def rule_actions(rules: dict[str, RuleSpec]) -> _RuleActions:
    return cached("rule actions", (rules,), lambda: _RuleActions(rules))


@dataclass
class Findings:
    recommended: dict[str, list[Hit]] = field(default_factory=lambda: defaultdict(list))
    excluded: dict[str, list[Hit]] = field(default_factory=lambda: defaultdict(list))
    adapted: dict[str, list[Hit]] = field(default_factory=lambda: defaultdict(list))
    flags: list[tuple[str, RuleSpec]] = field(default_factory=list)
    proposed: list[tuple[Outcome, RuleSpec]] = field(default_factory=list)  # to the court
    switched_on: set[str] = field(default_factory=set)
    capacity_rules: list[str] = field(default_factory=list)
    derived: dict[str, tuple[Any, RuleSpec]] = field(default_factory=dict)  # name → (value, rule)
    firings: list[Firing] = field(default_factory=list)
    included: set[str] = field(default_factory=set)  # recommended for the plan (`include`)
    _fired: set[str] = field(default_factory=set)  # the rules whose outcomes are recorded

    def __post_init__(self) -> None:
        self._tables = {
            "recommend": self.recommended,
            "exclude": self.excluded,
            "adapt": self.adapted,
        }

    def add(self, firings: list[Firing], rules: dict[str, RuleSpec]) -> dict[str, Any]:
        """Record one stage's firings; return the derived values to carry into the next stage.

        A rule fires once per way its condition holds (each `any` branch, each matching need);
        each outcome counts once per target, so weights are never added twice. Derived values
        count every time: a per-need one names the need of each firing's facts.
        """
        actions = rule_actions(rules)
        candidates: dict[str, list[tuple[int, str, Any]]] = defaultdict(list)
        start, end = 0, len(firings)
        while start < end:  # a run of firings on the same facts: one engine rule, many rules
            facts, stop = firings[start].facts, start + 1
            while stop < end and firings[stop].facts is facts:
                stop += 1
            run = firings[start:stop]
            if len(run) < 3 or not self._together(run, actions):
                self._each(run, actions, candidates)
            start = stop
        carried: dict[str, Any] = {}
        for name, options in candidates.items():
            _, rule_id, value = min(options, key=lambda o: (o[0], o[1]))
            self.derived[name] = (value, rules[rule_id])
            carried[name] = value
        return carried

    def _each(
        self,
        run: list[Firing],
        actions: _RuleActions,
        candidates: dict[str, list[tuple[int, str, Any]]],
    ) -> None:
        """Record firings one at a time (``run``: all on the same facts)."""
        fired, kept, area = self._fired, self.firings.append, None
        for firing in run:
            found = actions[firing.rule_id]
            if found is None:
                continue
            kept(firing)
            rule = found.rule
            for outcome in found.derives:
                area = area or (need_area(firing.facts),)  # the need these facts matched
                name = f"{outcome.name}_{area[0]}" if outcome.per_need and area[0] else outcome.name
                candidates[name].append((outcome.precedence, rule.id, outcome.value))
            if rule.id not in fired:
                fired.add(rule.id)
                self._record(found)

    def _together(self, run: list[Firing], actions: _RuleActions) -> bool:
        """Record a run of firings on the same facts at once, if none of its rules has fired
        yet and none derives a value (else False: nothing recorded)."""
        together = actions.together(tuple(map(_RULE_ID, run)))
        if together is None or not self._fired.isdisjoint(together.ids):
            return False
        self.firings += run
        self._fired.update(together.ids)
        self.proposed += together.proposals
        for kind, code, rule in together.notes:
            self._note(kind, code, rule)
        self._add_hits(together.hits)
        self.included.update(together.included)
        return True

    def _add_hits(self, found: tuple[tuple[str, tuple[str, ...], tuple[Hit, ...]], ...]) -> None:
        tables = self._tables
        for kind, targets, hits in found:
            if len(targets) == 1:
                tables[kind][targets[0]].append(hits[0])
            else:  # each hit onto its target's list, in C: a rule may name thousands
                deque(map(list.append, map(tables[kind].__getitem__, targets), hits), maxlen=0)

    def _record(self, found: _Actions) -> None:
        """What a rule says the first time it fires."""
        rule = found.rule
        if found.proposals:
            self.proposed += [(outcome, rule) for outcome in found.proposals]
        for kind, code in found.notes:
            self._note(kind, code, rule)
        self._add_hits(found.hits)
        if found.included:
            self.included.update(found.included)

    def _note(self, kind: str, code: str, rule: RuleSpec) -> None:
        if kind == "flag":
            self.flags.append((code, rule))
        elif kind == "switch":
            self.switched_on.add(code)
        elif kind == "capacity":
            self.capacity_rules.append(code)


def listed(table: dict[str, list[Hit]]) -> set[str]:
    """The interventions ``table`` holds a hit for (an empty list holds none)."""
    return set(compress(table, table.values()))


def reasons_of(hits: list[Hit]) -> list[Reason]:
    """The reasons the rules behind ``hits`` give, each rule once, by id."""
    if len(hits) < 2:
        return [h.reason or reason(h.rule.id, h.rule.description) for h in hits]
    rules = {hit.rule.id: hit.rule for hit in hits}
    return [reason(k, rules[k].description) for k in sorted(rules)]


# Reasons and exclusions are frozen models, made once per process and shared by every plan that
# gives them, rather than built again for every candidate of every plan.
@functools.lru_cache(maxsize=1 << 16)
def reason(rule_id: str, text: str) -> Reason:
    return Reason(rule_id=rule_id, text=text)


@functools.lru_cache(maxsize=1 << 16)
def exclusion(intervention_id: str, rule_id: str, text: str) -> Exclusion:
    return Exclusion(intervention_id=intervention_id, rule_id=rule_id, reason=text)


def exclusions_of(findings: Findings, intervention_id: str) -> list[Exclusion]:
    hits = findings.excluded.get(intervention_id)
    if not hits:
        return []
    if len(hits) == 1:
        shown = [hits[0].exclusion]
    else:
        by_rule = {h.rule.id: h.exclusion for h in hits}  # each rule once, by id
        shown = [by_rule[k] for k in sorted(by_rule)]
    found = [e for e in shown if e is not None and e.intervention_id == intervention_id]
    if len(found) == len(shown):  # each made with its hit (a hit made elsewhere has none)
        return found
    return [
        exclusion(intervention_id, r.rule_id, r.text)
        for r in reasons_of(findings.excluded.get(intervention_id, []))
    ]


def accredited_first(
    findings: Findings, catalogue: dict[str, Intervention], policy: Policy
) -> dict[str, list[Exclusion]]:
    """Work for people not suitable for an accredited programme (the catalogue says so), ruled
    out when one is open to this person: not excluded, and recommended by a rule."""
    index = catalogue_index(catalogue)
    kind = index.kind_ids(policy.selection.accredited_kind)
    open_ = [
        catalogue[i].name for i in kind & listed(findings.recommended) - listed(findings.excluded)
    ]
    if not open_:
        return {}
    text = policy.text("accredited_first")
    programmes = ", ".join(sorted(open_))
    return {
        i.id: [exclusion(i.id, text.rule_id, text.say(name=i.name, programmes=programmes))]
        for i in index.not_if_accredited
    }


def prerequisite_warnings(
    choices: list[Choice],
    findings: Findings,
    catalogue: dict[str, Intervention],
    policy: Policy,
    done: frozenset[str] = frozenset(),
    rejected: Mapping[str, list[Exclusion]] | None = None,
) -> list[Warning]:
    """A warning for each chosen intervention whose prerequisite is ruled out for this person or
    ``rejected`` by the practitioner (and not ``done`` already)."""
    warnings, rejected = [], rejected or {}
    text = policy.text("prerequisite_not_possible")
    for made in choices:
        for prerequisite in made.intervention.prerequisites:
            out = exclusions_of(findings, prerequisite) + rejected.get(prerequisite, [])
            if out and prerequisite not in done:
                first = catalogue[prerequisite]
                why = "; ".join(e.reason for e in out)
                warnings.append(
                    Warning(
                        code="prerequisite_not_possible",
                        message=text.say(name=made.intervention.name, first=first.name, why=why),
                        rule_id=text.rule_id,
                    )
                )
    return warnings
