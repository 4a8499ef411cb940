"""Where the shipped rules and catalogue are: beside the package, in the repository's root."""

from __future__ import annotations

from pathlib import Path

DEFAULT_RULES = Path(__file__).resolve().parents[2] / "rules"
DEFAULT_CATALOGUE = Path(__file__).resolve().parents[2] / "catalogue"
