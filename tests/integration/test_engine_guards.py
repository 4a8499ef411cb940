"""One regression test per durable_rules hazard (shared/durable_rules.md) and per guard against it.

For each hazard there is, where it is safe and quick, a reproduction against raw durable_rules (the
crashing and hanging ones in a subprocess, so a crash fails one test instead of the run), and a
test that matcher's adapter (matcher/engine.py) or compiler (matcher/compiler.py) keeps us inside
the envelope.
"""

from __future__ import annotations

import ast
import copy
import inspect
import json
import signal
import subprocess
import sys
import textwrap
import threading
import time
from typing import Any

import pytest

import matcher.durable.engine as engine_module
from matcher.durable.engine import Engine, probe_compile
from matcher.durable.limits import (
    MAX_FACT_FIELDS,
    MAX_RULES_PER_RULESET,
    MAX_RULES_SHARING_CONDITION,
    MAX_TESTS_PER_NODE,
    check_limits,
)
from matcher.durable.patterns import compile_stages
from matcher.model.conditions import AnyOf, Condition, Join
from matcher.model.conditions import Test as FieldTest
from matcher.model.contract import Assessment
from matcher.model.engine import Derivation, item_field
from matcher.model.errors import EngineBusyError, EngineError
from matcher.model.rules import RuleSpec
from matcher.planning.planner import evaluate, plan
from matcher.rulebook import build as rulebook_module
from matcher.rulebook.book import Rulebook
from tests.conftest import ROOT, TODAY

SEGFAULT = -signal.SIGSEGV
QUICK = 30  # seconds: a generous bound for a subprocess that is expected to finish
HANG = 3  # seconds: a healthy create_ruleset takes ~0.01 s (plus ~0.1 s to start Python)


# --- helpers ----------------------------------------------------------------------------------


def run_python(code: str, timeout: float = QUICK) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter in the project root (so ``matcher`` imports)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def rule(rule_id: str, person: Any = None, *joins: Join, stage: int = 1) -> RuleSpec:
    return RuleSpec(
        rule_id, rule_id, "test", stage, "rules/test.yaml", 1, Condition(person, joins), ()
    )


def tiny_engine(*rules: RuleSpec, **kwargs: Any) -> Engine:
    """An Engine over hand-written rules, compiled by the real compiler."""
    derivations = kwargs.pop("derivations", {})
    return Engine(compile_stages(list(rules)), derivations, "sha256:0123456789abcdef", **kwargs)


def person(**fields: Any) -> dict[str, Any]:
    return {"t": "person", "id": "person", **fields}


def walk_patterns(definition: dict[str, Any]) -> list[Any]:
    """Every node (dicts, lists, scalars) below the ``all`` patterns of every rule."""
    found: list[Any] = []

    def walk(node: Any) -> None:
        found.append(node)
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for rule_def in definition.values():
        walk(rule_def["all"])
    return found


COMPARISONS = {"$lt", "$lte", "$gt", "$gte", "$neq", "$ex", "$nex"}


def assert_flat_expression(expr: Any, where: str) -> None:
    """A pattern expression that only compares a field of the fact with a literal."""
    assert isinstance(expr, dict) and len(expr) == 1, (where, expr)
    key, value = next(iter(expr.items()))
    if key in ("$and", "$or"):
        assert isinstance(value, list) and value, (where, expr)
        for part in value:
            assert_flat_expression(part, where)
    elif key in COMPARISONS:
        assert isinstance(value, dict) and len(value) == 1, (where, expr)
        ((field, literal),) = value.items()
        assert not field.startswith("$"), (where, expr)
        assert isinstance(literal, str | int | float | bool), (where, expr)
    else:
        assert not key.startswith("$"), f"{where}: unexpected operator {key!r}"
        assert isinstance(value, str | int | float | bool), (where, expr)


@pytest.fixture(scope="module")
def maximal(rulebook: Rulebook, base: dict[str, Any]) -> Assessment:
    """An assessment using every code, score and item the vocabulary knows."""
    vocabulary = rulebook.vocabulary
    return Assessment.model_validate(
        {
            **base,
            "region": sorted(vocabulary.regions)[0],
            "sentence": {
                **base["sentence"],
                "requirements": sorted(vocabulary.codes("requirements")),
                "rar_days": 60,
                "mandated": sorted(rulebook.catalogue)[:3],
            },
            "risk": {
                "ogrs": 91,
                "rosh": "very_high",
                "mappa_level": 3,
                "flags": sorted(vocabulary.codes("flags")),
                "ovp": 70,
                "rsr": 8,
                "osp_dc": "high",
                "osp_iic": "medium",
                "sara_partner": "high",
                "sara_other": "medium",
            },
            "needs": [
                {"area": a, "severity": 2, "linked_to_offending": True}
                for a in vocabulary.need_areas
            ],
            "strengths": sorted(vocabulary.codes("strengths")),
            "responsivity": sorted(vocabulary.codes("responsivity")),
            "oasys_items": {i: 2 for i in vocabulary.lists["oasys_items"]},
            "ldc_score": 30,
        }
    )


# --- batch with an unmatched fact, then delete_state: segfault ----------------------------------


def test_raw_batch_with_an_unmatched_fact_then_delete_state_segfaults() -> None:
    done = run_python(
        """
        from durable import engine as de
        h = de.Host()
        h.register_rulesets({"elig": {"r1": {"all": [{"m": {"t": "need"}}], "run": lambda c: None}}})
        try:
            h.assert_facts("elig", [{"sid": "s", "t": "assessment"}, {"sid": "s", "t": "need"}])
        except de.MessageNotHandledException:
            pass
        h.delete_state("elig", "s")
        """
    )
    assert done.returncode == SEGFAULT


