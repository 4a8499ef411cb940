"""One plan in-process against the engine floor beneath it, on the same synthetic cases.

The floor is durable_rules itself: for each case, exactly the facts the planner put into each
stage's ruleset (the person and need facts as the engine was given them, and the derived facts
its rule actions asserted) are asserted one at a time, as the engine asserts them, into the same
compiled rulesets whose actions do nothing, and the session is deleted. Everything above that — validation, fact building, recording firings, findings, matching,
sequencing, building the Plan — is matcher's own cost.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
import time
from collections.abc import Callable
from typing import Any

from durable import engine as durable

from bench.common import TODAY, summary_us
from matcher.durable.engine import SESSION, SESSION_FACT, SESSION_RULE, _QuietHost
from matcher.model.contract import Assessment
from matcher.planning.planner import plan
from matcher.rulebook.book import Rulebook

StageFacts = list[tuple[int, list[dict[str, Any]]]]
_names = itertools.count()


def capture_facts(rulebook: Rulebook, bodies: list[str]) -> list[StageFacts]:
    """Plan each case once, recording every fact asserted into each stage (inputs and derived)."""
    engine = rulebook.engine
    host = engine._host
    current: list[dict[str, Any]] = []
    originals: dict[str, Callable[..., Any]] = {}

    def recording(ruleset: Any) -> Callable[[dict[str, Any]], Any]:
        original = ruleset.assert_fact

        def assert_fact(fact: dict[str, Any]) -> Any:
            current.append({k: v for k, v in fact.items() if k != "sid"})
            return original(fact)

        return assert_fact

    for name in engine._names.values():
        ruleset = host.get_ruleset(name)
        originals[name] = ruleset.assert_fact
        ruleset.assert_fact = recording(ruleset)
    evaluate = engine.evaluate
    captured: list[StageFacts] = []

    def recording_evaluate(stage: int, facts: list[dict[str, Any]], timeout: float = 10.0) -> Any:
        current.clear()
        firings = evaluate(stage, facts, timeout)
        # every fact the engine asserted, one at a time: the inputs as it was given them (only
        # the fields the stage tests), the derived facts, and the session fact where one was due
        captured[-1].append((stage, [copy.deepcopy(f) for f in current]))
        return firings

    engine.evaluate = recording_evaluate  # type: ignore[method-assign]
    try:
        for body in bodies:
            captured.append([])
            plan(Assessment.model_validate_json(body), rulebook, today=TODAY)
    finally:
        del engine.evaluate
        for name, original in originals.items():
            host.get_ruleset(name).assert_fact = original
    return captured


class FloorEngine:
    """The same compiled rulesets, every action a no-op: what durable_rules costs on its own."""

    def __init__(self, rulebook: Rulebook) -> None:
        self.host = _QuietHost()
        self.names: dict[int, str] = {}
        self.fired = [0]
        for compiled in rulebook.checked.stages:
            definition = copy.deepcopy(compiled.definition)
            definition[SESSION] = copy.deepcopy(SESSION_RULE)
            for rule in definition.values():
                rule["run"] = self._counted
            name = f"bench_floor_s{compiled.stage}_{next(_names)}"
            self.host.register_rulesets({name: definition})
            self.names[compiled.stage] = name

    def _counted(self, c: Any) -> None:
        self.fired[0] += 1

    def run(self, stages: StageFacts) -> None:
        for stage, facts in stages:
            name, sid = self.names[stage], f"f{next(_names)}"
            before = self.fired[0]
            try:
                for fact in facts:
                    self._assert(name, {**fact, "sid": sid})
                if self.fired[0] == before:  # deleting a session where nothing ran segfaults
                    self._assert(name, {**SESSION_FACT, "sid": sid})
            finally:
                self.host.delete_state(name, sid)

    def _assert(self, name: str, fact: dict[str, Any]) -> None:
        with contextlib.suppress(durable.MessageNotHandledException):
            self.host.assert_fact(name, fact)


def run(rulebook: Rulebook, bodies: list[str], warmup: int = 200) -> dict[str, Any]:
    """Engine floor and in-process plan, per case, median and p99 in µs."""
    captured = capture_facts(rulebook, bodies)
    floor = FloorEngine(rulebook)
    for stages in captured[:warmup]:
        floor.run(stages)
    for body in bodies[:warmup]:
        plan(Assessment.model_validate_json(body), rulebook, today=TODAY)
    floor_times, plan_times, unsequenced_times, sequencing = [], [], [], []
    for stages, body in zip(captured, bodies, strict=True):  # interleaved: same machine state
        start = time.perf_counter()
        floor.run(stages)
        middle = time.perf_counter()
        plan(Assessment.model_validate_json(body), rulebook, today=TODAY)
        end = time.perf_counter()
        plan(Assessment.model_validate_json(body), rulebook, today=TODAY, sequence_plan=False)
        unsequenced = time.perf_counter() - end
        plan_times.append(end - middle)
        floor_times.append(middle - start)
        unsequenced_times.append(unsequenced)
        sequencing.append((end - middle) - unsequenced)
    facts = [sum(len(f) for _, f in stages) for stages in captured]
    return {
        "floor": summary_us(floor_times),
        "plan": summary_us(plan_times),
        "unsequenced": summary_us(unsequenced_times),
        "sequencing_added_median_us": sorted(sequencing)[len(sequencing) // 2] * 1e6,
        "facts_per_case": sum(facts) / len(facts),
    }


def plan_median_us(rulebook: Rulebook, bodies: list[str], warmup: int = 30) -> float:
    for body in bodies[:warmup]:
        plan(Assessment.model_validate_json(body), rulebook, today=TODAY)
    times = []
    for body in bodies:
        start = time.perf_counter()
        plan(Assessment.model_validate_json(body), rulebook, today=TODAY)
        times.append(time.perf_counter() - start)
    return summary_us(times)["median"]


def dumps(bodies: list[dict[str, Any]]) -> list[str]:
    return [json.dumps(b, separators=(",", ":")) for b in bodies]
