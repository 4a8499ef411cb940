"""The real server, started with `make run`'s command: a plan, SIGHUP reload, several workers,
and 200 different assessments sent concurrently giving exactly the plans they give one at a time."""

from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import TODAY, variant
from tests.api.server import running_server

pytestmark = pytest.mark.slow


def caseload(example: dict[str, Any], rulebook: Any, size: int) -> list[dict[str, Any]]:
    """``size`` different, valid assessments spread over the vocabulary."""
    vocabulary = rulebook.vocabulary
    areas = list(vocabulary.need_areas)
    regions = sorted(vocabulary.regions)
    responsivity = sorted(vocabulary.codes("responsivity"))
    strengths = sorted(vocabulary.codes("strengths"))
    people = []
    for i in range(size):
        needs = [
            {
                "area": areas[(i + k) % len(areas)],
                "severity": 1 + (i + k) % 2,
                "linked_to_offending": (i + k) % 3 == 0,
            }
            for k in range(1 + i % 4)
        ]
        people.append(
            variant(
                example,
                person_id=f"C{i:04d}",
                age=18 + i % 50,
                gender="female" if i % 5 == 0 else "male",
                region=regions[i % len(regions)],
                risk={"ogrs": (i * 7) % 100, "rosh": ["low", "medium", "high"][i % 3], "flags": []},
                sentence={"mandated": [], "end_date": f"{2027 + i % 3}-11-01"},
                needs=needs,
                responsivity=[responsivity[i % len(responsivity)]] if i % 2 else [],
                strengths=[strengths[i % len(strengths)]] if i % 3 else [],
            )
        )
    return people


def test_the_real_server_plans(example: dict[str, Any], tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with running_server(log=log) as (base, process):
        response = httpx.post(f"{base}/v1/plans", json=example, params={"today": TODAY}, timeout=30)
        assert response.status_code == 200
        assert response.json()["items"] and response.headers["x-correlation-id"]
        version = httpx.get(f"{base}/readyz").json()["rules_version"]
        process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        while "SIGHUP" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert httpx.get(f"{base}/readyz").json() == {
            "status": "ready",
            "rules_version": version,
            "reloads": 1,
        }
    assert f"SIGHUP: rules {version} live" in log.read_text()
    assert "X123456" not in log.read_text()


def test_several_workers_serve_the_same_rules(example: dict[str, Any]) -> None:
    with running_server(workers=2) as (base, _):
        versions = {
            httpx.post(f"{base}/v1/plans", json=example, timeout=30).json()["rules_version"]
            for _ in range(10)
        }
        assert len(versions) == 1


def test_200_concurrent_assessments_give_the_plans_they_give_one_at_a_time(
    example: dict[str, Any], rulebook: Any
) -> None:
    people = caseload(example, rulebook, 200)
    with running_server() as (base, _), httpx.Client(base_url=base, timeout=60) as client:

        def plan(person: dict[str, Any]) -> Any:  # planning alone: a stored plan has its own id
            params = {"today": TODAY, "store": "false"}
            response = client.post("/v1/plans", json=person, params=params)
            assert response.status_code == 200, response.text
            return response.json()

        alone = [plan(person) for person in people]
        with ThreadPoolExecutor(max_workers=50) as pool:
            together = list(pool.map(plan, people))
    assert len({p["person_id"] for p in together}) == 200
    assert len({str(p["items"]) for p in alone}) > 20  # the caseload really is varied
    for one, many in zip(alone, together, strict=True):
        assert many == one
