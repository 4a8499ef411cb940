"""Hostile calls against the real server (issue 15): ``python -m bench.hostile``.

Starts uvicorn as ``make run`` does and measures, printing one line per figure:

- /healthz latency (median, max) while 40 validation calls with the costly recommend-versus-
  exclude ruleset (ten rules each way, 64-value lists) run at once;
- the server's peak resident memory while an alias bomb ("billion laughs") is validated;
- the server's peak resident memory for ``POST /v1/plans/batch?explain=true&store=false`` with
  500 assessments (measured only: batch explain is capped elsewhere).

Targets: health under 1 s, memory under 500 MB. Not part of ``make test`` or ``make bench``.
The payloads below are also the ones tests/api/test_hostile_rules.py sends.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RULES_FILE = "rules/rulesets/90_hostile.yaml"
TARGETS = ("motivational_toolkit", "thinking_skills_one_to_one", "attitudes_one_to_one")


def alias_bomb() -> str:
    """Nine lines of nested aliases standing for 9**9 (387 million) strings."""
    lines = ["stage: 3", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    return "\n".join([*lines, "rules: *a8"]) + "\n"


def million_tests() -> str:
    """One rule whose condition is a million tests, written as six lines of nested aliases."""
    tests = ", ".join(f"{{ogrs: {v}}}" for v in range(1, 11))
    lines = ["stage: 3", f"t0: &t0 [{tests}]"]
    lines += [f"t{i}: &t{i} [" + ",".join([f"*t{i - 1}"] * 10) + "]" for i in range(1, 6)]
    lines += [
        "rules:",
        "  - id: hostile.many",
        "    description: x",
        "    source: y",
        "    when: {all: *t5}",
        "    then: {recommend: {interventions: [motivational_toolkit]}}",
    ]
    return "\n".join(lines) + "\n"


def deep_brackets(depth: int = 5_000) -> str:
    return "stage: 3\nrules: " + "[" * depth + "\n"


def rule_comparing_with(value: str) -> str:
    """One rule whose test compares OGRS with ``value`` (on line 6)."""
    return (
        "stage: 3\nrules:\n  - id: hostile.compare\n    description: x\n    source: y\n"
        f"    when: {{ogrs: {{gte: {value}}}}}\n"
        "    then: {recommend: {interventions: [motivational_toolkit]}}\n"
    )


def costly_ruleset(rules: int = 10, width: int = 64) -> str:
    """``rules`` rules recommending and as many excluding the same interventions, each testing
    OGRS against a list of ``width`` values; each excluding list overlaps each recommending one
    in its last value only, so no early answer cuts the pairwise check short."""
    lines = ["stage: 3", "rules:"]
    targets = "[" + ", ".join(TARGETS) + "]"
    for kind in ("recommend", "exclude"):
        for i in range(rules):
            base = 0 if kind == "recommend" else width - 1
            values = ", ".join(str(base + i + k) for k in range(width))
            lines += [
                f"  - id: hostile.{kind}_{i}",
                "    description: x",
                "    source: y",
                f"    when: {{ogrs: [{values}]}}",
                f"    then: {{{kind}: {{interventions: {targets}}}}}",
            ]
    return "\n".join(lines) + "\n"


def body(text: str) -> dict[str, Any]:
    return {"files": {RULES_FILE: text}}


# --- measuring ------------------------------------------------------------------------------


class PeakRss:
    """The highest resident memory of a process, sampled every 10 ms on a thread."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak = pid, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        from tests.api.server import rss_mb

        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, rss_mb(self.pid))
            except (OSError, IndexError):
                return
            time.sleep(0.01)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


async def health_under_attack(base: str, calls: int = 40) -> dict[str, Any]:
    """/healthz every 100 ms while ``calls`` costly validations run at once."""
    import httpx

    hostile = body(costly_ruleset())
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:

        async def attack() -> int:
            return (await client.post("/v1/rules/validate", json=hostile)).status_code

        async def watch(done: asyncio.Event) -> None:
            while not done.is_set():
                start = time.perf_counter()
                await client.get("/healthz", timeout=30)
                latencies.append(time.perf_counter() - start)
                await asyncio.sleep(0.1)

        done = asyncio.Event()
        watcher = asyncio.create_task(watch(done))
        start = time.perf_counter()
        statuses = await asyncio.gather(*(attack() for _ in range(calls)))
        took = time.perf_counter() - start
        done.set()
        await watcher
    return {
        "health_median_s": statistics.median(latencies),
        "health_max_s": max(latencies),
        "health_calls": len(latencies),
        "attack_s": took,
        "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
    }