def test_raw_deleting_a_session_in_which_no_action_ran_segfaults() -> None:
    """Facts asserted one at a time avoid the batch crash, but a session in which no action ran
    (no fact matched, or one waits for a join) cannot be deleted either."""
    done = run_python(
        """
        from durable import engine as de
        h = de.Host()
        h.register_rulesets({"x": {"r1": {"all": [{"m": {"t": "a"}}, {"n": {"t": "c"}}],
                                          "run": lambda c: None}}})
        h.assert_fact("x", {"sid": "s", "t": "a", "id": "a"})
        h.delete_state("x", "s")
        """
    )
    assert done.returncode == SEGFAULT


def test_adapter_sessions_in_which_nothing_fires_are_deleted_safely() -> None:
    """Past 1,024 sessions left undeleted the ruleset breaks for good; past one deleted with no
    action run, the process dies. The adapter gives such a session the session fact."""
    done = run_python(
        """
        from matcher.durable.patterns import compile_stages
        from matcher.model.conditions import Condition, Join, Test as FieldTest
        from matcher.durable.engine import Engine, open_sessions
        from matcher.model.rules import RuleSpec
        r1 = RuleSpec("r1", "", "", 1, "f", 1,
                      Condition(FieldTest("x", "eq", 1), (Join("need", FieldTest("area", "eq", "drugs")),)), ())
        engine = Engine(compile_stages([r1]), {}, "sha256:abc")
        for n in range(2000):
            assert engine.evaluate(1, [{"t": "person", "id": "p", "x": 1}]) == []  # waits for a need
            assert engine.evaluate(1, [{"t": "other", "id": "o"}]) == []  # matches nothing
        both = [{"t": "person", "id": "p", "x": 1}, {"t": "need", "id": "n", "area": "drugs"}]
        print([f.rule_id for f in engine.evaluate(1, both)], open_sessions())
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['r1'] 0"


def test_a_fact_refused_before_any_action_ran_is_an_error_not_a_crash() -> None:
    done = run_python(
        """
        from matcher.durable.engine import Engine, open_sessions
        from matcher.model.engine import CompiledStage
        from matcher.model.errors import EngineError
        rule = {"r": {"all": [{"p": {"$and": [{"t": "person"}, {"f": "zzz"}]}}]}}
        engine = Engine([CompiledStage(1, rule)], {}, "sha256:abc")
        for _ in range(3):
            try:
                engine.evaluate(1, [{"t": "person", "id": "p", "f": 1},
                                    {"t": "person", "id": "q", "f": object()}])
            except EngineError:
                print("refused")
        print([f.rule_id for f in engine.evaluate(1, [{"t": "person", "id": "p", "f": "zzz"}])],
              open_sessions())
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:4] == ["refused"] * 3 + ["['r'] 0"]


