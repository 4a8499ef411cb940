"""One server (started as `make run` starts it) and one headless Chromium for the module; a fresh
browser context for each test, with axe-core injected and the console kept."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.api.server import running_server
from tests.e2e.browser import ARGS, AXE, csp_violations, ensure_chromium, serious_violations

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "pages"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("server") / "server.log"
    with running_server(log=log) as (base, _process):
        yield base


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    found = ensure_chromium()
    if isinstance(found, str):
        pytest.skip(f"Chromium not available: {found}")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(found), args=ARGS, headless=True)
        yield browser
        browser.close()


@dataclass
class Visit:
    """A page in a fresh context, each page it visits checked (axe, CSP) when asked."""

    page: Any
    base: str
    console: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def go(self, path: str) -> Any:
        self.page.goto(self.base + path)
        return self.check()

    def submit(self, button: str) -> Any:
        """Press a form's button and check the page it leads to, once it has loaded."""
        with self.page.expect_navigation(wait_until="load"):
            self.page.click(f"button:has-text('{button}')")
        return self.check()

    def check(self) -> Any:
        """axe-core finds no serious or critical problem; the console no CSP violation."""
        where = self.page.url
        assert serious_violations(self.page) == [], where
        assert csp_violations(self.console) == [], where
        self.checked.append(where)
        return self.page

    def shoot(self, name: str) -> None:
        """A screenshot for the README, when MATCHER_SCREENSHOTS is set."""
        if os.environ.get("MATCHER_SCREENSHOTS"):
            from PIL import Image  # matplotlib's dependency

            SHOTS.mkdir(parents=True, exist_ok=True)
            path = SHOTS / f"{name}.png"
            self.page.screenshot(path=str(path), full_page=True)
            with Image.open(path) as shot:  # a palette of 256 colours: a third of the size
                shot.convert("RGB").quantize(256).save(path, optimize=True)


@pytest.fixture
def visit(chromium: Any, base_url: str) -> Iterator[Visit]:
    with visiting(chromium, base_url) as seen:
        yield seen


@contextmanager
def visiting(chromium: Any, base: str) -> Iterator[Visit]:
    """A fresh browser context on ``base``, axe-core injected and the console kept."""
    context = chromium.new_context(viewport={"width": 1100, "height": 900})
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    seen = Visit(page, base)
    page.on("console", lambda message: seen.console.append(f"{message.type}: {message.text}"))
    try:
        yield seen
    finally:
        context.close()
