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
from typing import Any

import durable_rules_engine
from durable import engine as durable

from bench.common import TODAY, summary_us
from matcher.durable import host as host_module
from matcher.durable.engine import SESSION, SESSION_FACT, SESSION_RULE
from matcher.durable.host import LeanHost
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
    derive = host_module._Context.assert_fact  # facts the rule actions derive

    def recording_derive(context: Any, fact: dict[str, Any]) -> None:
        derive(context, fact)
        current.append({k: v for k, v in fact.items() if k != "sid"})

    host_module._Context.assert_fact = recording_derive  # type: ignore[method-assign]
    top = host.assert_fact  # facts the adapter asserts

    def recording_top(name: str, fact: dict[str, Any], *args: Any) -> Any:
        if fact.get("id") != SESSION_FACT["id"]:  # the floor adds its own where one is due
            current.append({k: v for k, v in fact.items() if k != "sid"})
        return top(name, fact, *args)

    host.assert_fact = recording_top
    evaluate = engine.evaluate
    captured: list[StageFacts] = []

    def recording_evaluate(stage: int, facts: list[dict[str, Any]], timeout: float = 10.0) -> Any:
        current.clear()
        firings = evaluate(stage, facts, timeout)
        # every fact the engine asserted, one at a time: the inputs as it was given them (only
        # the fields the stage tests) and the derived facts
        captured[-1].append((stage, [copy.deepcopy(f) for f in current]))
        return firings

    engine.evaluate = recording_evaluate  # type: ignore[method-assign]
    try:
        for body in bodies:
            captured.append([])
            plan(Assessment.model_validate_json(body), rulebook, today=TODAY)
    finally:
        del engine.evaluate
        del host.assert_fact
        host_module._Context.assert_fact = derive  # type: ignore[method-assign]
    return captured


class FloorEngine:
    """The same compiled rulesets, every action a no-op: what durable_rules costs on its own,
    driven as the adapter drives it (one fact at a time, the session emptied and reused)."""

    def __init__(self, rulebook: Rulebook) -> None:
        self.host = LeanHost()
        self.names: dict[int, str] = {}
        self.handles: dict[int, int] = {}
        self.fired = [0]
        self.sid = f"f{next(_names)}"
        for compiled in rulebook.checked.stages:
            definition = copy.deepcopy(compiled.definition)
            definition[SESSION] = copy.deepcopy(SESSION_RULE)
            for rule in definition.values():
                rule["run"] = self._counted
            name = f"bench_floor_s{compiled.stage}_{next(_names)}"
            self.host.register_rulesets({name: definition})
            self.names[compiled.stage] = name
            self.handles[compiled.stage] = self.host.get_ruleset(name)._handle

    def _counted(self, c: Any) -> None:
        self.fired[0] += 1

    def run(self, stages: StageFacts) -> None:
        for stage, facts in stages:
            name, sid = self.names[stage], self.sid
            before = self.fired[0]
            for fact in facts:
                self._assert(name, {**fact, "sid": sid})
            ids = [fact["id"] for fact in facts]
            if self.fired[0] == before:  # deleting a session where nothing ran segfaults
                self._assert(name, {**SESSION_FACT, "sid": sid})
                ids.append(SESSION_FACT["id"])
            for fact_id in ids:  # emptied for the next case, as the adapter does
                durable_rules_engine.retract_fact(
                    self.handles[stage], json.dumps({"sid": sid, "id": fact_id})
                )

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
