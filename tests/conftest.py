"""Shared fixtures: the shipped rulebook (loaded once), the base assessment, hypothesis profiles."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from matcher.model.contract import Assessment
from matcher.reports.examples import example_assessment, load_base
from matcher.rulebook import build as rulebook_module
from matcher.rulebook.book import Rulebook

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
CATALOGUE = ROOT / "catalogue"
TODAY = date(2026, 11, 1)  # the base assessment's sentence start: plans are reproducible

# Stored plans go to a SQLite file of this test run (servers started by tests inherit it), never
# to the working copy's var/matcher.db.
_DATABASE_DIR = tempfile.mkdtemp(prefix="matcher-tests-")
atexit.register(shutil.rmtree, _DATABASE_DIR, ignore_errors=True)
TEST_DATABASE = os.environ.setdefault(
    "MATCHER_DATABASE_URL", f"sqlite:///{_DATABASE_DIR}/matcher.db"
)

settings.register_profile(
    "ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "dev", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(scope="session")
def rulebook() -> Rulebook:
    return rulebook_module.load(RULES, CATALOGUE, probe=False)


@pytest.fixture(scope="session")
def base() -> dict[str, Any]:
    return load_base(RULES)


@pytest.fixture()
def assess(base: dict[str, Any]) -> Any:
    """Build an assessment from the base with some parts replaced."""

    def build(**patch: Any) -> Assessment:
        return example_assessment(base, patch)

    return build


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real PostgreSQL server for the session (started only if a test asks), with an empty
    ``matcher_test`` database: its SQLAlchemy URL. Skips when PostgreSQL cannot be installed."""
    from tests.postgres import ensure_installed, running_postgres

    found = ensure_installed()
    if isinstance(found, str):
        pytest.skip(f"PostgreSQL not available: {found}")
    with running_postgres(tmp_path_factory.mktemp("pg")) as url:
        yield url
