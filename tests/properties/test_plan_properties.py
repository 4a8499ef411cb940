"""Properties of every plan, over random valid assessments on the shipped rules and catalogue."""

from __future__ import annotations

import random
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.model.contract import Assessment, Plan
from matcher.model.errors import RulebookError
from matcher.planning.planner import Evaluation, evaluate, plan
from matcher.planning.schedule import FINISH_TO_START, effective_capacity
from matcher.rulebook import build as rulebook_module
from matcher.rulebook.book import Rulebook
from matcher.rulebook.sequencing import SEQUENCING_FILE
from matcher.rulebook.sources import SourceFile, Sources, parse_yaml
from tests.conftest import CATALOGUE, RULES, TODAY
from tests.strategies import assessments, need_dags, shipped


def planned(assessment: Assessment, rulebook: Rulebook) -> tuple[Plan, Evaluation]:
    return plan(assessment, rulebook, today=TODAY), evaluate(assessment, rulebook, TODAY)


# --- eligibility -------------------------------------------------------------------------------


@given(assessment=assessments())
def test_no_excluded_intervention_is_selected_and_excluded_mandates_are_warned(
    rulebook: Rulebook, assessment: Assessment
) -> None:
    """Nothing excluded is planned, except work the sentence orders: that is planned despite the
    catalogue's eligibility with a warning, or not at all with mandated_not_possible."""
    result, evaluation = planned(assessment, rulebook)
    excluded = {i for i, hits in evaluation.findings.excluded.items() if hits}
    chosen = {item.intervention_id for item in result.items}
    mandated_ids = set(assessment.sentence.mandated)
    started = {e.intervention_id for e in assessment.history if e.status == "started"}
    assert not (chosen & excluded) - mandated_ids - started
    warned = [w.message for w in result.warnings if w.code == "mandated_not_possible"]
    despite = [w.message for w in result.warnings if w.code == "mandated_despite_eligibility"]
    mandated_text = rulebook.policy.text("mandated")
    for mandated in mandated_ids:
        name = rulebook.catalogue[mandated].name
        if mandated in chosen:
            item = next(i for i in result.items if i.intervention_id == mandated)
            assert item.mandatory
            if not any(r.rule_id == mandated_text.rule_id for r in item.reasons):
                continue  # already under way: kept as it is
            if mandated in excluded:
                assert any(name in message for message in despite), (mandated, despite)
        else:
            assert mandated in excluded and any(name in message for message in warned)
    # work not ordered is mandatory only as a treatment requirement's work (a rule says so) or
    # as the prerequisite of ordered work
    required = {
        i for i, hits in evaluation.findings.recommended.items() if any(h.mandatory for h in hits)
    }
    needed_first = {
        p for m in mandated_ids for p in rulebook.catalogue[m].prerequisites if m in chosen
    }
    for item in result.items:
        if item.intervention_id not in mandated_ids and item.mandatory:
            assert item.intervention_id in required | needed_first, item


# --- needs, reasons, version --------------------------------------------------------------------


@given(assessment=assessments())
def test_every_priority_need_is_addressed_or_reported_unmet_with_a_reason(
    rulebook: Rulebook, assessment: Assessment
) -> None:
    result = plan(assessment, rulebook, today=TODAY)
    addressed = {area for item in result.items for area in item.addresses}
    unmet = {u.area: u for u in result.unmet_needs}
    for area in result.priority_needs:
        assert area in addressed or area in unmet, area
    for need in unmet.values():
        assert need.reason.strip(), need
        assert need.area in result.priority_needs
    assert len(unmet) == len(result.unmet_needs)  # each need reported once


