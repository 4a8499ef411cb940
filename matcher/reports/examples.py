"""Assessments for rule examples and scenarios: a base assessment with parts replaced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matcher.model.contract import Assessment
from matcher.rulebook.sources import parse_yaml

MERGED_ONE_LEVEL = ("sentence", "risk")


def merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Replace top-level keys of ``base``; ``sentence`` and ``risk`` are replaced key by key.

    >>> merge({"age": 30, "risk": {"ogrs": 10, "rosh": "low"}}, {"risk": {"ogrs": 80}})
    {'age': 30, 'risk': {'ogrs': 80, 'rosh': 'low'}}
    """
    merged = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
    for key, value in patch.items():
        if key in MERGED_ONE_LEVEL and isinstance(value, dict):
            merged[key] = {**merged.get(key, {}), **value}
        else:
            merged[key] = value
    return merged


def load_base(rules_dir: Path) -> dict[str, Any]:
    data = parse_yaml((rules_dir / "scenarios" / "base.yaml").read_text(encoding="utf-8"))
    plain: dict[str, Any] = _plain(data)
    return plain


def _plain(value: Any) -> Any:
    """Line-remembering YAML containers → plain dicts and lists (for JSON and pydantic)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def example_assessment(base: dict[str, Any], patch: dict[str, Any] | None) -> Assessment:
    return Assessment.model_validate(merge(base, _plain(patch or {})))