def test_adapter_facts_of_which_no_rule_matches_some_run_actions_and_survive() -> None:
    done = run_python(
        """
        from matcher.durable.patterns import compile_stages
        from matcher.model.conditions import Condition, Join, Test as FieldTest
        from matcher.durable.engine import Engine
        from matcher.model.rules import RuleSpec
        r1 = RuleSpec("r1", "", "", 1, "f", 1,
                      Condition(None, (Join("need", FieldTest("area", "eq", "drugs")),)), ())
        engine = Engine(compile_stages([r1]), {}, "sha256:abc")
        facts = [{"t": "assessment", "id": "a"}, {"t": "person", "id": "p"},
                 {"t": "need", "id": "n", "area": "drugs"}]
        for _ in range(3):
            print([f.rule_id for f in engine.evaluate(1, facts)])
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["['r1']"] * 3


def test_no_compiled_stage_needs_a_catch_all_rule(rulebook: Rulebook) -> None:
    """Facts go to durable_rules one at a time, so no rule need match every fact: none does, and
    no firing is spent on one per fact."""
    for stage in rulebook.checked.stages:
        for name, rule in stage.definition.items():
            assert rule["all"] != [{"m": {"$ex": {"t": 1}}}], name


@pytest.fixture()
def asserted_facts(rulebook: Rulebook, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every fact the planner hands durable_rules while the test runs."""
    facts: list[dict[str, Any]] = []
    host = rulebook.engine.host
    original = host.assert_fact

    def spy(name: str, fact: dict[str, Any], *args: Any) -> Any:
        facts.append(copy.deepcopy(fact))
        return original(name, fact, *args)

    monkeypatch.setattr(host, "assert_fact", spy)
    monkeypatch.setattr(host, "assert_facts", None)  # a batch would fail the test
    return facts


def test_the_planner_asserts_facts_one_at_a_time_never_as_a_batch(
    rulebook: Rulebook, assess: Any, asserted_facts: list[dict[str, Any]]
) -> None:
    plan(assess(needs=[{"area": "drugs", "severity": 2}]), rulebook, today=TODAY)
    assert asserted_facts
    assert all("t" in fact and "id" in fact for fact in asserted_facts)


def test_each_fact_carries_only_the_fields_its_stages_rules_test(
    rulebook: Rulebook, maximal: Assessment, asserted_facts: list[dict[str, Any]]
) -> None:
    evaluate(maximal, rulebook, TODAY)
    tested = {t.field for r in rulebook.rules.values() for t in r.condition.tests()}
    sent = {k for fact in asserted_facts for k in fact}
    assert sent <= tested | {"t", "id", "area", "sid"}
    assert "oasys_items" not in sent and "person_id" not in sent


def test_adapter_evaluating_no_facts_is_an_empty_result_not_a_crash() -> None:
    done = run_python(
        """
        from matcher.durable.patterns import compile_stages
        from matcher.model.conditions import Condition, Test as FieldTest
        from matcher.durable.engine import Engine
        from matcher.model.rules import RuleSpec
        r1 = RuleSpec("r1", "", "", 1, "f", 1, Condition(FieldTest("x", "eq", 1), ()), ())
        engine = Engine(compile_stages([r1]), {}, "sha256:abc")
        print(engine.evaluate(1, []))
        """
    )
    assert done.returncode == 0, f"exit code {done.returncode}"
    assert done.stdout.strip() == "[]"


# --- no $in ---------------------------------------------------------------------------------------


def test_raw_durable_rejects_in_with_error_202() -> None:
    done = run_python(
        """
        import json
        import durable_rules_engine as engine
        try:
            engine.create_ruleset("x", json.dumps({"r": {"all": [{"m": {"$in": {"t": ["a", "b"]}}}]}}))
        except Exception as error:
            print(error)
        """
    )
    assert done.returncode == 0
    assert "202" in done.stdout


def test_compiler_writes_one_of_as_or_of_equalities(rulebook: Rulebook) -> None:
    from matcher.durable.patterns import to_durable

    assert to_durable(
        AnyOf((FieldTest("ogrs_band", "eq", "high"), FieldTest("ogrs_band", "eq", "low")))
    ) == {"$or": [{"ogrs_band": "high"}, {"ogrs_band": "low"}]}
    text = json.dumps([s.definition for s in rulebook.checked.stages])
    assert '"$in"' not in text and '"$nin"' not in text
    assert '"$or"' in text  # the shipped rules do use one-of lists


# --- MessageNotHandledException -------------------------------------------------------------------


def test_raw_fact_matching_no_rule_raises_message_not_handled() -> None:
    done = run_python(
        """
        from durable import engine as de
        h = de.Host()
        h.register_rulesets({"x": {"r1": {"all": [{"m": {"t": "a"}}], "run": lambda c: None}}})
        try:
            h.assert_fact("x", {"sid": "1", "t": "b"})
        except de.MessageNotHandledException:
            print("not handled")
        """
    )
    assert done.returncode == 0
    assert done.stdout.strip() == "not handled"


def test_adapter_facts_no_policy_rule_matches_give_an_empty_result() -> None:
    engine = tiny_engine(rule("r1", FieldTest("x", "eq", 1)))
    assert engine.evaluate(1, [person(x=2)]) == []
    assert engine.evaluate(1, [person(x=1)])[0].rule_id == "r1"


def test_adapter_message_not_handled_is_an_empty_result_even_without_catch_all() -> None:
    done = run_python(
        """
        from matcher.model.engine import CompiledStage
        from matcher.durable.engine import Engine
        engine = Engine([CompiledStage(1, {"r1": {"all": [{"m": {"t": "need"}}]}})], {}, "sha256:abc")
        print(engine.evaluate(1, [{"t": "person", "id": "p"}]))
        """
    )
    assert done.returncode == 0, f"exit code {done.returncode}"
    assert done.stdout.strip() == "[]"


# --- identical facts -----------------------------------------------------------------------------


def test_raw_identical_fact_twice_in_one_session_raises_message_observed() -> None:
    done = run_python(
        """
        from durable import engine as de
        h = de.Host()
        h.register_rulesets({"x": {"r1": {"all": [{"m": {"t": "a"}}], "run": lambda c: None}}})
        h.assert_fact("x", {"sid": "1", "t": "a"})
        try:
            h.assert_fact("x", {"sid": "1", "t": "a"})
        except de.MessageObservedException:
            print("observed")
        h.assert_fact("x", {"sid": "1", "t": "a", "id": 2})
        print("distinct ids accepted")
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["observed", "distinct ids accepted"]


def test_every_fact_the_planner_asserts_has_a_unique_id(
    rulebook: Rulebook, maximal: Assessment, asserted_facts: list[dict[str, Any]]
) -> None:
    # two needs identical but for their area, and derived facts asserted by actions
    evaluation = evaluate(maximal, rulebook, TODAY)
    assert asserted_facts and evaluation.findings.firings
    sessions: dict[str, list[str]] = {}
    for fact in asserted_facts:
        sessions.setdefault(fact["sid"], []).append(fact["id"])
    for ids in sessions.values():
        assert len(ids) == len(set(ids)), ids
    derived_ids = [f["id"] for firing in evaluation.findings.firings for f in firing.facts.values()]
    assert all(isinstance(i, str) and i for i in derived_ids)


def test_identical_derived_facts_from_one_rule_get_distinct_ids() -> None:
    derive = (Derivation("flagged", True, True, 100),)
    per_need = rule("r1", None, Join("need", FieldTest("severity", "eq", 2)))
    uses = rule("r2", None, Join("derived", FieldTest("name", "eq", "flagged")))
    engine = tiny_engine(per_need, uses, derivations={"r1": derive})
    needs = [{"t": "need", "id": f"need_{a}", "area": a, "severity": 2} for a in ("drugs", "ete")]
    firings = engine.evaluate(1, [person(), *needs])
    assert sorted(f.rule_id for f in firings) == ["r1", "r1", "r2", "r2"]
    seen = [f.facts["d0"]["id"] for f in firings if f.rule_id == "r2"]
    assert len(set(seen)) == 2


# --- cross-fact comparisons ----------------------------------------------------------------------


def test_no_compiled_rule_compares_one_fact_with_another(rulebook: Rulebook) -> None:
    for stage in rulebook.checked.stages:
        for rule_id, rule_def in stage.definition.items():
            assert set(rule_def) <= {"all", "pri"}, rule_id
            for pattern in rule_def["all"]:
                ((alias, expr),) = pattern.items()
                assert_flat_expression(expr, f"stage {stage.stage} {rule_id} {alias}")
        text = json.dumps(stage.definition)
        assert '"$m"' not in text and '"$s"' not in text and '"$l"' not in text
        for node in walk_patterns(stage.definition):
            assert not (isinstance(node, dict) and {"$m", "$s"} & set(node)), node


# --- more than 512 tests under one node: create_ruleset hangs ------------------------------------


def one_field_rules(count: int, stage: int = 1) -> list[RuleSpec]:
    return [rule(f"r{i:04d}", FieldTest("ogrs", "eq", i), stage=stage) for i in range(count)]


def test_raw_create_ruleset_with_513_tests_under_one_node_hangs() -> None:
    code = """
        import json
        import durable_rules_engine as engine
        rules = {f"r{i}": {"all": [{"m": {"$and": [{"t": "p"}, {"v": i}]}}]} for i in range(%d)}
        engine.create_ruleset("x", json.dumps(rules))
        print("created")
        """
    assert run_python(code % 512, timeout=QUICK).stdout.strip() == "created"
    with pytest.raises(subprocess.TimeoutExpired):
        run_python(code % 513, timeout=HANG)


def test_check_limits_reports_more_than_512_tests_of_one_field() -> None:
    assert check_limits(one_field_rules(MAX_TESTS_PER_NODE), 10) == []
    problems = check_limits(one_field_rules(MAX_TESTS_PER_NODE + 1), 10)
    assert len(problems) == 1
    assert "'ogrs' 513 different ways" in problems[0].message
    assert problems[0].file == "rules/test.yaml" and problems[0].line == 1


def test_probe_compile_reports_a_hanging_definition_instead_of_hanging() -> None:
    stages = compile_stages(one_field_rules(MAX_TESTS_PER_NODE + 1))
    started = time.monotonic()
    failure = probe_compile(stages, timeout=HANG)
    assert failure is not None and "did not finish" in failure
    assert time.monotonic() - started < HANG + QUICK


def test_probe_compile_accepts_the_shipped_stages(rulebook: Rulebook) -> None:
    assert probe_compile(rulebook.checked.stages) is None


# --- ≤ 4,096 rules per ruleset, ≤ 256 rules sharing one condition --------------------------------


def test_raw_create_ruleset_rejects_4097_rules_and_257_identical_conditions() -> None:
    done = run_python(
        """
        import json
        import durable_rules_engine as engine
        def attempt(rules):
            try:
                engine.create_ruleset("x", json.dumps(rules))
                return "ok"
            except Exception as error:
                return str(error)[-3:]
        grid = lambda n: {f"r{i}": {"all": [{"m": {"$and": [{"t": "p"}, {"a": i // 64}, {"b": i % 64}]}}]}
                          for i in range(n)}
        same = lambda n: {f"r{i}": {"all": [{"m": {"t": "p"}}]} for i in range(n)}
        print(attempt(grid(4096)), attempt(grid(4097)), attempt(same(256)), attempt(same(257)))
        """
    )
    assert done.stdout.split() == ["ok", "106", "ok", "108"]


def test_check_limits_reports_too_many_rules_in_one_stage() -> None:
    grid = [
        rule(f"r{i:04d}", AnyOf((FieldTest("age", "eq", i // 64), FieldTest("ogrs", "eq", i % 64))))
        for i in range(MAX_RULES_PER_RULESET)
    ]
    # the engine adds its session rule to every ruleset: 4,095 of ours fit, 4,096 do not
    assert check_limits(grid[:-1], 10) == []
    problems = check_limits(grid, 10)
    assert [p.message for p in problems] == [
        "stage 1 has 4096 rules; durable_rules allows at most 4095 per ruleset (error 106): "
        "move rules to another stage"
    ]


def test_rules_sharing_a_condition_compile_into_one_engine_rule_past_the_256_limit() -> None:
    """durable_rules refuses 257 rules with one condition (error 108); they compile into one
    engine rule that stands for all of them, so they load, and one firing reports every one."""
    same = [
        rule(f"r{i:03d}", FieldTest("ogrs", "gte", 50))
        for i in range(MAX_RULES_SHARING_CONDITION + 1)
    ]
    assert check_limits(same, 10) == []
    (stage,) = compile_stages(same)
    assert sorted(stage.definition) == ["r000"]
    assert stage.rule_ids("r000") == tuple(r.id for r in same)
    engine = Engine([stage], {}, "test")
    try:
        fired = engine.evaluate(1, [{"t": "person", "id": "p", "ogrs": 60}])
    finally:
        engine.close()
    assert [f.rule_id for f in fired] == [r.id for r in same]


def test_check_limits_counts_each_stage_separately() -> None:
    split = one_field_rules(400, stage=1) + one_field_rules(400, stage=2)
    assert check_limits(split, 10) == []


# --- sessions: ≤ 1,024 live sids per ruleset ------------------------------------------------------


def test_raw_1025th_live_session_raises_memory_error() -> None:
    done = run_python(
        """
        from durable import engine as de
        h = de.Host()
        h.register_rulesets({"x": {"r1": {"all": [{"m": {"t": "a"}}], "run": lambda c: None}}})
        for i in range(1100):
            try:
                h.assert_fact("x", {"sid": str(i), "t": "a"})
            except MemoryError:
                print(i + 1)
                break
        """
    )
    assert done.stdout.strip() == "1025"


def test_1100_sequential_plans_through_one_engine_all_succeed(
    rulebook: Rulebook, assess: Any
) -> None:
    fresh = rulebook_module.build(rulebook.checked, probe=False)  # a new engine: no earlier sids
    try:
        assessment = assess()
        first = plan(assessment, fresh, today=TODAY)
        for _ in range(1099):
            assert plan(assessment, fresh, today=TODAY) == first
        assert engine_module.open_sessions() == 0
    finally:
        fresh.engine.close()


def test_2000_sequential_evaluations_reuse_one_emptied_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Making a session is the costliest step in durable_rules (ADR 0016): a session is emptied
    after each evaluation and serves the next, so sequential evaluations hold one live session,
    never delete it, and each still sees only its own facts."""
    engine = tiny_engine(rule("r1", FieldTest("x", "eq", 1)), max_sessions=4)
    asserted: list[str] = []
    deleted: list[str] = []
    host = engine.host
    original_assert, original_delete = host.assert_fact, host.delete_state

    def spy_assert(name: str, fact: dict[str, Any], *args: Any) -> Any:
        asserted.append(fact["sid"])
        return original_assert(name, fact, *args)

    def spy_delete(name: str, sid: str) -> None:
        deleted.append(sid)
        original_delete(name, sid)

    monkeypatch.setattr(host, "assert_fact", spy_assert)
    monkeypatch.setattr(host, "delete_state", spy_delete)
    for n in range(2000):
        assert [f.rule_id for f in engine.evaluate(1, [person(x=n % 2)])] == (["r1"] * (n % 2))
    assert len(set(asserted)) == 1 and deleted == []
    assert engine_module.open_sessions() == 0
    assert engine.free_slots == 4  # every slot given back


def test_a_reused_session_answers_as_a_new_one_with_joins_and_derived_facts() -> None:
    """Facts a rule joins, and facts the rules derived, are all retracted: an evaluation after a
    hundred others fires exactly what it fires in a new session."""
    derive = (Derivation("flagged", True, True, 100),)
    per_need = rule("r1", FieldTest("x", "eq", 1), Join("need", FieldTest("severity", "eq", 2)))
    uses = rule("r2", None, Join("derived", FieldTest("name", "eq", "flagged")))
    both = rule("r3", FieldTest("x", "eq", 1), Join("need", FieldTest("area", "eq", "drugs")))
    reused = tiny_engine(per_need, uses, both, derivations={"r1": derive}, max_sessions=1)

    def facts(n: int) -> list[dict[str, Any]]:
        areas = ("drugs", "ete", "alcohol")[: n % 4]
        needs = [{"t": "need", "id": f"need_{a}", "area": a, "severity": 2} for a in areas]
        return [person(x=n % 3), *needs]

    def fired(engine: Engine, n: int) -> list[tuple[str, str]]:
        return [
            (f.rule_id, json.dumps(f.facts, sort_keys=True)) for f in engine.evaluate(1, facts(n))
        ]

    for n in range(100):
        fresh = tiny_engine(per_need, uses, both, derivations={"r1": derive}, max_sessions=1)
        try:
            assert fired(reused, n) == fired(fresh, n), n
        finally:
            fresh.close()
    assert engine_module.open_sessions() == 0


def deletions(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sids ``engine`` deletes from now on, in order."""
    deleted: list[str] = []
    original = engine.host.delete_state

    def spy(name: str, sid: str) -> None:
        deleted.append(sid)
        original(name, sid)

    monkeypatch.setattr(engine.host, "delete_state", spy)
    return deleted


def test_a_session_whose_evaluation_failed_is_deleted_not_reused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = tiny_engine(
        rule("r1", FieldTest("x", "eq", 1)),
        derivations={"r1": (Derivation("bad", object(), False, 1),)},
    )
    deleted = deletions(engine, monkeypatch)
    with pytest.raises(EngineError):
        engine.evaluate(1, [person(x=1)])
    assert len(deleted) == 1 and engine._idle[1] == []
    assert [f.rule_id for f in engine.evaluate(1, [person(x=2)])] == []


def test_closing_an_engine_deletes_its_idle_sessions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deleting a ruleset does not free its sessions: closing deletes the idle ones first (a
    reload that skipped this kept ~5 MB a time, tests/api/test_reload.py)."""
    engine = tiny_engine(rule("r1", FieldTest("x", "eq", 1)), rule("r2", FieldTest("x", "eq", 2)))
    deleted = deletions(engine, monkeypatch)
    for n in range(5):
        engine.evaluate(1, [person(x=n % 2 + 1)])
    idle = list(engine._idle[1])
    assert len(idle) == 1 and deleted == []
    engine.close()
    assert deleted == idle and engine._idle[1] == []


def test_plans_through_reused_sessions_equal_plans_through_new_ones(
    rulebook: Rulebook, monkeypatch: pytest.MonkeyPatch
) -> None:
    """150 synthetic people planned (with their traces) through the rulebook's engine, whose
    sessions are emptied and reused, and through an engine that deletes every session."""
    from matcher.reports import synth

    cases = [Assessment.model_validate(b) for b in synth.generate(150, 20261130)]
    reused = [plan(a, rulebook, today=TODAY, explain=True) for a in cases]
    monkeypatch.setattr(Engine, "_emptied", lambda *args: False)  # every session deleted
    fresh = rulebook_module.build(rulebook.checked, probe=False)
    try:
        for assessment, expected in zip(cases, reused, strict=True):
            assert plan(assessment, fresh, today=TODAY, explain=True) == expected
        assert all(idle == [] for idle in fresh.engine._idle.values())
    finally:
        fresh.engine.close()


def test_sessions_are_deleted_even_when_an_action_fails() -> None:
    engine = tiny_engine(
        rule("r1", FieldTest("x", "eq", 1)),
        derivations={"r1": (Derivation("bad", object(), False, 1),)},
        max_sessions=2,
    )
    for _ in range(1100):
        with pytest.raises(EngineError):
            engine.evaluate(1, [person(x=1)])
    assert engine_module.open_sessions() == 0
    assert engine.evaluate(1, [person(x=2)]) == []


def test_concurrent_evaluations_never_exceed_the_session_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = tiny_engine(rule("r1", FieldTest("x", "eq", 1)), max_sessions=3)
    host = engine.host
    original = host.assert_fact
    lock = threading.Lock()
    live = [0]
    peak = [0]

    def slow(name: str, fact: dict[str, Any], *args: Any) -> Any:
        with lock:
            live[0] += 1
            peak[0] = max(peak[0], live[0])
        try:
            time.sleep(0.002)
            return original(name, fact, *args)
        finally:
            with lock:
                live[0] -= 1

    monkeypatch.setattr(host, "assert_fact", slow)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(25):
                assert [f.rule_id for f in engine.evaluate(1, [person(x=1)])] == ["r1"]
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert 1 <= peak[0] <= 3


def hold_every_slot(
    engine: Any, monkeypatch: pytest.MonkeyPatch, count: int
) -> tuple[threading.Event, list[threading.Thread], list[int]]:
    """``count`` evaluations parked inside durable_rules until the returned event is set."""
    release, inside, peak = threading.Event(), threading.Semaphore(0), [0]
    original = engine.host.assert_fact
    live = [0]
    lock = threading.Lock()

    def parked(name: str, fact: dict[str, Any], *args: Any) -> Any:
        with lock:
            live[0] += 1
            peak[0] = max(peak[0], live[0])
        inside.release()
        release.wait(30)
        with lock:
            live[0] -= 1
        return original(name, fact, *args)

    monkeypatch.setattr(engine.host, "assert_fact", parked)
    threads = [
        threading.Thread(target=lambda: engine.evaluate(1, [person(x=1)])) for _ in range(count)
    ]
    for thread in threads:
        thread.start()
    for _ in range(count):
        assert inside.acquire(timeout=30)
    return release, threads, peak


def test_evaluation_refuses_when_every_slot_is_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = tiny_engine(rule("r1", FieldTest("x", "eq", 1)), max_sessions=2)
    release, threads, _ = hold_every_slot(engine, monkeypatch, 2)
    try:
        assert engine.free_slots == 0
        with pytest.raises(EngineBusyError, match="busy"):
            engine.evaluate(1, [person(x=1)], timeout=0.05)
    finally:
        release.set()
        for thread in threads:
            thread.join()
    assert engine.free_slots == 2
    assert engine.evaluate(1, [person(x=1)])[0].rule_id == "r1"


def test_the_default_engine_never_opens_more_sessions_than_its_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """However many callers arrive at once, live sessions stay far below the 1,025 that break a
    ruleset for good: the callers past the bound wait, and are refused as busy, not crashed."""
    engine = tiny_engine(rule("r1", FieldTest("x", "eq", 1)))
    bound = engine.free_slots
    release, threads, peak = hold_every_slot(engine, monkeypatch, bound)
    try:
        assert engine_module.open_sessions() == bound < 1024 // 4
        with pytest.raises(EngineBusyError):
            engine.evaluate(1, [person(x=1)], timeout=0.05)
    finally:
        release.set()
        for thread in threads:
            thread.join()
    assert peak[0] == bound
    assert engine.evaluate(1, [person(x=1)])[0].rule_id == "r1"


def test_evaluating_no_facts_never_takes_a_slot() -> None:
    """An empty batch used to return before giving its slot back: after 64 calls every
    evaluation was refused as busy."""
    engine = tiny_engine(rule("r1", FieldTest("x", "eq", 1)), max_sessions=4)
    for _ in range(100):
        assert engine.evaluate(1, []) == []
    assert engine.free_slots == 4
    assert engine.evaluate(1, [person(x=1)], timeout=0.5)[0].rule_id == "r1"


# --- same sid from several threads ---------------------------------------------------------------


def varied_assessments(assess: Any) -> list[Assessment]:
    areas = ["accommodation", "drugs", "thinking_behaviour", "relationships", "ete", "alcohol"]
    found = []
    for n in range(16):
        found.append(
            assess(
                person_id=f"P{n}",
                needs=[
                    {"area": a, "severity": 1 + (n + i) % 2, "linked_to_offending": bool(n % 3)}
                    for i, a in enumerate(areas[: 1 + n % len(areas)])
                ],
                risk={"ogrs": [10, 49.99, 50, 74.99, 75, 95][n % 6]},
                responsivity=[["low_motivation"], [], ["employed_full_time"], []][n % 4],
            )
        )
    return found


def test_plans_from_eight_threads_equal_sequential_plans_and_sids_are_unique(
    rulebook: Rulebook, assess: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assessments = varied_assessments(assess)
    expected = [plan(a, rulebook, today=TODAY).model_dump_json() for a in assessments]
    sids: list[str] = []
    host = rulebook.engine.host
    original = host.delete_state

    def spy(name: str, sid: str) -> Any:
        sids.append(sid)  # once per evaluation
        return original(name, sid)

    monkeypatch.setattr(host, "delete_state", spy)
    results: dict[tuple[int, int], str] = {}
    errors: list[BaseException] = []

    def worker(thread: int) -> None:
        try:
            for round_ in range(3):
                for index, assessment in enumerate(assessments):
                    if (index + thread) % 2 == 0:
                        results[(thread, index * 10 + round_)] = plan(
                            assessment, rulebook, today=TODAY
                        ).model_dump_json()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 8 * 3 * 8
    for (_, key), got in results.items():
        assert got == expected[key // 10]
    assert len(sids) == len(set(sids))


# --- re-registering a ruleset name ---------------------------------------------------------------


def test_raw_registering_a_ruleset_name_twice_is_rejected() -> None:
    done = run_python(
        """
        from durable import engine as de
        h = de.Host()
        make = lambda: {"x": {"r1": {"all": [{"m": {"t": "a"}}], "run": lambda c: None}}}
        h.register_rulesets(make())
        try:
            h.register_rulesets(make())
        except Exception as error:
            print(error)
        """
    )
    assert "already registered" in done.stdout


def test_two_engines_from_one_rulebook_coexist(rulebook: Rulebook, assess: Any) -> None:
    other = rulebook_module.build(rulebook.checked, probe=False)
    try:
        names = set(rulebook.engine.ruleset_names)
        assert names.isdisjoint(other.engine.ruleset_names)
        assert all(rulebook.version.split(":")[1][:12] in n for n in names)
        assessment = assess(needs=[{"area": "drugs", "severity": 2, "linked_to_offending": True}])
        assert plan(assessment, other, today=TODAY) == plan(assessment, rulebook, today=TODAY)
    finally:
        other.engine.close()
    assert plan(assessment, rulebook, today=TODAY).items  # the first is untouched by the close


# --- register_rulesets deletes ``run`` -----------------------------------------------------------


def test_raw_register_rulesets_deletes_run_from_the_definition() -> None:
    done = run_python(
        """
        from durable import engine as de
        definition = {"x": {"r1": {"all": [{"m": {"t": "a"}}], "run": lambda c: None}}}
        de.Host().register_rulesets(definition)
        print("run" in definition["x"]["r1"])
        """
    )
    assert done.stdout.strip() == "False"


def test_building_an_engine_leaves_the_compiled_definitions_unchanged(rulebook: Rulebook) -> None:
    before = json.dumps([(s.stage, s.definition) for s in rulebook.checked.stages])
    for _ in range(2):  # a second engine from the same definitions must also work
        engine = Engine(rulebook.checked.stages, {}, rulebook.version)
        engine.close()
    assert json.dumps([(s.stage, s.definition) for s in rulebook.checked.stages]) == before
    for stage in rulebook.checked.stages:
        assert all("run" not in r for r in stage.definition.values())


# --- exceptions inside actions are swallowed ------------------------------------------------------


def test_raw_exception_in_an_action_is_swallowed_into_the_state() -> None:
    done = run_python(
        """
        from durable import engine as de
        def boom(c):
            raise RuntimeError("boom")
        h = de.Host()
        h.register_rulesets({"x": {"r1": {"all": [{"m": {"t": "a"}}], "run": boom}}})
        state = h.assert_fact("x", {"sid": "1", "t": "a"})
        print("returned normally;", "boom" in state.get("exception", ""))
        """
    )
    assert done.returncode == 0
    assert done.stdout.strip() == "returned normally; True"


def test_a_failing_action_is_an_engine_error_naming_the_rule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = tiny_engine(rule("r1", FieldTest("x", "eq", 1)), rule("r2", FieldTest("x", "eq", 2)))

    def broken_firing(rule_id: str, facts: Any) -> Any:
        raise RuntimeError(f"cannot record {rule_id}")

    monkeypatch.setattr(engine_module, "Firing", broken_firing)
    with pytest.raises(EngineError, match=r"a rule action failed: r1: RuntimeError"):
        engine.evaluate(1, [person(x=1)])
    assert engine_module.open_sessions() == 0


def test_an_unassertable_derived_value_is_an_engine_error() -> None:
    engine = tiny_engine(
        rule("r1", FieldTest("x", "eq", 1)),
        derivations={"r1": (Derivation("d", {1, 2}, False, 1),)},
    )
    with pytest.raises(EngineError, match="r1"):
        engine.evaluate(1, [person(x=1)])


def test_an_action_that_raises_is_never_silently_swallowed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def raising_action(rule_id: str, derivations: Any) -> Any:
        def run(c: Any) -> None:
            raise RuntimeError(f"{rule_id} exploded")

        return run

    monkeypatch.setattr(engine_module, "_action", raising_action)
    engine = tiny_engine(rule("r1", FieldTest("x", "eq", 1)))
    with pytest.raises(EngineError):
        engine.evaluate(1, [person(x=1)])


# --- actions with two parameters are asynchronous ------------------------------------------------


def test_raw_two_parameter_action_is_treated_as_asynchronous() -> None:
    from durable.engine import Promise

    def one(c: Any) -> None:
        return None

    def two(c: Any, complete: Any = None) -> None:
        return None

    assert Promise(one)._sync is True
    assert Promise(two)._sync is False


def test_every_registered_action_takes_exactly_one_parameter(rulebook: Rulebook) -> None:
    count = 0
    for name in rulebook.engine._names.values():
        ruleset = rulebook.engine.host.get_ruleset(name)
        for rule_id, promise in ruleset._actions.items():
            parameters = inspect.signature(promise._func).parameters
            assert len(parameters) == 1, rule_id
            assert promise._sync is True, rule_id
            assert promise._next is None, rule_id
            count += 1
    stages = rulebook.checked.stages
    assert count == sum(len(s.definition) for s in stages) + len(stages)  # and a session rule each


# --- facts small and flat ------------------------------------------------------------------------


def test_raw_fact_with_more_than_253_fields_is_refused_with_error_302() -> None:
    done = run_python(
        """
        from durable import engine as de
        h = de.Host()
        h.register_rulesets({"x": {"r1": {"all": [{"m": {"t": "a"}}], "run": lambda c: None}}})
        for n, sid in ((251, "1"), (252, "2")):
            fact = {"sid": sid, "t": "a", **{f"f{i}": i for i in range(n)}}
            try:
                h.assert_fact("x", fact)
                print(len(fact), "ok")
            except Exception as error:
                print(len(fact), str(error)[-3:])
        """
    )
    assert done.stdout.split("\n")[:2] == ["253 ok", "254 302"]


def test_person_fact_of_a_maximal_assessment_is_small_and_flat(
    rulebook: Rulebook, maximal: Assessment
) -> None:
    evaluation = evaluate(maximal, rulebook, TODAY)
    fact = evaluation.person
    assert len(fact) < MAX_FACT_FIELDS
    assert len(fact) + 1 < 253  # with the sid durable adds
    for name, value in fact.items():
        assert isinstance(value, str | int | float | bool), (name, value)
    assert all(item_field(i) in fact for i in rulebook.vocabulary.lists["oasys_items"])


def test_need_and_derived_facts_are_flat(rulebook: Rulebook, maximal: Assessment) -> None:
    evaluation = evaluate(maximal, rulebook, TODAY)
    for firing in evaluation.findings.firings:
        for fact in firing.facts.values():
            assert len(fact) < (MAX_FACT_FIELDS if fact["t"] == "person" else 20)
            for name, value in fact.items():
                assert isinstance(value, str | int | float | bool), (firing.rule_id, name, value)


# --- durable.lang is module-global ---------------------------------------------------------------


def test_matcher_never_imports_durable_lang() -> None:
    for path in sorted((ROOT / "matcher").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            for module in modules:
                assert not module.startswith("durable.lang"), f"{path.name} imports {module}"
                if module.split(".")[0] in ("durable", "durable_rules_engine"):
                    assert path.name == "engine.py", f"{path.name} imports {module}"
    done = run_python(
        f"""
        import sys
        from datetime import date
        from matcher.rulebook import build as rulebook
        from matcher.reports.examples import example_assessment, load_base
        from matcher.planning.planner import plan
        book = rulebook.load(probe=False)
        base = load_base(rulebook.DEFAULT_RULES)
        plan(example_assessment(base, {{}}), book, today=date.fromisoformat("{TODAY}"))
        print(sorted(m for m in sys.modules if m.startswith("durable")))
        """
    )
    assert done.returncode == 0, done.stderr
    assert "durable.lang" not in done.stdout
    assert "durable.engine" in done.stdout


# --- tracing ------------------------------------------------------------------------------------


def test_every_firing_is_recorded_with_its_rule_id_and_matched_facts() -> None:
    engine = tiny_engine(
        rule("r.low", FieldTest("x", "lt", 5)),
        rule("r.need", None, Join("need", FieldTest("area", "eq", "drugs"))),
        rule("r.never", FieldTest("x", "gt", 100)),
    )
    need = {"t": "need", "id": "need_drugs", "area": "drugs"}
    firings = engine.evaluate(1, [person(x=1), need])
    assert sorted(f.rule_id for f in firings) == ["r.low", "r.need"]
    by_id = {f.rule_id: f for f in firings}
    assert by_id["r.low"].facts == {"p": person(x=1)}
    assert by_id["r.need"].facts == {"p": person(x=1), "n0": need}


def test_plan_trace_names_a_real_rule_for_every_firing(
    rulebook: Rulebook, maximal: Assessment
) -> None:
    explained = plan(maximal, rulebook, today=TODAY, explain=True)
    assert explained.trace
    for entry in explained.trace:
        assert entry["rule_id"] in rulebook.rules
        assert entry["facts"] and all("t" in f for f in entry["facts"].values())
    assert plan(maximal, rulebook, today=TODAY).trace is None


# --- close ---------------------------------------------------------------------------------------


def test_close_frees_every_ruleset_once_and_a_closed_engine_refuses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = Engine(
        compile_stages(
            [rule("a", FieldTest("x", "eq", 1)), rule("b", FieldTest("x", "eq", 1), stage=2)]
        ),
        {},
        "sha256:feed",
    )
    freed: list[int] = []
    original = engine_module.durable_rules_engine.delete_ruleset

    def spy(handle: int) -> None:
        freed.append(handle)
        original(handle)

    monkeypatch.setattr(engine_module.durable_rules_engine, "delete_ruleset", spy)
    handles = {engine._host.get_ruleset(n)._handle for n in engine._names.values()}
    assert engine.evaluate(2, [person(x=1)])[0].rule_id == "b"
    engine.close()
    engine.close()
    assert sorted(freed) == sorted(handles)
    with pytest.raises(EngineError, match="closed"):
        engine.evaluate(1, [person(x=1)])


# --- the 512-test limit is per node, not per field -----------------------------------------------


def test_raw_513_rules_each_testing_a_different_field_also_hang() -> None:
    code = """
        import json
        import durable_rules_engine as engine
        rules = {f"r{i}": {"all": [{"m": {"$and": [{"t": "person"}, {f"f{i}": 1}]}}]}
                 for i in range(%d)}
        engine.create_ruleset("x", json.dumps(rules))
        print("created")
        """
    assert run_python(code % 512, timeout=QUICK).stdout.strip() == "created"
    with pytest.raises(subprocess.TimeoutExpired):
        run_python(code % 513, timeout=HANG)


def test_check_limits_reports_513_tests_under_one_node_across_different_fields() -> None:
    rules = [
        rule(f"r{i:03d}", FieldTest(f"field_{i}", "eq", 1)) for i in range(MAX_TESTS_PER_NODE + 1)
    ]
    assert check_limits(rules, 10) != []
