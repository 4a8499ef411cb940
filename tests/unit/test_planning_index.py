"""What planning works out once per rulebook (issue 12): findings recorded from each rule's actions,
the catalogue index, exclusions listed without hashing each one. Each must give what the plain
way of doing it gives."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from matcher.model.conditions import Condition
from matcher.model.contract import Exclusion
from matcher.model.engine import Firing, need_area
from matcher.model.rules import Outcome, RuleSpec
from matcher.planning.choices import Alternative, Choice
from matcher.planning.findings import Findings, Hit, exclusions_of, reasons_of
from matcher.planning.index import cached, catalogue_index
from matcher.planning.ruled_out import each_once
from tests.strategies import make_intervention

TARGETS = ("a", "b", "c")


def _plain_add(
    found: Findings, firings: list[Firing], rules: dict[str, RuleSpec]
) -> dict[str, Any]:
    """Findings.add as it was written first: every outcome of every firing, each counted once per
    (kind, rule, target) — the reference the recorded actions must agree with."""
    seen: set[tuple[str, str, str]] = getattr(found, "_plain_seen", set())
    found._plain_seen = seen  # type: ignore[attr-defined]
    candidates: dict[str, list[tuple[int, str, Any]]] = defaultdict(list)
    for firing in firings:
        rule = rules.get(firing.rule_id)
        if rule is None:
            continue
        found.firings.append(firing)
        area = need_area(firing.facts)
        for outcome in rule.outcomes:
            if outcome.kind == "derive":
                name = f"{outcome.name}_{area}" if outcome.per_need and area else outcome.name
                candidates[name].append((outcome.precedence, rule.id, outcome.value))
                continue
            for target in outcome.targets or (outcome.code,):
                key = (outcome.kind, rule.id, target)
                if key in seen:
                    continue
                seen.add(key)
                if outcome.kind == "propose":
                    found.proposed.append((outcome, rule))
                elif not outcome.targets:
                    found._note(outcome.kind, outcome.code, rule)
                else:
                    table = {"recommend": found.recommended, "exclude": found.excluded}
                    table.get(outcome.kind, found.adapted)[target].append(
                        Hit(rule, outcome.weight, outcome.include, alongside=outcome.alongside)
                    )
    carried = {}
    for name, options in candidates.items():
        _, rule_id, value = min(options, key=lambda o: (o[0], o[1]))
        found.derived[name] = (value, rules[rule_id])
        carried[name] = value
    return carried


def _hits(table: dict[str, list[Hit]]) -> dict[str, list[tuple[Any, ...]]]:
    return {
        k: [(h.rule.id, h.weight, h.include, h.alongside) for h in hits]
        for k, hits in table.items()
        if hits
    }


hits = st.builds(
    Outcome,
    kind=st.sampled_from(["recommend", "exclude", "adapt"]),
    targets=st.lists(st.sampled_from(TARGETS), min_size=1, max_size=3).map(tuple),
    weight=st.sampled_from([0.5, 1.0, 2.0, 0.1]),
    include=st.booleans(),
    alongside=st.booleans(),
)
outcomes = st.one_of(
    hits,
    hits,
    hits,
    st.builds(
        Outcome,
        kind=st.sampled_from(["flag", "switch", "capacity", "propose"]),
        code=st.sampled_from(["x", "y"]),
    ),
    st.builds(
        Outcome,
        kind=st.just("derive"),
        name=st.sampled_from(["level", "priority"]),
        value=st.integers(0, 3),
        per_need=st.booleans(),
        precedence=st.integers(0, 3),
    ),
)


@given(
    st.lists(st.lists(outcomes, min_size=1, max_size=3), min_size=3, max_size=6),
    st.lists(
        st.lists(
            st.tuples(
                st.sampled_from([None, "drugs", "ete"]),
                st.lists(st.integers(0, 6), min_size=1, max_size=6),
            ),
            max_size=5,
        ),
        min_size=1,
        max_size=3,
    ),
)
def test_findings_recorded_from_rule_actions_are_what_every_outcome_gives(
    rule_outcomes: list[list[Outcome]], stages: list[list[tuple[str | None, list[int]]]]
) -> None:
    """Each rule's actions, worked out once, record what reading every outcome of every firing
    records: hits once per rule and target, in firing order; derived values from every firing.
    A run of firings on the same facts (one engine rule standing for many) is recorded at once
    when it can be, one at a time when not: the same either way."""
    condition = Condition(None, ())
    rules = {
        f"r{n}": RuleSpec(f"r{n}", f"rule {n}", "s", 1, "f.yaml", n, condition, tuple(outs))
        for n, outs in enumerate(rule_outcomes)
    }  # r6 is never a rule of the rulebook: its firings are left out
    fast, plain = Findings(), Findings()
    for stage in stages:
        firings = []
        for area, run in stage:  # each run's firings share one facts object, as the engine's do
            facts = {"n1": {"t": "need", "area": area}} if area else {"p": {"t": "person"}}
            firings += [Firing(f"r{n}", facts) for n in run]
        assert fast.add(firings, rules) == _plain_add(plain, firings, rules)
    for table in ("recommended", "excluded", "adapted"):
        assert _hits(getattr(fast, table)) == _hits(getattr(plain, table))
    assert fast.flags == plain.flags and fast.proposed == plain.proposed
    assert fast.switched_on == plain.switched_on
    assert fast.capacity_rules == plain.capacity_rules
    assert fast.derived == plain.derived and fast.firings == plain.firings
    assert fast.included == {
        k for k, hits in fast.recommended.items() if any(h.include for h in hits)
    }
    for target in TARGETS:  # the exclusions and reasons shown, made once with each hit
        plain.excluded[target] = [Hit(h.rule) for h in plain.excluded.get(target, [])]
        assert exclusions_of(fast, target) == exclusions_of(plain, target)
        made_here = [Hit(h.rule) for h in plain.recommended.get(target, [])]
        assert reasons_of(fast.recommended.get(target, [])) == reasons_of(made_here)


def test_what_is_worked_out_once_is_kept_for_the_very_objects_it_was_made_for() -> None:
    catalogue = {"a": make_intervention("a", "drugs")}
    index = catalogue_index(catalogue)
    assert catalogue_index(catalogue) is index
    assert catalogue_index(dict(catalogue)) is not index  # equal, not the same: made again
    made: list[int] = []
    owner = object()
    assert cached("test", (owner,), lambda: made.append(1) or 1) == 1
    assert cached("test", (owner,), lambda: made.append(2) or 2) == 1
    assert made == [1]


def test_the_catalogue_index_keeps_the_catalogue_order() -> None:
    catalogue = {
        key: make_intervention(key, need, other_needs=more)
        for key, need, more in [
            ("z", "drugs", ["ete"]),
            ("b", "ete", []),
            ("m", "drugs", ["drugs"]),
            ("a", "alcohol", ["ete"]),
        ]
    }
    index = catalogue_index(catalogue)
    assert [i.id for i in index.of_area("ete")] == ["z", "b", "a"]
    assert [i.id for i in index.of_area("drugs")] == ["z", "m"]  # each entry once
    assert index.of_area("housing") == () and index.area_ids("housing") == frozenset()
    assert index.in_order({"a", "z", "m", "unknown"}) == ["z", "m", "a"]
    assert sorted(index.alphabetical, key=index.alphabetical.__getitem__) == ["a", "b", "m", "z"]


def _exclusion(intervention_id: str, rule_id: str, reason: str = "why") -> Exclusion:
    return Exclusion(intervention_id=intervention_id, rule_id=rule_id, reason=reason)


def test_exclusions_are_listed_once_each_as_sorting_the_set_of_them_does() -> None:
    catalogue = {k: make_intervention(k, "drugs") for k in ("b", "a", "c")}
    index = catalogue_index(catalogue)
    rule = RuleSpec("r", "d", "s", 1, "f.yaml", 1, Condition((), ()), ())  # type: ignore[arg-type]

    def hit(intervention_id: str, rule_id: str) -> Hit:
        return Hit(rule, exclusion=_exclusion(intervention_id, rule_id))

    hits = {"b": [hit("b", "z.rule"), hit("b", "a.rule")], "a": [hit("a", "m.rule")]}
    history = {"a": [_exclusion("a", "history.x", "declined")]}
    rejected = {"c": [_exclusion("c", "decision.rejected")]}

    def ruled_out(key: str) -> list[Exclusion]:
        mine = sorted((h.exclusion for h in hits.get(key, [])), key=lambda e: e.rule_id)
        return [e for e in mine if e] + history.get(key, []) + rejected.get(key, [])

    def plain(ids: set[str]) -> list[Exclusion]:
        found = [e for key in index.in_order(ids) for e in ruled_out(key)]
        return sorted(set(found), key=lambda e: (e.intervention_id, e.rule_id))

    others = [history, rejected]
    for ids in ({"a", "b", "c"}, {"b"}, set()):
        assert each_once(ids, hits, others, ruled_out, index) == plain(ids)
    # the same history twice (two statuses): each is hashed, as the set of them is
    history["a"].append(_exclusion("a", "history.x", "completed"))
    history["a"].append(_exclusion("a", "history.x", "declined"))
    assert each_once({"a", "b"}, hits, others, ruled_out, index) == plain({"a", "b"})
    # a hit made without its exclusion: read as ``ruled_out`` gives it
    hits["c"] = [Hit(rule)]
    assert each_once({"c"}, hits, others, lambda key: rejected[key], index) == rejected["c"]


def test_an_option_makes_its_choice_once_and_only_when_read() -> None:
    intervention = make_intervention("a", "drugs", other_needs=["ete"])
    made: list[Choice] = []

    def make() -> Choice:
        made.append(Choice(intervention, ["drugs"], [], [], False, (1, 0, -1, "a")))
        return made[-1]

    option = Alternative(intervention, 2.0, 0, (1.0,), make)
    assert option.score({"drugs", "ete", "alcohol"}, 0.5) == 2.5 and not made
    assert option.choice is option.choice and len(made) == 1