@given(assessment=assessments())
def test_every_item_has_reasons_naming_rules_and_the_plan_names_its_rules_version(
    rulebook: Rulebook, assessment: Assessment
) -> None:
    result = plan(assessment, rulebook, today=TODAY)
    policy_rule_ids = {text.rule_id for text in rulebook.policy.texts.values()}
    selection = rulebook.policy.selection  # a deciding level or tie-break: <text's id>.<its name>
    policy_rule_ids |= {f"selection.precedence.{p.name}" for p in selection.precedence}
    policy_rule_ids |= {f"selection.tie_break.{t.name}" for t in selection.tie_break}
    # a companion's reason names its host (rules/texts.yaml: "the rule id ends with the host's id")
    companion = rulebook.policy.texts["companion"].rule_id
    policy_rule_ids |= {f"{companion}.{host}" for host in rulebook.catalogue}
    assert result.rules_version == rulebook.version
    assert result.rules_version.startswith("sha256:") and len(result.rules_version) == 71
    for item in result.items:
        assert item.reasons, item.intervention_id
        for reason in [*item.reasons, *item.adaptations]:
            # a rule file's rule, or a policy decision worded in rules/texts.yaml
            assert reason.rule_id in rulebook.rules or reason.rule_id in policy_rule_ids
            assert reason.text.strip()
    for warning in result.warnings:
        assert warning.code and warning.message.strip()


# --- schedule ----------------------------------------------------------------------------------


def precedences(
    rulebook: Rulebook, switched_on: set[str]
) -> dict[tuple[str, str], list[tuple[str, int]]]:
    """(before, after) → [(type, lag)] from every applicable policy edge and prerequisite."""
    found: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    for edge in rulebook.policy.edges:
        if edge.conditional and edge.id not in switched_on:
            continue
        for pair in edge.pairs:
            found[pair].append((edge.type, edge.lag_weeks))
    for intervention in rulebook.catalogue.values():
        for prerequisite in intervention.prerequisites:
            found[(prerequisite, intervention.id)].append((FINISH_TO_START, 0))
    return found


@given(assessment=assessments())
def test_schedule_respects_every_edge_lag_wait_phase_capacity_and_the_sentence_end(
    rulebook: Rulebook, assessment: Assessment
) -> None:
    result, evaluation = planned(assessment, rulebook)
    items = {item.intervention_id: item for item in result.items}
    assert len(items) == len(result.items)
    # work already under way is where it is: from week 0, for the weeks it has left, whatever
    # the edges, waits and capacity (its own property below)
    started = {i.intervention_id for i in result.items if i.status == "started"}
    for item in result.items:
        if item.intervention_id in started:
            assert item.start_week == 0 and item.end_week >= 1
    # a referral is an act: no edge holds it or is held by it, it uses no capacity, and its duty
    # ends with the plan; crisis work (a rule's `urgent`) is never held back by the capacity limit
    referrals = {i.intervention_id for i in result.items if i.role == "referral"}
    urgent = {
        i for i, hits in evaluation.findings.recommended.items() if any(h.urgent for h in hits)
    }
    set_aside = [w.message for w in result.warnings if w.code == "sequencing_reconsidered"]
    for (before, after), rules in precedences(rulebook, evaluation.findings.switched_on).items():
        if before not in items or after not in items or after in started:
            continue
        if {before, after} & referrals:
            assert before not in items[after].after
            continue
        a, b = items[before], items[after]
        if before not in b.after:  # set aside for more pressing work, and the plan says so
            assert any(m.startswith(b.name) and a.name in m for m in set_aside), (before, after)
            continue
        for kind, lag in rules:
            if kind == FINISH_TO_START:
                assert b.start_week >= a.end_week + lag, (before, after, kind, lag)
            else:
                assert b.start_week >= a.start_week + lag, (before, after, kind, lag)
    for item in [i for i in result.items if i.intervention_id not in started]:
        catalogued = rulebook.catalogue[item.intervention_id]
        assert item.start_week >= catalogued.wait_weeks == item.wait_weeks
        if item.intervention_id in referrals:
            assert item.start_week < item.end_week <= item.start_week + catalogued.duration_weeks
        else:
            assert item.end_week - item.start_week == catalogued.duration_weeks
        assert set(item.after) <= set(items)
        assert item.phase >= 1
        if not item.after:
            assert item.phase == 1
        for before in item.after:
            assert item.phase > items[before].phase
    weeks_left = evaluation.person["weeks_left"]
    overruns = [w.message for w in result.warnings if w.code == "mandated_overruns"]
    for item in [i for i in result.items if i.intervention_id not in started]:
        if item.end_week > weeks_left:
            assert item.mandatory, item.intervention_id
            assert any(item.name in message for message in overruns)
    capacity = effective_capacity(
        rulebook.policy.capacity,
        rulebook.policy.capacity_rules,
        evaluation.findings.capacity_rules,
    )
    weeks: dict[int, list[float]] = defaultdict(list)
    held = started | referrals | urgent
    for item in [i for i in result.items if i.intervention_id not in held]:
        for week in range(item.start_week, item.end_week):
            weeks[week].append(item.hours_per_week)
    for week, hours in weeks.items():
        assert len(hours) <= capacity.max_concurrent, week
        if len(hours) > 1:
            assert sum(hours) <= capacity.max_hours_per_week + 1e-9, week


