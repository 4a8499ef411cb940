"""The validation workers: warm, limited by the kernel in memory and CPU, killed on the wall-clock
limit or when the caller leaves, and no more running at once than configured."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.errors import ApiError
from api.settings import Settings
from api.validation import Validator
from bench.hostile import RULES_FILE, costly_ruleset
from matcher.rulebook.book import Rulebook

SLOW = {RULES_FILE: costly_ruleset(rules=100)}  # about 12 s of checking


async def _never() -> bool:
    return False


async def _gone() -> bool:
    return True


@pytest.fixture()
def make() -> Iterator[Any]:
    made: list[Validator] = []

    def validator(**limits: Any) -> Validator:
        made.append(Validator(Settings(**limits)))
        return made[-1]

    yield validator
    for one in made:
        one.close()


def _limits(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/limits").read_text().splitlines()[1:]
    return {line[:26].strip(): line[26:47].strip() for line in lines}


def test_a_warm_worker_checks_the_live_rules_in_about_a_second_within_its_limits(
    make: Any, rulebook: Rulebook
) -> None:
    validator = make(validate_memory_mb=512, validate_cpu_seconds=7)

    async def twice() -> float:
        await validator.check(rulebook.version, rulebook.files, {}, _never)
        start = time.perf_counter()
        report = await validator.check(rulebook.version, rulebook.files, {}, _never)
        assert report.valid and report.version == rulebook.version
        return time.perf_counter() - start

    assert asyncio.run(twice()) < 3
    (worker,) = validator._idle
    limits = _limits(worker.process.pid or 0)
    assert limits["Max address space"] == str(512 * 1024 * 1024)
    assert limits["Max core file size"] == "0"
    assert 7 < int(limits["Max cpu time"]) < 30  # the CPU used so far, plus 7 s


def test_a_check_past_the_wall_clock_limit_is_killed(make: Any, rulebook: Rulebook) -> None:
    validator = make(validate_wall_seconds=1.0)
    start = time.perf_counter()
    with pytest.raises(ApiError) as refused:
        asyncio.run(validator.check(rulebook.version, rulebook.files, SLOW, _never))
    assert time.perf_counter() - start < 5
    assert refused.value.status == 422 and refused.value.code == "validation_limit"
    assert "MATCHER_VALIDATE_WALL_SECONDS" in refused.value.message
    assert validator._idle == [] and validator._running == 0


def test_a_check_whose_caller_has_gone_is_killed_at_once(make: Any, rulebook: Rulebook) -> None:
    validator = make()
    start = time.perf_counter()
    with pytest.raises(ApiError) as cancelled:
        asyncio.run(validator.check(rulebook.version, rulebook.files, SLOW, _gone))
    assert time.perf_counter() - start < 5
    assert cancelled.value.code == "cancelled" and validator._idle == []


def test_more_checks_than_the_concurrency_limit_get_503_with_retry_after(
    make: Any, rulebook: Rulebook
) -> None:
    validator = make(validate_concurrency=1, validate_wall_seconds=1.0)

    async def both() -> list[Any]:
        slow = validator.check(rulebook.version, rulebook.files, SLOW, _never)
        other = validator.check(rulebook.version, rulebook.files, {}, _never)
        return await asyncio.gather(slow, other, return_exceptions=True)

    slow, other = asyncio.run(both())
    assert isinstance(slow, ApiError) and slow.code == "validation_limit"
    assert isinstance(other, ApiError) and other.status == 503
    assert other.code == "validation_busy" and other.headers["Retry-After"]


def test_a_checker_bug_in_the_worker_is_a_failure_to_log_not_a_crash(
    make: Any, rulebook: Rulebook
) -> None:
    validator = make()
    change = {"rules/rulesets/x.yaml": "rules: 5"}  # trips a TypeError deep in the checker
    report = asyncio.run(validator.check(rulebook.version, rulebook.files, change, _never))
    assert not report.valid
    assert report.failure or report.problems
