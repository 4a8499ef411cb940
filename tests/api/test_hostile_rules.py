"""Hostile rule files against the real server (issue 15): each refused or cut off with a 4xx in
the error envelope, the answer small, the server's memory bounded, health answered throughout."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.hostile import (
    PeakRss,
    alias_bomb,
    body,
    costly_ruleset,
    deep_brackets,
    million_tests,
    rule_comparing_with,
)
from tests.api.conftest import ROOT, TODAY
from tests.api.server import running_server

pytestmark = pytest.mark.slow
SMALL = 64 * 1024  # bytes: no answer to a hostile call is bigger
MAX_RSS_MB = 400  # the server's resident memory during any hostile call (about 125 at rest)
WALL_SECONDS = 3  # the test server's validation time limit
SLOW = costly_ruleset(rules=100)  # 100 rules each way: about 12 s of checking
NAME = "rules/rulesets/90_hostile.yaml"


class Server:
    def __init__(self, base: str, pid: int, rules: Path, log: Path) -> None:
        self.base, self.pid, self.rules, self.log = base, pid, rules, log

    def validate(self, text: str, timeout: float = 60) -> httpx.Response:
        with PeakRss(self.pid) as peak:
            response = httpx.post(
                f"{self.base}/v1/rules/validate", json=body(text), timeout=timeout
            )
        assert peak.peak < MAX_RSS_MB, f"server at {peak.peak:.0f} MB"
        return response

    def reload(self) -> httpx.Response:
        return httpx.post(f"{self.base}/v1/admin/reload", timeout=120)  # auth off: loopback

    def version(self) -> str:
        answer: str = httpx.get(f"{self.base}/readyz", timeout=10).json()["rules_version"]
        return answer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("hostile")
    rules, catalogue, log = folder / "rules", folder / "catalogue", folder / "server.log"
    shutil.copytree(ROOT / "rules", rules)
    shutil.copytree(ROOT / "catalogue", catalogue)
    env = {
        "MATCHER_RULES_DIR": str(rules),
        "MATCHER_CATALOGUE_DIR": str(catalogue),
        "MATCHER_VALIDATE_WALL_SECONDS": str(WALL_SECONDS),
    }
    with running_server(env=env, log=log) as (base, process):
        yield Server(base, process.pid, rules, log)


def refused(response: httpx.Response, status: int, code: str) -> list[dict[str, Any]]:
    """The envelope of a refusal, checked whole; its error items."""
    assert response.status_code == status, response.text[:500]
    assert len(response.content) < SMALL
    envelope = response.json()
    assert set(envelope) == {"status", "code", "message", "errors", "correlation_id"}
    assert envelope["status"] == status and envelope["code"] == code
    assert envelope["errors"] and all({"path", "message"} <= set(e) for e in envelope["errors"])
    errors: list[dict[str, Any]] = envelope["errors"]
    return errors


def test_an_alias_bomb_is_refused_at_its_line_and_the_server_stays_small(server: Server) -> None:
    (error,) = refused(server.validate(alias_bomb()), 422, "file_refused")
    assert (error["file"], error["line"]) == (NAME, 6)
    assert error["path"] == f"{NAME}:6"
    assert "stand for more than 10,000 values" in error["message"]


def test_a_million_tests_of_aliases_is_refused_not_reported_valid(server: Server) -> None:
    (error,) = refused(server.validate(million_tests()), 422, "file_refused")
    assert error["file"] == NAME and "aliases" in error["message"]


def test_five_thousand_brackets_are_a_problem_with_file_line_and_hint_not_a_500(
    server: Server,
) -> None:
    (error,) = refused(server.validate(deep_brackets(5_000)), 422, "file_refused")
    assert (error["file"], error["line"]) == (NAME, 2)
    assert "nested more than 40 deep" in error["message"]
    assert "brackets opened and not closed" in error["message"]
    assert "Traceback" not in server.log.read_text(errors="replace")


@pytest.mark.parametrize("value", [".nan", "-.inf", ".inf"])
def test_nan_and_infinity_in_a_rule_are_refused_with_their_line(server: Server, value: str) -> None:
    (error,) = refused(server.validate(rule_comparing_with(value)), 422, "file_refused")
    assert (error["file"], error["line"]) == (NAME, 6)
    assert "is not a finite number" in error["message"]


def test_half_a_surrogate_pair_in_a_file_is_refused_not_a_500(server: Server) -> None:
    raw = json.dumps(body("stage: 3\nrules: []\n")).replace("rules: []", "rules: [\\ud800]")
    response = httpx.post(
        f"{server.base}/v1/rules/validate",
        content=raw,
        headers={"content-type": "application/json"},
        timeout=60,
    )
    (error,) = refused(response, 422, "file_refused")
    assert "is not UTF-8 text: character U+D800" in error["message"]


def test_the_costly_recommend_exclude_ruleset_is_checked_in_seconds(server: Server) -> None:
    start = time.perf_counter()
    response = server.validate(costly_ruleset())
    assert time.perf_counter() - start < 10  # 52 s of CPU before the set arithmetic
    assert response.status_code == 200 and len(response.content) < SMALL
    warnings = [p for p in response.json()["problems"] if p["file"] == NAME]
    assert any("under overlapping conditions" in p["message"] for p in warnings)


def test_a_check_past_the_time_limit_is_stopped_with_a_422_naming_the_limit(
    server: Server,
) -> None:
    start = time.perf_counter()
    (error,) = refused(server.validate(SLOW), 422, "validation_limit")
    assert time.perf_counter() - start < WALL_SECONDS + 5
    assert "MATCHER_VALIDATE_WALL_SECONDS" in error["message"] and error["path"] == "files"


def _descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (the forkserver and the validation workers), from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def test_a_check_whose_client_leaves_is_killed(server: Server) -> None:
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{server.base}/v1/rules/validate", json=body(SLOW), timeout=1.5)
    time.sleep(0.5)  # the server notices within its polling interval
    before = _cpu_seconds(_descendants(server.pid))
    time.sleep(1.0)
    assert _cpu_seconds(_descendants(server.pid)) - before < 0.3  # nothing is still checking


def test_too_many_files_and_too_big_a_file_are_413(server: Server) -> None:
    files = {f"rules/rulesets/9{n:02d}_x.yaml": "stage: 3\nrules: []\n" for n in range(51)}
    response = httpx.post(f"{server.base}/v1/rules/validate", json={"files": files}, timeout=60)
    (error,) = refused(response, 413, "validation_limit")
    assert "at most 50" in error["message"]
    big = "# " + "x" * 600_000 + "\nstage: 3\nrules: []\n"
    (error,) = refused(server.validate(big), 413, "validation_limit")
    assert (
        error["path"] == f"files.{NAME}" and "MATCHER_VALIDATE_MAX_FILE_BYTES" in error["message"]
    )


async def _attack(base: str, calls: int) -> tuple[list[float], list[httpx.Response]]:
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        done = asyncio.Event()

        async def watch() -> None:
            while not done.is_set():
                for path in ("/healthz", "/readyz"):
                    start = time.perf_counter()
                    assert (await client.get(path, timeout=30)).status_code == 200
                    latencies.append(time.perf_counter() - start)
                await asyncio.sleep(0.1)

        watcher = asyncio.create_task(watch())
        hostile = body(costly_ruleset())
        answers = await asyncio.gather(
            *(client.post("/v1/rules/validate", json=hostile) for _ in range(calls))
        )
        await asyncio.sleep(0.5)
        done.set()
        await watcher
    return latencies, answers


def test_health_answers_while_forty_hostile_validations_run(
    server: Server, example: dict[str, Any]
) -> None:
    with PeakRss(server.pid) as peak:
        latencies, answers = asyncio.run(_attack(server.base, 40))
    assert len(latencies) >= 4 and max(latencies) < 5, latencies
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {200, 422, 503} and statuses.count(503) <= 36, statuses
    codes = {a.json()["code"] for a in answers if a.status_code != 200}
    assert codes <= {"validation_busy", "validation_limit"}  # a loaded machine may pass 3 s
    busy = [a for a in answers if a.status_code == 503]
    assert all(a.headers["retry-after"] for a in busy)
    assert peak.peak < MAX_RSS_MB
    plan = httpx.post(f"{server.base}/v1/plans", json=example, params={"today": TODAY}, timeout=30)
    assert plan.status_code == 200


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"stage: 3\nrules: []  # caf\xe9\n", "is not UTF-8 text: byte 0xe9 at offset 25"),
        (rule_comparing_with(".nan").encode(), "'.nan' is not a finite number"),
        (rule_comparing_with("-.inf").encode(), "'-.inf' is not a finite number"),
    ],
)
def test_a_reload_with_a_broken_file_is_refused_and_the_old_rules_stay_live(
    server: Server, content: bytes, message: str
) -> None:
    before = server.version()
    planted = server.rules / "rulesets" / "90_hostile.yaml"
    planted.write_bytes(content)
    try:
        errors = refused(server.reload(), 422, "rulebook_invalid")
    finally:
        planted.unlink()
    mine = [e for e in errors if e["file"] == NAME]
    assert mine and message in mine[0]["message"], errors
    assert server.version() == before


def test_a_check_past_the_cpu_limit_is_stopped_by_the_kernel_with_a_422() -> None:
    env = {"MATCHER_VALIDATE_CPU_SECONDS": "1", "MATCHER_VALIDATE_WALL_SECONDS": "60"}
    with running_server(env=env) as (base, _):
        start = time.perf_counter()
        response = httpx.post(f"{base}/v1/rules/validate", json=body(SLOW), timeout=60)
        (error,) = refused(response, 422, "validation_limit")
        assert "MATCHER_VALIDATE_CPU_SECONDS" in error["message"]
        assert time.perf_counter() - start < 40  # stopped by the kernel, not the 60 s wall limit
        again = httpx.post(f"{base}/v1/rules/validate", json={"files": {}}, timeout=60)
        assert again.status_code == 200 and again.json()["valid"] is True
