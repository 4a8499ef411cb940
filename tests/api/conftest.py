"""Fixtures for API tests: the real app over HTTP (TestClient runs its lifespan), and a copy of
the shipped rules in a temporary folder for tests that change files and reload."""

from __future__ import annotations

import copy
import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from tests.conftest import TEST_DATABASE

ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-11-01"


@pytest.fixture(scope="session")
def example() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "examples" / "assessment.json").read_text())
    return data


@pytest.fixture(scope="session")
def client() -> Iterator[TestClient]:
    """One app for the read-only tests (auth off), with the benchmark floor."""
    app = create_app(Settings(bench_endpoints=True, max_batch=20, database_url=TEST_DATABASE))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture()
def rules_copy(tmp_path: Path) -> tuple[Path, Path]:
    rules, catalogue = tmp_path / "rules", tmp_path / "catalogue"
    shutil.copytree(ROOT / "rules", rules)
    shutil.copytree(ROOT / "catalogue", catalogue)
    return rules, catalogue


@pytest.fixture()
def own_client(rules_copy: tuple[Path, Path]) -> Iterator[TestClient]:
    """An app reading the temporary copy of the rules, so a test may edit them and reload."""
    rules, catalogue = rules_copy
    app = create_app(
        Settings(
            rules_dir=rules,
            catalogue_dir=catalogue,
            database_url=TEST_DATABASE,
        )
    )
    with TestClient(app) as test_client:
        yield test_client


def variant(example: dict[str, Any], **patch: Any) -> dict[str, Any]:
    """The example assessment with top-level keys replaced (``sentence``/``risk`` merged)."""
    data = copy.deepcopy(example)
    for key, value in patch.items():
        if key in ("sentence", "risk") and isinstance(value, dict):
            data[key] = {**data.get(key, {}), **value}
        else:
            data[key] = value
    return data


BASE_URL = "https://matcher.example.org"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('stored')}/matcher.db"
    from tests.postgres import reset_database

    url: str = request.getfixturevalue("postgres_url")
    reset_database(url)
    return url


@pytest.fixture(scope="module")
def api(database: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database, base_url=BASE_URL))
    with TestClient(app) as client:
        yield client


@pytest.fixture()
def person(example: dict[str, Any]) -> dict[str, Any]:
    """The example assessment for a person of this test alone."""
    return variant(example, person_id=f"T{uuid.uuid4().hex[:12]}")


def issue(api: TestClient, body: dict[str, Any], **headers: str) -> dict[str, Any]:
    response = api.post("/v1/plans", json=body, params={"today": TODAY}, headers=headers)
    assert response.status_code == 200, response.text
    made: dict[str, Any] = response.json()
    return made


def ids(plan: dict[str, Any]) -> list[str]:
    return [item["intervention_id"] for item in plan["items"]]
