"""Charts of the commissioning picture a commissioner reads at a glance (matplotlib): a region ×
need-area heat map of unmet priority needs, and each intervention's demand against its capacity.
Each chart is written as PNG and SVG."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no screen on servers and CI

import matplotlib.pyplot as plt

FORMATS = ("png", "svg")
TOP = 20  # interventions shown in the demand chart, by people in demand


def _number(value: Any) -> float:
    """A count as drawn: a suppressed ``"<5"`` is drawn as 0 and labelled as given."""
    return float(value) if isinstance(value, int | float) else 0.0


def unmet_heat_map(report: Mapping[str, Any], out: Path, names: Mapping[str, str]) -> list[Path]:
    """Regions down, need areas across: people whose priority need went unmet, each cell labelled
    "unmet / priority"."""
    cells = [c for c in report["cells"] if "pdu" not in c]
    regions = sorted({c["region"] for c in cells})
    areas = sorted({c["need_area"] for c in cells})
    grid = [[0.0] * len(areas) for _ in regions]
    labels: dict[tuple[int, int], str] = {}
    for cell in cells:
        row, column = regions.index(cell["region"]), areas.index(cell["need_area"])
        grid[row][column] = _number(cell["unmet"])
        labels[(row, column)] = f"{cell['unmet']}/{cell['priority']}"
    figure, axes = plt.subplots(figsize=(1.1 * len(areas) + 4, 0.5 * len(regions) + 2.5))
    image = axes.imshow(grid or [[0.0]], cmap="Reds", aspect="auto")
    axes.set_xticks(range(len(areas)), [names.get(a, a) for a in areas], rotation=40, ha="right")
    axes.set_yticks(range(len(regions)), [names.get(r, r) for r in regions])
    peak = max((max(row) for row in grid), default=0.0) or 1.0
    for (row, column), text in labels.items():
        dark = grid[row][column] > peak * 0.6
        axes.text(column, row, text, ha="center", va="center", fontsize=7,
                  color="white" if dark else "black")  # fmt: skip
    axes.set_title(f"Unmet priority needs by region (unmet / priority), {report['people']} people")
    figure.colorbar(image, ax=axes, label="people with the priority need unmet")
    figure.tight_layout()
    return _save(figure, out / "unmet_by_region")


def demand_against_capacity(
    report: Mapping[str, Any], out: Path, names: Mapping[str, str]
) -> list[Path]:
    """The interventions in most demand (all regions): people in demand, and the places a year
    where the catalogue knows them."""
    demand: dict[str, float] = defaultdict(float)
    capacity: dict[str, float] = defaultdict(float)
    for row in report["interventions"]:
        if "pdu" in row:
            continue
        demand[row["intervention_id"]] += _number(row["demand_people"])
        capacity[row["intervention_id"]] += _number(row.get("capacity", 0))
    shown = sorted(demand, key=lambda i: (-demand[i], i))[:TOP][::-1]
    figure, axes = plt.subplots(figsize=(10, 0.35 * len(shown) + 2))
    positions = range(len(shown))
    axes.barh(positions, [demand[i] for i in shown], color="#1d70b8", label="people in demand")
    known = [(p, capacity[i]) for p, i in zip(positions, shown, strict=True) if capacity[i]]
    if known:
        axes.scatter([c for _, c in known], [p for p, _ in known], marker="|", s=300,
                     color="#d4351c", label="places a year (where known)")  # fmt: skip
    axes.set_yticks(list(positions), [names.get(i, i) for i in shown], fontsize=8)
    axes.set_xlabel(
        "people" if known else "people (the catalogue gives no capacity for these interventions)"
    )
    axes.set_title("Demand against capacity: the interventions plans ask for most")
    axes.legend(loc="lower right")
    figure.tight_layout()
    return _save(figure, out / "demand_against_capacity")


def _save(figure: Any, stem: Path) -> list[Path]:
    written = []
    for fmt in FORMATS:
        path = stem.with_suffix(f".{fmt}")
        figure.savefig(path, format=fmt, dpi=110)
        written.append(path)
    plt.close(figure)
    return written


def draw(report: Mapping[str, Any], out: Path, names: Mapping[str, str]) -> list[Path]:
    """Both charts into ``out``; the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    return unmet_heat_map(report, out, names) + demand_against_capacity(report, out, names)