def peak_during(pid: int, call: Callable[[], Any]) -> tuple[float, Any]:
    with PeakRss(pid) as peak:
        result = call()
    return peak.peak, result


def valid_calls(base: str) -> dict[str, float]:
    """A valid validate call: the first (a worker starts), the median of five warm ones, and the
    same check in this process, for the overhead of the worker."""
    import httpx

    from matcher.rulebook.build import load
    from matcher.rulebook.sandbox import check_texts

    took = []
    for _ in range(6):
        start = time.perf_counter()
        answer = httpx.post(f"{base}/v1/rules/validate", json={"files": {}}, timeout=60)
        assert answer.status_code == 200 and answer.json()["valid"], answer.text[:300]
        took.append(time.perf_counter() - start)
    files = load(probe=False).files
    start = time.perf_counter()
    check_texts(dict(files))
    return {
        "first_s": took[0],
        "warm_median_s": statistics.median(took[1:]),
        "in_process_s": time.perf_counter() - start,
    }


def run(calls: int, assessments: int) -> dict[str, Any]:
    import httpx

    from matcher.reports import synth
    from tests.api.server import rss_mb, running_server

    env = {"MATCHER_MAX_BODY_BYTES": str(64 * 1024 * 1024)}  # the batch of 500 is several MB
    with running_server(env=env) as (base, process):
        found: dict[str, Any] = {"rss_at_start_mb": rss_mb(process.pid)}
        found["valid_call"] = valid_calls(base)
        found["attack"] = asyncio.run(health_under_attack(base, calls))
        peak, bomb = peak_during(
            process.pid,
            lambda: httpx.post(f"{base}/v1/rules/validate", json=body(alias_bomb()), timeout=60),
        )
        found["alias_bomb"] = {"status": bomb.status_code, "bytes": len(bomb.content)}
        found["alias_bomb"]["peak_rss_mb"] = peak
        cases = list(synth.generate(assessments, 20261101))
        peak, batch = peak_during(
            process.pid,
            lambda: httpx.post(
                f"{base}/v1/plans/batch",
                params={"explain": "true", "store": "false"},
                json={"assessments": cases},
                timeout=600,
            ),
        )
        found["batch_explain"] = {
            "status": batch.status_code,
            "bytes": len(batch.content),
            "peak_rss_mb": peak,
            "rss_after_mb": rss_mb(process.pid),
        }
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--assessments", type=int, default=500)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    found = run(args.calls, args.assessments)
    attack, bomb, batch = found["attack"], found["alias_bomb"], found["batch_explain"]
    ok = attack["health_max_s"] < 1 and bomb["peak_rss_mb"] < 500 and batch["peak_rss_mb"] < 500
    valid = found["valid_call"]
    print(
        f"a valid validate call: first {valid['first_s']:.2f} s, then {valid['warm_median_s']:.2f} s "
        f"(median of 5; the same check in-process {valid['in_process_s']:.2f} s)"
    )
    print(
        f"/healthz during {args.calls} hostile validations: median {attack['health_median_s'] * 1000:.0f} ms, "
        f"max {attack['health_max_s'] * 1000:.0f} ms over {attack['health_calls']} calls "
        f"(target < 1 s); the attack took {attack['attack_s']:.1f} s, statuses {attack['statuses']}"
    )
    print(
        f"alias bomb: {bomb['status']}, {bomb['bytes']} bytes; server peak RSS "
        f"{bomb['peak_rss_mb']:.0f} MB (target < 500 MB; {found['rss_at_start_mb']:.0f} MB at start)"
    )
    print(
        f"batch explain, {args.assessments} assessments: {batch['status']}, {batch['bytes'] / 1e6:.1f} MB; "
        f"server peak RSS {batch['peak_rss_mb']:.0f} MB, {batch['rss_after_mb']:.0f} MB after "
        "(target < 500 MB)"
    )
    if args.json:
        args.json.write_text(json.dumps(found, indent=1), encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