# --- determinism -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fresh_rulebook() -> Rulebook:
    """A second rulebook loaded from the same files: a new engine, new ruleset names."""
    book = rulebook_module.load(RULES, CATALOGUE, probe=False)
    yield book
    book.engine.close()


@given(assessment=assessments())
def test_same_assessment_gives_a_byte_identical_plan(
    rulebook: Rulebook, fresh_rulebook: Rulebook, assessment: Assessment
) -> None:
    first = plan(assessment, rulebook, today=TODAY).model_dump_json()
    assert plan(assessment, rulebook, today=TODAY).model_dump_json() == first
    assert plan(assessment, fresh_rulebook, today=TODAY).model_dump_json() == first


# --- order of files and entries ----------------------------------------------------------------


def _shuffle_list(data: Any, key: str, rng: random.Random) -> None:
    if isinstance(data, dict) and isinstance(data.get(key), list):
        rng.shuffle(data[key])


def shuffled_copy(target: Path, seed: int) -> tuple[Path, Path]:
    """rules/ and catalogue/ copied with entries shuffled within files and files renamed.

    Vocabulary order is policy (need-area tie-break, band order), so vocabulary.yaml is kept.
    """
    rng = random.Random(seed)
    rules, catalogue = target / "rules", target / "catalogue"
    shutil.copytree(RULES, rules)
    shutil.copytree(CATALOGUE, catalogue)
    renames = [
        (rules / "rulesets", "rules"),
        (catalogue / "interventions", "interventions"),
    ]
    for folder, key in renames:
        paths = sorted(folder.glob("*.yaml"))
        prefixes = rng.sample(range(10, 99), len(paths))
        for path, prefix in zip(paths, prefixes, strict=True):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            _shuffle_list(data, key, rng)
            path.unlink()
            stem = path.stem.split("_", 1)[-1] if path.stem[:2].isdigit() else path.stem
            (folder / f"{prefix}_{stem}.yaml").write_text(
                yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8"
            )
    for path, key, inner in (
        (rules / "sequencing.yaml", "edges", None),
        (rules / "policy.yaml", "capacity", "rules"),
    ):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        _shuffle_list(data if inner is None else data.get(key), inner or key, rng)
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return rules, catalogue


@pytest.fixture(scope="module")
def shuffled_rulebooks(tmp_path_factory: pytest.TempPathFactory) -> list[Rulebook]:
    books = []
    for seed in (1, 2):
        rules, catalogue = shuffled_copy(tmp_path_factory.mktemp(f"shuffled{seed}"), seed)
        books.append(rulebook_module.load(rules, catalogue, probe=False))
    yield books
    for book in books:
        book.engine.close()


def test_shuffled_copies_really_differ_in_order(
    rulebook: Rulebook, shuffled_rulebooks: list[Rulebook]
) -> None:
    for book in shuffled_rulebooks:
        assert book.version != rulebook.version
        assert set(book.rules) == set(rulebook.rules)
        assert set(book.catalogue) == set(rulebook.catalogue)
        assert sorted(book.checked.sources.files) != sorted(rulebook.checked.sources.files)


@given(assessment=assessments())
def test_plan_does_not_depend_on_the_order_of_files_or_entries(
    rulebook: Rulebook, shuffled_rulebooks: list[Rulebook], assessment: Assessment
) -> None:
    expected = plan(assessment, rulebook, today=TODAY).model_dump(exclude={"rules_version"})
    for book in shuffled_rulebooks:
        assert plan(assessment, book, today=TODAY).model_dump(exclude={"rules_version"}) == expected


