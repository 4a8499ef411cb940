"""The house stays as docs/adr/0005-the-house-in-rooms.md describes it: measured by tools/house.py."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def house() -> ModuleType:
    spec = importlib.util.spec_from_file_location("house", ROOT / "tools" / "house.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["house"] = module
    spec.loader.exec_module(module)
    return module


def test_the_house_has_no_cycles_no_upward_imports_and_keeps_its_size_limits() -> None:
    tool = house()
    report = tool.report(tool.read_house())
    assert report["problems"] == []
    assert report["cycles"] == []
    assert report["levels"] <= tool.LIMITS["levels"]


def test_the_measure_finds_an_upward_import_a_cycle_and_a_long_function() -> None:
    tool = house()
    planted = tool.House(
        imports={
            "matcher.model.a": {"matcher.planning.b"},
            "matcher.planning.b": {"matcher.model.a"},
        },
        external={"matcher.model.a": {"durable"}, "matcher.planning.b": set()},
        lines={"matcher.model.a": 500, "matcher.planning.b": 10},
        functions=[("matcher.planning.b", "long", 61)],
    )
    found = "\n".join(tool.problems(planted))
    assert "import cycle" in found
    assert "matcher.model.a imports matcher.planning.b" in found
    assert "matcher.model.a imports durable: only matcher.durable may" in found
    assert "matcher.model.a has 500 lines" in found
    assert "matcher.planning.b.long has 61 lines" in found


def test_only_the_durable_room_imports_durable_rules() -> None:
    tool = house()
    found = tool.read_house()
    users = {
        m
        for m, packages in found.external.items()
        if packages & {"durable", "durable_rules_engine"}
    }
    assert users and all(m.startswith("matcher.durable") for m in users)


def test_the_model_imports_no_other_matcher_room() -> None:
    tool = house()
    found = tool.read_house()
    for module, targets in found.imports.items():
        if module.startswith("matcher.model"):
            assert all(t.startswith("matcher.model") for t in targets), (module, targets)
