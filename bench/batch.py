"""The caseload re-plan: 100,000 cases over every core, each worker loading its own rulebook.

The caseload is drawn first (not timed) into JSON-lines shards. The timed part is what a policy
officer's ``matcher replan`` does, through the same code (``matcher.reports.caseload``): start the
workers, each loads and compiles the rulebook once, then validates and plans every case and
serialises each plan to JSON, which comes back to the parent in caseload order.
"""

from __future__ import annotations

import json
import multiprocessing
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


def run(n: int, folder: Path, workers: int | None = None) -> dict[str, Any]:
    from bench.common import TODAY
    from matcher.reports.caseload import Folders, cores, each_case, plan_json
    from matcher.rulebook.paths import DEFAULT_CATALOGUE, DEFAULT_RULES

    workers = workers or cores()
    shards = draw_shards(folder, n, workers)

    def lines() -> Any:
        number = 0
        for shard in shards:
            with open(shard, encoding="utf-8") as cases:
                for text in cases:
                    number += 1
                    yield number, text

    start = time.perf_counter()
    count = size = failed = 0
    folders = [Folders(DEFAULT_RULES, DEFAULT_CATALOGUE)]
    for result in each_case(plan_json, lines(), folders, TODAY, workers):
        if isinstance(result, str):
            count += 1
            size += len(result)
        else:
            failed += 1
    seconds = time.perf_counter() - start
    return {
        "n": count,
        "failed": failed,
        "workers": workers,
        "seconds": seconds,
        "plans_per_s": count / seconds,
        "bytes": size,
    }
