"""The distribution's Chromium (installed with apt-get if missing, as root) driven by Playwright
(no browser download), and the checks every page gets: axe-core and no CSP violation."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).resolve().parent / "axe.min.js"  # axe-core 4.11.0 (see README.md here)
SERIOUS = ("serious", "critical")


def ensure_chromium() -> Path | str:
    """The browser, installing the ``chromium`` package if need be; else why it cannot be had."""
    if CHROMIUM.is_file():
        return CHROMIUM
    if os.geteuid() != 0:
        return "chromium is not installed, and only root can install it (apt-get install chromium)"
    if shutil.which("apt-get") is None:
        return "chromium is not installed, and there is no apt-get to install it with"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "-q", "install", "-y", "--no-install-recommends", "chromium"]
    result = subprocess.run(install, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        subprocess.run(["apt-get", "-q", "update"], env=env, capture_output=True)
        result = subprocess.run(install, env=env, capture_output=True, text=True)
    if result.returncode != 0 or not CHROMIUM.is_file():
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-10:])
        return f"apt-get install chromium failed (exit {result.returncode}):\n{tail}"
    return CHROMIUM


def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now (axe is injected by
    the context's init script, which the page's CSP does not govern)."""
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}"
        for v in found
        if v["impact"] in SERIOUS
    ]


def csp_violations(messages: list[str]) -> list[str]:
    return [m for m in messages if "Content Security Policy" in m or "Content-Security-Policy" in m]
