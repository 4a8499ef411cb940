"""Pictures a person can open: the sequencing policy graph and a plan's timeline (matplotlib).

``matcher graph --out graph.svg --json graph.json`` and ``matcher plan FILE --timeline plan.png``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import IO, Any

import matplotlib

matplotlib.use("Agg")  # no screen on servers and CI

import matplotlib.pyplot as plt
import networkx as nx
from matplotlib.lines import Line2D

from matcher.model.contract import Plan
from matcher.rulebook.book import Rulebook

FORMATS = ("svg", "png")


def policy_graph(rulebook: Rulebook) -> nx.MultiDiGraph:
    """The sequencing policy as a graph a person can read: a selector that names only need areas
    becomes one node per need area; any other selector is one node. One edge per policy edge."""
    graph = nx.MultiDiGraph()
    for edge in rulebook.policy.edges:
        for before in _nodes(edge.before):
            for after in _nodes(edge.after):
                graph.add_edge(
                    before,
                    after,
                    key=edge.id,
                    type=edge.type,
                    lag=edge.lag_weeks,
                    conditional=edge.conditional,
                )
    return graph


def _nodes(selector: str) -> list[str]:
    if selector.startswith("needs: ") and ";" not in selector:
        return [area.strip() for area in selector[len("needs: ") :].split(",")]
    return [selector]


def policy_graph_json(rulebook: Rulebook) -> dict[str, Any]:
    """The policy edges, and the intervention-level graph they imply (with prerequisites)."""
    union = rulebook.sequencing_graph
    return {
        "rules_version": rulebook.version,
        "edges": [
            {
                "id": e.id,
                "before": e.before,
                "after": e.after,
                "type": e.type,
                "lag_weeks": e.lag_weeks,
                "conditional": e.conditional,
                "rationale": e.rationale,
                "source": e.source,
                "file": e.file,
                "line": e.line,
                "intervention_pairs": len(e.pairs),
            }
            for e in rulebook.policy.edges
        ],
        "interventions": {
            "nodes": sorted(union.nodes),
            "edges": [
                {
                    "before": u,
                    "after": v,
                    "by": [
                        f"{what} ({file}:{line})"
                        for what, file, line in union.edges[u, v]["places"]
                    ],
                }
                for u, v in sorted(union.edges)
            ],
        },
    }


def _save(figure: Any, target: Path | IO[bytes], fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown picture format {fmt!r}; use one of {FORMATS}")
    figure.savefig(target, format=fmt, bbox_inches="tight")
    plt.close(figure)


def draw_policy_graph(rulebook: Rulebook, target: Path | IO[bytes], fmt: str = "svg") -> None:
    """Draw the sequencing policy left to right, earliest work first: solid arrows are
    finish-to-start, dashed start-to-start, orange ones apply only when their condition holds."""
    graph = policy_graph(rulebook)
    simple = nx.DiGraph(graph)
    for layer, nodes in enumerate(nx.topological_generations(simple)):
        for node in nodes:
            simple.nodes[node]["layer"] = layer
    positions = (
        nx.multipartite_layout(simple, subset_key="layer", align="vertical", scale=2)
        if simple
        else {}
    )
    tallest = max(
        [
            sum(1 for n in simple if simple.nodes[n]["layer"] == layer)
            for layer in range(len(simple))
        ]
        or [1]
    )
    figure, axes = plt.subplots(figsize=(15, max(7, tallest * 1.4)))
    axes.set_title(f"Sequencing policy (rules {rulebook.version[:19]}…): earlier work on the left")
    nx.draw_networkx_nodes(
        simple, positions, ax=axes, node_size=3200, node_color="#dbe9f6", edgecolors="#2b5d8a"
    )
    labels = {n: "\n".join(textwrap.wrap(n.replace("_", " "), 18)) for n in simple}
    nx.draw_networkx_labels(simple, positions, labels, ax=axes, font_size=7)
    for index, (u, v, data) in enumerate(graph.edges(data=True)):
        nx.draw_networkx_edges(
            simple,
            positions,
            edgelist=[(u, v)],
            ax=axes,
            arrows=True,
            arrowsize=14,
            node_size=3200,
            style="solid" if data["type"] == "finish_to_start" else "dashed",
            edge_color="#d9822b" if data["conditional"] else "#2b5d8a",
            connectionstyle=f"arc3,rad={0.05 + 0.04 * (index % 3)}",
        )
    lags = {(u, v): f"+{d['lag']}w" for u, v, d in graph.edges(data=True) if d["lag"]}
    nx.draw_networkx_edge_labels(
        simple, positions, edge_labels=lags, ax=axes, font_size=7, label_pos=0.3
    )
    legend = [
        Line2D([], [], color="#2b5d8a", label="finish-to-start"),
        Line2D([], [], color="#2b5d8a", linestyle="dashed", label="start-to-start (+lag weeks)"),
        Line2D([], [], color="#d9822b", label="only when its condition holds"),
    ]
    axes.legend(handles=legend, loc="lower left", fontsize=8)
    axes.axis("off")
    _save(figure, target, fmt)


def draw_timeline(plan: Plan, target: Path | IO[bytes], fmt: str | None = None) -> None:
    """A Gantt chart of the plan: one bar per intervention from start to end week, by phase."""
    fmt = fmt or (Path(str(target)).suffix.lstrip(".") if isinstance(target, Path) else "png")
    items = plan.items
    figure, axes = plt.subplots(figsize=(12, 1.2 + 0.6 * max(1, len(items))))
    colours = plt.get_cmap("tab10")
    for row, item in enumerate(items):
        axes.barh(
            row,
            item.end_week - item.start_week,
            left=item.start_week,
            color=colours(item.phase % 10),
            edgecolor="black",
        )
        mark = " (required)" if item.mandatory else ""
        axes.text(
            item.start_week + 0.3,
            row,
            f"{item.name}{mark} · phase {item.phase}",
            va="center",
            fontsize=8,
        )
    if plan.weeks_available is not None:
        axes.axvline(plan.weeks_available, color="red", linestyle="--")
        axes.text(plan.weeks_available, -0.8, " sentence ends", color="red", fontsize=8)
    axes.set_yticks(range(len(items)), [i.intervention_id for i in items], fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(0, max([i.end_week for i in items] + [plan.weeks_available or 0]) + 2)
    axes.set_xlabel(f"weeks from {plan.plan_start}")
    axes.set_title(f"Plan for {plan.person_id}")
    _save(figure, target, fmt)
