"""The caseload re-plan: 100,000 cases over every core, each worker loading its own rulebook.

The caseload is drawn first (not timed) into one JSON-lines shard per worker. The timed part is
what a policy officer's re-plan does: start the workers, each loads and compiles the rulebook,
reads its shard, validates and plans every case and serialises each plan to JSON.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
from pathlib import Path
from typing import Any

from bench.common import SEED


def _draw(args: tuple[str, int, int, int]) -> str:
    from matcher.reports import synth

    path, start, count, seed = args
    profile = synth.load_profile()
    with open(path, "w", encoding="utf-8") as out:
        for body in synth.generate(count, seed, profile, start=start):
            out.write(json.dumps(body, separators=(",", ":")) + "\n")
    return path


def draw_shards(folder: Path, n: int, workers: int, seed: int = SEED) -> list[str]:
    per = -(-n // workers)
    jobs = [
        (str(folder / f"shard{w}.jsonl"), w * per, min(per, n - w * per), seed)
        for w in range(workers)
        if n - w * per > 0
    ]
    with multiprocessing.get_context("spawn").Pool(len(jobs)) as pool:
        return list(pool.map(_draw, jobs))


CASE_LIMIT_S = 10


class _TooSlow(Exception):
    pass


def _too_slow(signum: int, frame: Any) -> None:
    raise _TooSlow


def _replan(path: str) -> dict[str, Any]:
    started = time.perf_counter()
    from bench.common import TODAY, rss_mib
    from matcher.model.contract import Assessment
    from matcher.planning.planner import plan
    from matcher.rulebook import build as rulebook

    book = rulebook.load(probe=False)
    loaded = time.perf_counter()
    count = size = 0
    stuck: list[str] = []
    signal.signal(signal.SIGALRM, _too_slow)
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            signal.alarm(CASE_LIMIT_S)  # one case must never stall the whole re-plan
            try:
                result = plan(Assessment.model_validate_json(line), book, today=TODAY)
                size += len(result.model_dump_json())
                count += 1
            except _TooSlow:
                stuck.append(json.loads(line)["person_id"])
            finally:
                signal.alarm(0)
    return {
        "count": count,
        "stuck": stuck,
        "bytes": size,
        "load_s": loaded - started,
        "plan_s": time.perf_counter() - loaded,
        "rss_mib": rss_mib(),
    }


def run(n: int, folder: Path, workers: int | None = None) -> dict[str, Any]:
    workers = workers or os.cpu_count() or 1
    shards = draw_shards(folder, n, workers)
    start = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(len(shards)) as pool:
        results = pool.map(_replan, shards)
    seconds = time.perf_counter() - start
    count = sum(r["count"] for r in results)
    stuck = [p for r in results for p in r["stuck"]]
    return {
        "n": count,
        "stuck": stuck,  # cases given up after CASE_LIMIT_S (a planner bug: report them)
        "workers": len(shards),
        "seconds": seconds,
        "plans_per_s": count / seconds,
        "worker_rss_mib": max(r["rss_mib"] for r in results),
        "worker_load_s": max(r["load_s"] for r in results),
    }