# --- cycles in the sequencing policy -----------------------------------------------------------


def sequencing_text(edges: list[tuple[str, str, str, int, bool]]) -> str:
    entries = [
        {
            "id": f"e{n}_{before}_to_{after}",
            "before": {"needs": [before]},
            "after": {"needs": [after]},
            "type": kind,
            "lag_weeks": lag,
            "rationale": "random test policy",
            "source": "hypothesis",
        }
        for n, (before, after, kind, lag, _) in enumerate(edges)
    ]
    return yaml.safe_dump({"edges": entries}, sort_keys=False)


def with_sequencing(sources: Sources, text: str) -> Sources:
    files = dict(sources.files)
    files[SEQUENCING_FILE] = SourceFile(SEQUENCING_FILE, text, parse_yaml(text))
    return Sources(files=files, problems=list(sources.problems))


@pytest.fixture(scope="module")
def shipped_sources() -> Sources:
    return shipped().sources


def lead_needs() -> tuple[str, ...]:
    """Need areas that lead at least one intervention (only those can take part in a cycle)."""
    leads = {i.needs[0] for i in shipped().catalogue.values()}
    return tuple(a for a in shipped().vocabulary.need_areas if a in leads)


@settings(max_examples=12)
@given(dag=need_dags(lead_needs()), data=st.data())
def test_a_cycle_planted_in_an_acyclic_policy_is_reported_naming_its_edges(
    shipped_sources: Sources, dag: Any, data: st.DataObject
) -> None:
    order, edges = dag
    rulebook_module.check_sources(with_sequencing(shipped_sources, sequencing_text(edges)))
    # plant a back edge along a forward path (possibly of length one)
    i = data.draw(st.integers(0, len(order) - 2))
    j = data.draw(st.integers(i + 1, len(order) - 1))
    path = [(order[k], order[k + 1], "finish_to_start", 0, False) for k in range(i, j)]
    back = (
        order[j],
        order[i],
        data.draw(st.sampled_from(["finish_to_start", "start_to_start"])),
        0,
        False,
    )
    planted = [*edges, *path, back]
    with pytest.raises(RulebookError) as raised:
        rulebook_module.check_sources(with_sequencing(shipped_sources, sequencing_text(planted)))
    cycles = [p for p in raised.value.problems if "cycle" in p.message]
    assert len(cycles) == 1
    message = cycles[0].message
    assert cycles[0].file == SEQUENCING_FILE
    back_id = f"sequencing.e{len(planted) - 1}_{order[j]}_to_{order[i]}"
    assert back_id in message, message
    for step in message.split(": ", 1)[1].split("; "):
        assert "(by sequencing.e" in step or "(by prerequisite:" in step, step


# --- selection by precedence, never by id (issue 10) -------------------------------------------


@given(assessment=assessments())
def test_no_choice_is_ever_decided_by_id_order(rulebook: Rulebook, assessment: Assessment) -> None:
    """Every need's options are strictly ordered by precedence level, score and the policy's
    tie-break criteria (the last being its declared preference order), so no two options ever
    tie; and where the winner beat the runner-up on level or on a tie-break, its reasons name the
    policy level or criterion that decided."""
    from matcher.planning.fit import take
    from matcher.planning.selection import select

    evaluation = evaluate(assessment, rulebook, TODAY)
    policy = rulebook.policy
    chosen = select(
        assessment,
        evaluation.findings,
        evaluation.priority,
        rulebook.catalogue,
        policy,
        rulebook.vocabulary,
    )
    every_need = set(chosen.priority_needs)
    for options in chosen.alternatives.values():
        keys = [(a.level, -a.score(every_need, chosen.multi_need_bonus), a.tie) for a in options]
        assert len(set(keys)) == len(keys), "two options of one need tie: the id would decide"
    taken = take(chosen, frozenset(), policy)
    for choice in taken.choices:
        for reason in choice.reasons:
            if reason.rule_id.startswith(("selection.precedence.", "selection.tie_break.")):
                name = reason.rule_id.rsplit(".", 1)[-1]
                declared = policy.selection.precedence + policy.selection.tie_break
                assert name in {r.name for r in declared}
