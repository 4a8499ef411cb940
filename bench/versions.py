"""This commit against a git ref (``make bench BASELINE=<ref>``), same cases, same run.

The ref is checked out beside (a detached git worktree); each version plans in its own worker
process, with the same Python and packages, and the cases are fed to the two in turn, case by
case, each pair in alternating order, so both see the same machine state. Each worker times
``plan`` alone (validation included, as before) and counts durable_rules' actions (every action
its Python side runs, the catch-all included where the version has one). Only cases both versions
accept are compared (a ref from before a contract addition refuses bodies that use it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, TODAY, summary_us

_WORKER = r"""
import json, sys, time
from datetime import date
sys.path.insert(0, sys.argv[1])
try:
    from matcher.planning.planner import plan
    from matcher.model.contract import Assessment
    from matcher.rulebook.build import load
except ImportError:  # before the house of issue 7
    from matcher.planner import plan
    from matcher.domain import Assessment
    from matcher.rulebook import load
from durable import engine as durable

actions = [0]
closure = durable.Closure.__init__
def counted(self, *args, **kwargs):  # durable's Host makes one Closure per action it runs
    actions[0] += 1
    closure(self, *args, **kwargs)
durable.Closure.__init__ = counted
try:  # since ADR 0016 the adapter runs actions itself, and counts them
    from matcher.durable.host import LeanHost
except ImportError:
    LeanHost = None
def fired():
    return actions[0] + (LeanHost.actions_run if LeanHost is not None else 0)
book = load(probe=False)
today = date.fromisoformat(sys.argv[2])
print(json.dumps({"version": book.version}), flush=True)
for line in sys.stdin:
    before = fired()
    start = time.perf_counter()
    try:
        plan(Assessment.model_validate_json(line), book, today=today)
        ok = True
    except Exception:
        ok = False
    took = time.perf_counter() - start
    print(json.dumps({"s": took, "actions": fired() - before, "ok": ok}), flush=True)
"""


class _Worker:
    def __init__(self, tree: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(tree), TODAY.isoformat()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=tree,
        )
        self.version = json.loads(self._read())["version"]

    def _read(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("a benchmark worker stopped")
        return line

    def plan(self, body: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(body.replace("\n", " ") + "\n")
        self.process.stdin.flush()
        result: dict[str, Any] = json.loads(self._read())
        return result

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)


def throughput(tree: Path, bodies: list[str], workers: int) -> dict[str, Any]:
    """Plans a second over ``bodies`` on ``workers`` processes of the code in ``tree``, each fed
    its share of the cases as fast as it plans them (the rulebook loaded before the clock starts)."""
    started = [_Worker(tree) for _ in range(workers)]
    done = [0] * workers
    try:

        def feed(number: int) -> None:
            for body in bodies[number::workers]:
                if started[number].plan(body)["ok"]:
                    done[number] += 1

        threads = [threading.Thread(target=feed, args=(n,)) for n in range(workers)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - start
    finally:
        for worker in started:
            worker.close()
    return {
        "cases": len(bodies),
        "planned": sum(done),
        "workers": workers,
        "seconds": seconds,
        "per_s": sum(done) / seconds,
    }


def checkout(ref: str, folder: Path) -> Path:
    """``ref`` checked out in ``folder`` (a detached worktree of this repository)."""
    tree = folder / "baseline"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", "--force", str(tree), ref],
        check=True,
        capture_output=True,
    )
    return tree


def run(
    ref: str, bodies: list[str], warmup: int = 100, batch: list[str] | None = None
) -> dict[str, Any]:
    """Both versions on the same cases, interleaved; medians, p99s and their ratio. With
    ``batch``, each version also plans those cases on every core, one after the other."""
    folder = Path(tempfile.mkdtemp(prefix="matcher-baseline-"))
    tree = checkout(ref, folder)
    commit = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    try:
        then = _Worker(tree)
        try:
            now = _Worker(ROOT)
        except BaseException:
            then.close()
            raise
        try:
            for body in bodies[:warmup]:
                then.plan(body)
                now.plan(body)
            pairs = []
            for index, body in enumerate(bodies):
                order = (then, now) if index % 2 == 0 else (now, then)
                got = {id(w): w.plan(body) for w in order}
                pairs.append((got[id(then)], got[id(now)]))
        finally:
            then.close()
            now.close()
        if batch:
            workers = os.cpu_count() or 1
            rates = {
                "before": throughput(tree, batch, workers),
                "after": throughput(ROOT, batch, workers),
            }
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)
    both = [(a, b) for a, b in pairs if a["ok"] and b["ok"]]
    if not both:
        raise RuntimeError(f"{ref} planned none of the cases this commit planned")
    before = summary_us([a["s"] for a, _ in both])
    after = summary_us([b["s"] for _, b in both])
    actions_before = sorted(a["actions"] for a, _ in both)
    actions_after = sorted(b["actions"] for _, b in both)
    found: dict[str, Any] = {
        "ref": ref,
        "commit": commit,
        "cases": len(bodies),
        "compared": len(both),
        "plan_before": before,
        "plan_after": after,
        "ratio": after["median"] / before["median"],
        "actions_before": _quantiles(actions_before),
        "actions_after": _quantiles(actions_after),
    }
    if batch:
        found["throughput"] = {**rates, "ratio": rates["after"]["per_s"] / rates["before"]["per_s"]}
    return found


def _quantiles(values: list[int]) -> dict[str, float]:
    if not values:
        return {"median": 0, "p99": 0}
    return {
        "median": values[len(values) // 2],
        "p99": values[min(len(values) - 1, int(len(values) * 0.99))],
    }
