"""Shared by every benchmark: the machine, timing statistics, the synthetic caseload."""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Any

from matcher.reports import synth

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261101
TODAY = date.fromisoformat(str(synth.load_profile()["reference_date"]))


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = "unknown"
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {sys.version.split()[0]}",
        "durable_rules": metadata.version("durable_rules"),
        "pydantic": metadata.version("pydantic"),
        "fastapi": metadata.version("fastapi"),
        "uvicorn": metadata.version("uvicorn"),
        "commit": commit or "unknown",
    }


def summary_us(seconds: list[float]) -> dict[str, float]:
    """Median and p99 of per-call times, in microseconds."""
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {"median": statistics.median(ordered) * 1e6, "p99": p99 * 1e6, "n": len(ordered)}


def caseload(n: int, seed: int = SEED) -> list[dict[str, Any]]:
    return list(synth.generate(n, seed))


def write_caseload(path: Path, n: int, seed: int = SEED) -> None:
    profile = synth.load_profile()
    with open(path, "w", encoding="utf-8") as out:
        for body in synth.generate(n, seed, profile):
            out.write(json.dumps(body, separators=(",", ":")) + "\n")


def rss_mib() -> float:
    """This process's resident memory now, in MiB (from /proc; peak RSS where that is missing)."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
