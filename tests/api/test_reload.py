"""50 reloads through the admin endpoint while plans flow: no failed request, every plan made by
a version that existed, and the server's memory growth measured and bounded."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.auth import PLANS, POLICY
from tests.api.conftest import ROOT, TODAY
from tests.api.server import rss_mb, running_server
from tests.api.tokens import bearer, server_env, token

pytestmark = pytest.mark.slow
RELOADS = 30
WARM_UP = 5  # the first reloads fill allocator pools and caches; growth is measured after them
MAX_GROWTH_MB = 60
PAUSE = 0.02


def test_fifty_reloads_under_load_fail_nothing_and_keep_memory_bounded(
    example: dict[str, Any], tmp_path: Path
) -> None:
    rules, catalogue = tmp_path / "rules", tmp_path / "catalogue"
    shutil.copytree(ROOT / "rules", rules)
    shutil.copytree(ROOT / "catalogue", catalogue)
    edited = rules / "rulesets" / "70_strengths.yaml"
    original = edited.read_text()
    env = {
        "MATCHER_RULES_DIR": str(rules),
        "MATCHER_CATALOGUE_DIR": str(catalogue),
        **server_env(),  # the real server with auth on: traffic as a practitioner, reloads as policy
    }
    failures: list[str] = []
    seen: list[str] = []
    stop = threading.Event()

    with running_server(env=env) as (base, process):
        versions = {httpx.get(f"{base}/readyz").json()["rules_version"]}

        def traffic() -> None:
            with httpx.Client(base_url=base, timeout=60, headers=bearer(token(PLANS))) as client:
                while not stop.is_set():
                    response = client.post("/v1/plans", json=example, params={"today": TODAY})
                    if response.status_code != 200:
                        failures.append(f"{response.status_code}: {response.text[:200]}")
                    else:
                        seen.append(response.json()["rules_version"])
                    stop.wait(PAUSE)  # steady traffic that leaves the reloads some CPU

        workers = [threading.Thread(target=traffic) for _ in range(2)]
        for worker in workers:
            worker.start()
        try:
            with httpx.Client(base_url=base, timeout=120, headers=bearer(token(POLICY))) as admin:
                for n in range(RELOADS):
                    if n == WARM_UP:
                        before = rss_mb(process.pid)
                    edited.write_text(original + f"\n# reload {n}\n")  # a new version each time
                    response = admin.post("/v1/admin/reload")
                    assert response.status_code == 200, response.text
                    versions.add(response.json()["rules_version"])
                after = rss_mb(process.pid)
        finally:
            stop.set()
            for worker in workers:
                worker.join()

    growth = after - before
    print(
        f"\nRSS {before:.1f} MB → {after:.1f} MB over {RELOADS - WARM_UP} reloads: {growth:+.1f} MB; {len(seen)} plans during reloads"
    )
    assert not failures, failures[:5]
    assert len(versions) == RELOADS + 1
    assert set(seen) <= versions and len(set(seen)) > 1
    assert growth < MAX_GROWTH_MB
