"""Measure the house: the import graph of matcher/ and api/, module and function sizes.

    python tools/house.py            # a report; exit 1 if a limit is broken
    python tools/house.py --json     # the same as JSON

Rooms are folders (conventions.md); each may import only the rooms below it. Levels count the
imports along the longest chain of imports between the project's modules (a module that imports
nothing of ours is at level 0; one that imports only such modules, at level 1).
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("matcher", "api")
# Each room and the rooms it may import (besides itself).
ROOMS: dict[str, tuple[str, ...]] = {
    "matcher.model": (),
    "matcher.durable": ("matcher.model",),
    "matcher.rulebook": ("matcher.model", "matcher.durable"),
    "matcher.planning": ("matcher.model", "matcher.rulebook.book"),
    "matcher.reports": ("matcher.model", "matcher.rulebook", "matcher.planning"),
    "matcher.store": ("matcher.model",),
    "matcher.cli": (
        "matcher.model",
        "matcher.rulebook",
        "matcher.planning",
        "matcher.reports",
        "matcher.store",
    ),
    "api": (
        "matcher.model",
        "matcher.rulebook",
        "matcher.planning",
        "matcher.reports",
        "matcher.store",
    ),
}
THIRD_PARTY_ONLY_IN = {
    "durable": "matcher.durable",
    "durable_rules_engine": "matcher.durable",
    "sqlalchemy": "matcher.store",
    "alembic": "matcher.store",
}
MODEL_MAY_IMPORT = ("pydantic",)  # and the standard library
LIMITS = {"levels": 8, "module_lines": 400, "function_lines": 60}


@dataclass
class House:
    imports: dict[str, set[str]] = field(default_factory=dict)  # module → project modules
    external: dict[str, set[str]] = field(default_factory=dict)  # module → top-level packages
    lines: dict[str, int] = field(default_factory=dict)
    functions: list[tuple[str, str, int]] = field(default_factory=list)  # module, name, lines


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def read_house() -> House:
    house = House()
    files = [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]
    names = {module_name(p) for p in files}
    for path in files:
        name = module_name(path)
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        house.lines[name] = len(text.splitlines())
        ours, theirs = set(), set()
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for target in targets:
                if target in names:
                    ours.add(target)
                elif target.split(".")[0] not in PACKAGES:
                    theirs.add(target.split(".")[0])
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                house.functions.append((name, node.name, length))
        ours.discard(name)
        house.imports[name] = ours
        house.external[name] = theirs
    return house


def room_of(module: str) -> str:
    return max((r for r in ROOMS if module == r or module.startswith(r + ".")), key=len, default="")


def levels(house: House) -> tuple[dict[str, int], list[list[str]]]:
    """Each module's level (1 + the deepest it imports), and the import cycles found."""
    level: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> int:
        if module in path:
            cycles.append([*path[path.index(module) :], module])
            return -1
        if module not in level:
            below = [visit(m, [*path, module]) for m in sorted(house.imports.get(module, ()))]
            level[module] = 1 + max(below, default=-1)
        return level[module]

    for module in sorted(house.imports):
        visit(module, [])
    return level, cycles


def problems(house: House) -> list[str]:
    found = []
    level, cycles = levels(house)
    for cycle in cycles:
        found.append("import cycle: " + " → ".join(cycle))
    deepest = max(level.values(), default=0)
    if deepest > LIMITS["levels"]:
        found.append(f"{deepest} import levels; at most {LIMITS['levels']}")
    for module, targets in sorted(house.imports.items()):
        room = room_of(module)
        allowed = (room, *ROOMS.get(room, ()))
        for target in sorted(targets):
            if room and not any(target == a or target.startswith(a + ".") for a in allowed):
                found.append(f"{module} imports {target}: {room} may import only {allowed[1:]}")
        for package in sorted(house.external[module]):
            owner = THIRD_PARTY_ONLY_IN.get(package)
            if owner and room != owner:
                found.append(f"{module} imports {package}: only {owner} may")
            if room == "matcher.model" and package not in MODEL_MAY_IMPORT + STDLIB:
                found.append(f"{module} imports {package}: the model imports only pydantic")
    for module, count in sorted(house.lines.items()):
        if count > LIMITS["module_lines"]:
            found.append(f"{module} has {count} lines; at most {LIMITS['module_lines']}")
    for module, function, count in house.functions:
        if count > LIMITS["function_lines"]:
            found.append(
                f"{module}.{function} has {count} lines; at most {LIMITS['function_lines']}"
            )
    return found


STDLIB = tuple(sorted(sys.stdlib_module_names))


def report(house: House) -> dict[str, object]:
    level, cycles = levels(house)
    return {
        "modules": len(house.imports),
        "levels": max(level.values(), default=0),
        "deepest": sorted(m for m in level if level[m] == max(level.values()))[:5],
        "cycles": cycles,
        "largest_module": max(house.lines.items(), key=lambda kv: kv[1]),
        "longest_function": max(house.functions, key=lambda f: f[2]),
        "problems": problems(house),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = report(read_house())
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"{result['modules']} modules, {result['levels']} import levels (deepest: {', '.join(result['deepest'])})"
        )
        print(
            f"largest module: {result['largest_module'][0]} ({result['largest_module'][1]} lines)"
        )
        longest = result["longest_function"]
        print(f"longest function: {longest[0]}.{longest[1]} ({longest[2]} lines)")
        for problem in result["problems"]:
            print(f"problem: {problem}")
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
